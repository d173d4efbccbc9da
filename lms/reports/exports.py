"""The compliance report as CSV, XLSX and JSON.

CSV is UTF-8 with a BOM so Excel shows Vietnamese, and any text cell that a
spreadsheet would run as a formula is neutralised. XLSX is a formal report
sheet (issuing body, national motto, title, as-of date, table, totals row)
plus a sheet of untrained officials, written in openpyxl's write-only mode so
100,000 rows stream in bounded memory; text is stored as text, never as a
formula.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any
from xml.sax.saxutils import escape

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

from lms.reports.indicator import ComplianceReport, UntrainedOfficial
from lms.util.text import neutralise

HEADERS = ["Mã đơn vị", "Tên đơn vị", "Cấp", "Mã đơn vị cấp trên", "Tổng số CBCCVC",
           "Đã bồi dưỡng", "Tỷ lệ (%)", "Chỉ tiêu (%)", "Còn thiếu"]
UNTRAINED_HEADERS = ["Mã cán bộ", "Họ và tên", "Mã đơn vị", "Đơn vị", "Chức vụ",
                     "Khóa học còn thiếu", "Hạn hoàn thành", "Quá hạn"]
TITLE = "BÁO CÁO KẾT QUẢ BỒI DƯỠNG KIẾN THỨC, KỸ NĂNG SỐ CHO CÁN BỘ, CÔNG CHỨC, VIÊN CHỨC"


def report_values(report: ComplianceReport) -> Iterator[list[Any]]:
    for row in report.rows:
        yield [row.unit_code, row.unit_name, row.level, row.parent_code or "",
               row.officials_total, row.officials_trained, row.percent_trained,
               row.target_percent, row.officials_remaining]


def untrained_values(people: Iterable[UntrainedOfficial]) -> Iterator[list[Any]]:
    for person in people:
        yield [person.employee_code, person.full_name, person.unit_code, person.unit_name,
               person.position or "",
               "; ".join(m.course.title for m in person.missing) or
               "(chưa có khóa học bắt buộc)",
               "; ".join(m.due_on.strftime("%d/%m/%Y") if m.due_on else "—"
                         for m in person.missing),
               "Có" if person.overdue else "Không"]


def csv_stream(rows: Iterable[list[Any]], headers: list[str]) -> Iterator[str]:
    """CSV text chunk by chunk (constant memory): BOM, header, neutralised cells."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(headers)
    for count, row in enumerate(rows, start=1):
        writer.writerow([neutralise(v) for v in row])
        if count % 1000 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def report_json(report: ComplianceReport, unit_code: str) -> dict[str, Any]:
    return {
        "as_of": report.as_of.isoformat(),
        "unit": unit_code,
        "cycle": report.cycle,
        "officials_without_required_course": report.no_requirement,
        "rows": [row.as_json() for row in report.rows],
    }


THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


def _cell(sheet, value: Any, *, bold: bool = False, size: int | None = None,
          number_format: str | None = None, fill: str | None = None, border: bool = False,
          center: bool = False, wrap: bool = False) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # "=SUM(...)" typed in a name stays text, never a formula
    if bold or size:
        cell.font = Font(bold=bold, size=size or 11)
    if number_format:
        cell.number_format = number_format
    if fill:
        cell.fill = PatternFill("solid", fgColor=fill)
    if border:
        cell.border = BORDER
    if center or wrap:
        cell.alignment = Alignment(horizontal="center" if center else None,
                                   vertical="center", wrap_text=wrap)
    return cell


