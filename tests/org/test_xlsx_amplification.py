"""A small XLSX that reads into gigabytes is refused before it is read, in bounded
memory, with a message saying how many cells it has and how much they would hold.

Pen test 2026-11: one 100 KB shared string referenced by 20,000 cells took the server
from 200 MB to 2 GB (python-calamine copies the string into every cell), although the
file's declared unpacked size was small. The same reader also allocates the whole
rectangle between the first and last filled cells (32 bytes a cell).
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from sqlalchemy import func, select

from lms.extensions import db
from lms.org import tabular
from lms.org.imports import import_officials
from lms.org.models import Official
from tests.builders import ROSTER_HEADER, load_units, xlsx_bytes
from tests.org.test_views import as_user, province, upload  # noqa: F401

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
BOMB_MESSAGE = "Tệp quá lớn khi giải nén: 20.000 ô, đọc ra khoảng 1.908 MB (giới hạn 256 MB)."


def column_letters(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def workbook(rows: list[list[str]] | None = None, *, strings: list[str] | None = None,
             cells: list[tuple[str, int]] | None = None, sheet_xml: str | None = None,
             sheet_name: str = "xl/worksheets/sheet1.xml") -> bytes:
    """An XLSX stored as Excel saves it: text in a shared-strings table.

    ``rows`` are written as shared strings; or ``strings`` is the table and ``cells``
    lists (reference, string index) pairs; or ``sheet_xml`` is the sheet's whole XML.
    """
    if rows is not None:
        strings, cells, index = [], [], {}
        for number, row in enumerate(rows, start=1):
            for position, value in enumerate(row, start=1):
                if value != "":
                    cells.append((f"{column_letters(position)}{number}",
                                  index.setdefault(value, len(index))))
        strings = list(index)
    strings = strings or []
    if sheet_xml is None:
        by_row: dict[int, list[str]] = {}
        for reference, string in cells or []:
            number = int(reference.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
            by_row.setdefault(number, []).append(
                f'<c r="{reference}" t="s"><v>{string}</v></c>')
        sheet_xml = (f'<worksheet xmlns="{MAIN}"><sheetData>' + "".join(
            f'<row r="{number}">{"".join(row)}</row>' for number, row in sorted(by_row.items()))
            + "</sheetData></worksheet>")
    shared = (f'<sst xmlns="{MAIN}" uniqueCount="{len(strings)}">'
              + "".join(f"<si><t>{escape(s)}</t></si>" for s in strings) + "</sst>")
    target = sheet_name.removeprefix("xl/")
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats'
            '-officedocument.spreadsheetml.sheet.main+xml"/>'
            f'<Override PartName="/{sheet_name}" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
            'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'),
        "_rels/.rels": (
            f'<Relationships xmlns="{PACKAGE_RELS}"><Relationship Id="rId1" '
            f'Type="{RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (
            f'<workbook xmlns="{MAIN}" xmlns:r="{RELS}"><sheets>'
            '<sheet name="Danh sách" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{PACKAGE_RELS}">'
            f'<Relationship Id="rId1" Type="{RELS}/worksheet" Target="{target}"/>'
            f'<Relationship Id="rId2" Type="{RELS}/sharedStrings" Target="sharedStrings.xml"/>'
            '</Relationships>'),
        "xl/sharedStrings.xml": shared,
        sheet_name: sheet_xml,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content.encode())
    return buffer.getvalue()


def shared_string_bomb(cells: int = 20_000, size: int = 100_000) -> bytes:
    """The pen test's file: one ``size``-character shared string in ``cells`` cells
    (10 columns: A1:J2000 by default)."""
    return workbook(strings=["A" * size], cells=[
        (f"{column_letters(c)}{r}", 0) for r in range(1, cells // 10 + 1) for c in range(1, 11)])


def officials() -> int:
    return db.session.scalar(select(func.count(Official.id)))


def test_the_pen_test_bomb_is_refused_with_its_cells_and_size(app):
    load_units()
    bomb = shared_string_bomb()
    assert len(bomb) < 60_000  # a few KB on the wire
    with zipfile.ZipFile(io.BytesIO(bomb)) as archive:  # and small "unpacked", as declared
        assert sum(i.file_size for i in archive.infolist()) < tabular.MAX_XLSX_UNCOMPRESSED
    result = import_officials("can-bo.xlsx", bomb)
    assert len(result.errors) == 1
    assert result.errors[0].startswith(BOMB_MESSAGE), result.errors
    assert officials() == 0


CHILD = """
import json, sys
from bench.roster_import import _hwm_mb
from lms import create_app
from lms.extensions import db
from lms.org.imports import import_officials

