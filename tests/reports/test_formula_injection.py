"""Every cell of every spreadsheet the platform writes is checked: a value a
spreadsheet would run as a formula (= + - @ tab CR) is text, never a formula."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from lms.util.text import FORMULA_STARTS
from tests.builders import load_roster, load_units, make_user
from tests.conftest import login, post_form
from tests.reports.conftest import complete_basics

HOSTILE = ["=HYPERLINK(\"http://x.example\",\"Bấm\")", "+84-SUM(A1)", "-2+3", "@SUM(A1:A9)",
           "\tTab", "\rCR"]
UNITS = [["Mã đơn vị", "Tên đơn vị", "Cấp", "Mã đơn vị cấp trên"],
         ["NA", "Tỉnh Nghệ An", "Tỉnh", ""],
         ["X-1", HOSTILE[0], "Xã", "NA"],
         ["X-2", HOSTILE[3], "Xã", "NA"]]


def csv_cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for cell in row]


def assert_no_formula_text(cells: list[str], where: str) -> None:
    risky = [c for c in cells if c.startswith(FORMULA_STARTS)]
    assert risky == [], f"{where}: {risky}"
    assert any(c.startswith("'=") for c in cells) or any(c.startswith("'@") for c in cells)


def test_every_csv_and_xlsx_cell_is_inert(app, client, courses):
    load_units(UNITS)
    load_roster([[f"CB{i}", name, "X-1" if i % 2 else "X-2", "công chức", HOSTILE[-i],
                  "", "", "", "", "", ""] for i, name in enumerate(HOSTILE, start=1)])
    complete_basics("CB1")
    make_user("admin", email="admin@example.vn")
    login(client, "admin@example.vn")

    for path in ("/reports/export.csv?unit=NA", "/reports/untrained.csv?unit=NA"):
        response = client.get(path)
        assert_no_formula_text(csv_cells(response.get_data(as_text=True)), path)
        response.close()
    links = post_form(client, "/units/NA/invitations", token_from="/units/NA")
    assert_no_formula_text(csv_cells(links.get_data(as_text=True)), "activation links")

    response = client.get("/reports/export.xlsx?unit=NA")
    workbook = load_workbook(io.BytesIO(response.get_data()))
    response.close()
    texts = []
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula"
                if isinstance(cell.value, str):
                    texts.append(cell.value.strip())
    # The hostile names are there, as text a person can read.
    assert any(t.startswith("=HYPERLINK") for t in texts)
    assert any(t.startswith("@SUM") for t in texts)