def xlsx_bytes(report: ComplianceReport, unit_name: str, issuing_body: str,
               untrained: Iterable[UntrainedOfficial], cycle_label: str) -> bytes:
    """The formal report workbook (streamed rows; the bytes are built at the end)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Báo cáo")
    widths = [16, 42, 13, 16, 14, 13, 11, 12, 11]
    for index, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    header_row = 8
    sheet.freeze_panes = f"A{header_row + 1}"
    sheet.append([_cell(sheet, issuing_body, bold=True), None, None, None,
                  _cell(sheet, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True)])
    sheet.append([None, None, None, None,
                  _cell(sheet, "Độc lập - Tự do - Hạnh phúc", bold=True)])
    sheet.append([])
    sheet.append([_cell(sheet, TITLE, bold=True, size=13)])
    sheet.append([_cell(sheet, f"Đơn vị: {unit_name}")])
    as_of_text = report.as_of.strftime("%d/%m/%Y")
    sheet.append([_cell(sheet, f"Số liệu tính đến ngày {as_of_text} ({cycle_label})")])
    sheet.append([])
    sheet.append([_cell(sheet, h, bold=True, fill="FDE9D9", border=True, wrap=True)
                  for h in HEADERS])
    for row in report.rows:
        indent = "    " * row.depth
        sheet.append([
            _cell(sheet, row.unit_code, border=True),
            _cell(sheet, indent + row.unit_name, border=True),
            _cell(sheet, row.level, border=True),
            _cell(sheet, row.parent_code or "", border=True),
            _cell(sheet, row.officials_total, border=True, number_format="#,##0"),
            _cell(sheet, row.officials_trained, border=True, number_format="#,##0"),
            _cell(sheet, float(row.percent_trained) / 100, border=True, number_format="0.0%"),
            _cell(sheet, float(row.target_percent) / 100, border=True, number_format="0%"),
            _cell(sheet, row.officials_remaining, border=True, number_format="#,##0"),
        ])
    root = report.root
    sheet.append([
        _cell(sheet, "Tổng cộng", bold=True, border=True),
        _cell(sheet, root.unit_name, bold=True, border=True), _cell(sheet, "", border=True),
        _cell(sheet, "", border=True),
        _cell(sheet, root.officials_total, bold=True, border=True, number_format="#,##0"),
        _cell(sheet, root.officials_trained, bold=True, border=True, number_format="#,##0"),
        _cell(sheet, float(root.percent_trained) / 100, bold=True, border=True,
              number_format="0.0%"),
        _cell(sheet, float(root.target_percent) / 100, bold=True, border=True,
              number_format="0%"),
        _cell(sheet, root.officials_remaining, bold=True, border=True, number_format="#,##0"),
    ])
    sheet.append([])
    if report.no_requirement:
        sheet.append([_cell(sheet, f"Lưu ý: {report.no_requirement} cán bộ chưa có khóa học "
                                   "bắt buộc nào (kiểm tra quy tắc required_for).")])
    sheet.append([_cell(sheet, f"Ngày lập: {date.today().strftime('%d/%m/%Y')}")])

    people = workbook.create_sheet("Chưa bồi dưỡng")
    for index, width in enumerate([14, 28, 16, 30, 22, 60, 24, 9]):
        people.column_dimensions[chr(ord("A") + index)].width = width
    people.freeze_panes = "A2"
    people.append([_cell(people, h, bold=True, fill="FDE9D9") for h in UNTRAINED_HEADERS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    # openpyxl builds an object per cell: ~20 s for 100,000 rows on a 2-core machine.
    # The untrained rows are plain text, so they are streamed into the sheet's XML.
    return _splice_text_rows(buffer.getvalue(), "xl/worksheets/sheet2.xml",
                             untrained_values(untrained), first_row=2)


_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_DIMENSION = re.compile(rb"<dimension ref=\"[^\"]*\"\s*/>")


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _splice_text_rows(workbook: bytes, sheet: str, rows: Iterable[list[Any]],
                      first_row: int) -> bytes:
    """Stream ``rows`` as inline-string cells (text stays text, never a formula) into
    ``sheet`` of an XLSX made by openpyxl, after its existing rows."""
    source = zipfile.ZipFile(io.BytesIO(workbook))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename != sheet:
                target.writestr(item, data)
                continue
            head, tail = data.split(b"</sheetData>", 1)
            head = _DIMENSION.sub(b"", head)  # the old one counts only the header
            with target.open(item.filename, "w", force_zip64=True) as handle:
                handle.write(head)
                chunk: list[str] = []
                for number, values in enumerate(rows, start=first_row):
                    cells = "".join(
                        f'<c r="{_column_letter(i)}{number}" t="inlineStr"><is><t xml:space='
                        f'"preserve">{escape(_XML_ILLEGAL.sub("", str(v)))}</t></is></c>'
                        for i, v in enumerate(values) if v not in (None, ""))
                    chunk.append(f'<row r="{number}">{cells}</row>')
                    if len(chunk) == 2000:
                        handle.write("".join(chunk).encode("utf-8"))
                        chunk.clear()
                handle.write("".join(chunk).encode("utf-8"))
                handle.write(b"</sheetData>" + tail)
    return output.getvalue()