def rss_mb():
    with open("/proc/self/status") as status:
        return next(int(l.split()[1]) / 1024 for l in status if l.startswith("VmRSS:"))

app = create_app({"LMS_ENV": "testing", "SECRET_KEY": "x",
                  "SQLALCHEMY_DATABASE_URI": "sqlite://"})
with app.app_context():
    db.create_all()
    data = open(sys.argv[1], "rb").read()
    try:  # start the high-water mark afresh: only the import's own peak counts
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
        reset = True
    except OSError:
        reset = False
    before = rss_mb() if reset else _hwm_mb()
    result = import_officials("can-bo.xlsx", data)
    print(json.dumps({"errors": result.errors, "before_mb": before, "peak_mb": _hwm_mb(),
                      "reset": reset}))
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(),
                    reason="needs Linux /proc to read a process's peak memory")
def test_refusing_the_bomb_takes_under_100_mb(tmp_path):
    """Measured in a fresh process, as bench/ measures imports, so the test process's
    own memory does not count. Before the fix this child peaked at ~2 GB."""
    bomb = tmp_path / "bomb.xlsx"
    bomb.write_bytes(shared_string_bomb())
    child = subprocess.run([sys.executable, "-c", CHILD, str(bomb)], cwd=PROJECT_ROOT,
                           capture_output=True, text=True, timeout=120, check=False)
    assert child.returncode == 0, child.stderr[-3000:]
    report = json.loads(child.stdout.strip().splitlines()[-1])
    assert report["errors"] and report["errors"][0].startswith(BOMB_MESSAGE), report
    grown = report["peak_mb"] - report["before_mb"]
    assert grown <= 100, f"the refusal took {grown:.0f} MB ({report})"


def test_a_rectangle_bomb_is_refused(app):
    """Two filled cells, A1 and Z400000, make the reader allocate 10.4 million."""
    load_units()
    bomb = workbook(strings=["x"], cells=[("A1", 0), ("Z400000", 0)])
    result = import_officials("can-bo.xlsx", bomb)
    assert result.errors == [
        "Tệp quá lớn khi giải nén: 10.400.000 ô, đọc ra khoảng 317 MB (giới hạn 256 MB). "
        "Hãy xóa các ô và trang tính thừa hoặc chia danh sách thành nhiều tệp."]


def test_the_budget_is_a_setting(app):
    load_units()
    roster = workbook([ROSTER_HEADER] + [[f"CB{i}", "Nguyễn Văn An", "SNV", "công chức"]
                                         for i in range(200)])
    app.config["LMS_XLSX_MAX_READ_MB"] = 0.01
    result = import_officials("can-bo.xlsx", roster)
    assert result.errors and result.errors[0].startswith(
        "Tệp quá lớn khi giải nén: 2.211 ô, "), result.errors
    app.config["LMS_XLSX_MAX_READ_MB"] = 1
    assert import_officials("can-bo.xlsx", roster).ok


@pytest.mark.parametrize("build", [
    lambda: xlsx_bytes([ROSTER_HEADER, ["CB1", "Nguyễn Văn An", "SNV", "công chức"],
                        ["CB2", "Lê Thị Bình", "X1", "viên chức", "", "có"]]),
    lambda: workbook([ROSTER_HEADER, ["CB1", "Nguyễn Văn An", "SNV", "công chức"],
                      ["CB2", "Lê Thị Bình", "X1", "viên chức", "", "có"]]),
    lambda: workbook([ROSTER_HEADER, ["CB1", "Nguyễn Văn An", "SNV", "công chức"],
                      ["CB2", "Lê Thị Bình", "X1", "viên chức", "", "có"]],
                     sheet_name="xl/worksheets/danh-sach.xml"),
], ids=["openpyxl", "shared-strings", "sheet-not-named-sheet1"])
def test_a_normal_roster_still_imports(app, build):
    load_units()
    result = import_officials("can-bo.xlsx", build())
    assert result.ok, result.errors
    assert officials() == 2


def test_the_web_upload_shows_the_refusal_and_keeps_nothing(app, province):  # noqa: F811
    admin = as_user(app, "admin@example.vn")
    before = officials()
    page = upload(admin, "officials", shared_string_bomb(), filename="danh-sach.xlsx")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert BOMB_MESSAGE in text
    assert "Xác nhận nhập" not in text
    assert officials() == before


def test_the_command_line_reports_it_as_an_import_error(app, runner, tmp_path):
    load_units()
    bomb = tmp_path / "can-bo.xlsx"
    bomb.write_bytes(shared_string_bomb())
    result = runner.invoke(args=["officials", "import", str(bomb)])
    assert result.exit_code == 1
    assert "20,000" in result.output and "1,908 MB" in result.output  # English numbers
    assert "1 error(s): nothing was imported." in result.output
    assert officials() == 0


@pytest.mark.parametrize("sheet_xml", [
    # A DTD (entities could expand in the scan): refused, as defusedxml would.
    '<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">]><worksheet><sheetData><row r="1">'
    '<c r="A1" t="inlineStr"><is><t>&a;</t></is></c></row></sheetData></worksheet>',
    # One tag of 2 MB: the parser would have to hold it whole.
    f'<worksheet xmlns="{MAIN}"><sheetData><row r="1" x="{"y" * 2_000_000}"/></sheetData>'
    '</worksheet>',
    # Not XML.
    "<worksheet><sheetData><row></sheetData>",
], ids=["dtd", "huge-tag", "broken"])
def test_xml_the_scan_will_not_read_is_a_damaged_file(app, sheet_xml):
    load_units()
    result = import_officials("can-bo.xlsx", workbook(strings=[], sheet_xml=sheet_xml))
    assert result.errors == ["Không mở được bảng tính XLSX (tệp bị hỏng?)."]


def test_the_estimate_follows_what_the_reader_holds():
    """Inline strings, shared strings repeated, numbers and empty cells, no app needed."""
    sheet = (f'<worksheet xmlns="{MAIN}"><sheetData>'
             '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>0</v></c></row>'
             '<row r="2"><c r="A2" t="inlineStr"><is><t>ấn</t></is></c><c r="B2"><v>12</v></c>'
             '<c r="Z2" s="1"/></row></sheetData></worksheet>')
    with zipfile.ZipFile(io.BytesIO(workbook(strings=["x" * 1000], sheet_xml=sheet))) as zf:
        estimate = tabular.estimate_xlsx_read(zf, budget=10**9)
    assert estimate.cells == 4  # A1:B2; the formatted, empty Z2 is not read
    table = 24 + 16 + 1000  # the shared string, kept once in the table
    cells = 4 * 32 + 2 * (16 + 1000) + (16 + len("ấn".encode()))
    assert estimate.size == table + cells


def test_a_zip_python_cannot_read_is_not_a_workbook_not_a_crash(app):
    """Found by fuzzing the scan: a central directory asking for zip version 25.5 made
    zipfile raise NotImplementedError, which no one caught (a 500 on the web)."""
    data = bytearray(workbook([ROSTER_HEADER]))
    directory = data.index(b"PK\x01\x02")
    data[directory + 6:directory + 8] = (255).to_bytes(2, "little")  # version needed
    result = import_officials("can-bo.xlsx", bytes(data))
    assert result.errors == ["Tệp không phải là bảng tính XLSX hợp lệ."]
