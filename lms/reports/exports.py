"""The compliance report as CSV, XLSX and JSON: one registry of export formats
that the report page, the CLI, the API and frozen reports share.

CSV is UTF-8 with a BOM so Excel shows Vietnamese, and any text cell that a
spreadsheet would run as a formula is neutralised. XLSX is a formal report
sheet (issuing body, national motto, title, as-of date, structure, table,
totals row) plus a sheet of untrained officials (continued on further sheets
past Excel's 1,048,576 rows), written by XlsxWriter in
constant-memory mode so 100,000 rows stream in bounded memory; text is written
as text, never as a formula. Every format is deterministic: the same data
gives the same bytes (no "printed at" time, fixed document dates), so a frozen
report can be checked against its SHA-256 and re-exported identically.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import xlsxwriter

from lms.reports.indicator import DECLARED_WARNING_PERCENT, ComplianceReport, UntrainedOfficial
from lms.util.text import neutralise

HEADERS = ["Mã đơn vị", "Tên đơn vị", "Cấp", "Mã đơn vị cấp trên", "Tổng số CBCCVC",
           "Đã bồi dưỡng", "Tỷ lệ (%)", "Chỉ tiêu (%)", "Còn thiếu"]
# After the DESIGN columns of the XLSX (never in the CSV): what the trained officials
# rest on (issue 18), when the report was computed with evidence=True.
EVIDENCE_HEADERS = ["Trong đó: dựa trên hồ sơ đã xác minh", "Trong đó: dựa trên hồ sơ tự khai",
                    "Trong đó: chỉ học trực tuyến", "Tỷ lệ dựa trên hồ sơ tự khai (%)"]
UNTRAINED_HEADERS = ["Mã cán bộ", "Họ và tên", "Mã đơn vị", "Đơn vị", "Chức vụ",
                     "Khóa học còn thiếu", "Hạn hoàn thành", "Quá hạn"]
TITLE = "BÁO CÁO KẾT QUẢ BỒI DƯỠNG KIẾN THỨC, KỸ NĂNG SỐ CHO CÁN BỘ, CÔNG CHỨC, VIÊN CHỨC"
STRUCTURE_LABELS = {
    "as-of": "theo cơ cấu tổ chức tại ngày báo cáo",
    "current": "theo cơ cấu tổ chức hiện nay (số liệu quy đổi về đơn vị tiếp nhận)",
}
CYCLE_LABELS = {"all": "lũy kế", "year": "theo năm"}
# Rows one XLSX sheet holds, header included (Excel's limit, 2**20). A longer untrained
# list continues on further sheets; tests lower this to see the split.
XLSX_MAX_ROWS = 1_048_576
UNTRAINED_SHEET = "Chưa bồi dưỡng"


@dataclass
class ReportFile:
    """Everything an export of one report needs."""

    report: ComplianceReport
    unit_code: str
    unit_name: str
    issuing_body: str
    untrained: Callable[[], Iterable[UntrainedOfficial]] = lambda: ()
    frozen_on: date | None = None  # printed on a frozen report ("Chốt số liệu ngày …")
    extra: dict[str, Any] = field(default_factory=dict)


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
        "structure": report.structure,
        "officials_without_required_course": report.no_requirement,
        "rows": [row.as_json() for row in report.rows],
    }


_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: Any) -> str:
    """Text for a cell: characters XML cannot hold are dropped (a spreadsheet would show
    them as _x0007_)."""
    return _XML_ILLEGAL.sub("", str(value))


def _note(row) -> str:
    """What a merged unit's row says: the units it absorbed and when."""
    if not row.absorbed:
        return ""
    return "Tiếp nhận: " + "; ".join(
        f"{a.unit_name} ({a.unit_code}) từ {a.on.strftime('%d/%m/%Y')}" for a in row.absorbed)


def xlsx_bytes(file: ReportFile) -> bytes:
    """The formal report workbook, rows streamed to a temporary file as written."""
    report = file.report
    output = io.BytesIO()
    with tempfile.TemporaryDirectory(prefix="lms-xlsx-") as tmp:
        workbook = xlsxwriter.Workbook(output, {"constant_memory": True, "tmpdir": tmp,
                                                "strings_to_formulas": False,
                                                "strings_to_numbers": False,
                                                "strings_to_urls": False})
        # Fixed document dates: the same report gives the same bytes.
        moment = datetime.combine(file.frozen_on or report.as_of, datetime.min.time())
        workbook.set_properties({"title": TITLE, "author": file.issuing_body,
                                 "company": file.issuing_body, "created": moment})
        _report_sheet(workbook, file)
        _untrained_sheet(workbook, file.untrained())
        workbook.close()
    return output.getvalue()


def _report_sheet(workbook, file: ReportFile) -> None:
    report = file.report
    bold = workbook.add_format({"bold": True})
    title = workbook.add_format({"bold": True, "font_size": 13})
    head = workbook.add_format({"bold": True, "bg_color": "#FDE9D9", "border": 1,
                                "text_wrap": True, "valign": "vcenter", "align": "center"})
    text = workbook.add_format({"border": 1})
    count = workbook.add_format({"border": 1, "num_format": "#,##0"})
    share = workbook.add_format({"border": 1, "num_format": "0.0%"})
    target = workbook.add_format({"border": 1, "num_format": "0%"})
    total_text = workbook.add_format({"border": 1, "bold": True})
    total_count = workbook.add_format({"border": 1, "bold": True, "num_format": "#,##0"})
    total_share = workbook.add_format({"border": 1, "bold": True, "num_format": "0.0%"})
    total_target = workbook.add_format({"border": 1, "bold": True, "num_format": "0%"})
    warn_share = workbook.add_format({"border": 1, "num_format": "0.0%", "bold": True,
                                      "font_color": "#9C0006", "bg_color": "#FFC7CE"})
    shares = report.has_evidence_shares
    extra = EVIDENCE_HEADERS if shares else []
    note_column = len(HEADERS) + len(extra)
    sheet = workbook.add_worksheet("Báo cáo")
    widths = [16, 42, 13, 16, 14, 13, 11, 12, 11] + [16] * len(extra) + [50]
    for index, width in enumerate(widths):
        sheet.set_column(index, index, width)
    header_row = 7  # zero-based: the table's header is on row 8
    sheet.freeze_panes(header_row + 1, 0)
    sheet.write_string(0, 0, _text(file.issuing_body), bold)
    sheet.write_string(0, 4, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold)
    sheet.write_string(1, 4, "Độc lập - Tự do - Hạnh phúc", bold)
    sheet.write_string(3, 0, _text(TITLE), title)
    sheet.write_string(4, 0, _text(f"Đơn vị: {file.unit_name}"))
    as_of_text = report.as_of.strftime("%d/%m/%Y")
    sheet.write_string(5, 0, f"Số liệu tính đến ngày {as_of_text} "
                             f"({CYCLE_LABELS.get(report.cycle, report.cycle)}; "
                             f"{STRUCTURE_LABELS[report.structure]})")
    for column, header in enumerate([*HEADERS, *extra, "Ghi chú"]):
        sheet.write_string(header_row, column, _text(header), head)

    def write_shares(number: int, row, counts, shares_format, warned_format) -> None:
        if not shares:
            return
        first = len(HEADERS)
        sheet.write_number(number, first, row.trained_verified, counts)
        sheet.write_number(number, first + 1, row.trained_declared, counts)
        sheet.write_number(number, first + 2, row.trained_online, counts)
        sheet.write_number(number, first + 3, float(row.declared_percent) / 100,
                           warned_format if row.declared_warning else shares_format)

    number = header_row
    for row in report.rows:
        number += 1
        sheet.write_string(number, 0, _text(row.unit_code), text)
        sheet.write_string(number, 1, _text("    " * row.depth + row.unit_name), text)
        sheet.write_string(number, 2, _text(row.level), text)
        sheet.write_string(number, 3, _text(row.parent_code or ""), text)
        sheet.write_number(number, 4, row.officials_total, count)
        sheet.write_number(number, 5, row.officials_trained, count)
        sheet.write_number(number, 6, float(row.percent_trained) / 100, share)
        sheet.write_number(number, 7, float(row.target_percent) / 100, target)
        sheet.write_number(number, 8, row.officials_remaining, count)
        write_shares(number, row, count, share, warn_share)
        sheet.write_string(number, note_column, _text(_note(row)), text)
    root = report.root
    number += 1
    sheet.write_string(number, 0, "Tổng cộng", total_text)
    sheet.write_string(number, 1, _text(root.unit_name), total_text)
    sheet.write_string(number, 2, "", total_text)
    sheet.write_string(number, 3, "", total_text)
    sheet.write_number(number, 4, root.officials_total, total_count)
    sheet.write_number(number, 5, root.officials_trained, total_count)
    sheet.write_number(number, 6, float(root.percent_trained) / 100, total_share)
    sheet.write_number(number, 7, float(root.target_percent) / 100, total_target)
    sheet.write_number(number, 8, root.officials_remaining, total_count)
    write_shares(number, root, total_count, total_share, warn_share)
    sheet.write_string(number, note_column, "", total_text)
    number += 2
    if shares:
        sheet.write_string(number, 0, _text(evidence_note(report)))
        number += 1
        warned = [r for r in report.rows if r.declared_warning]
        if warned:
            sheet.write_string(number, 0, _text(
                f"Cảnh báo: {len(warned)} đơn vị có trên "
                f"{DECLARED_WARNING_PERCENT}% số đã bồi dưỡng dựa trên hồ sơ tự khai chưa "
                "được tỉnh xác minh."))
            number += 1
    if report.no_requirement:
        sheet.write_string(number, 0, f"Lưu ý: {report.no_requirement} cán bộ chưa có khóa học "
                                      "bắt buộc nào (kiểm tra quy tắc required_for).")
        number += 1
    if file.frozen_on:
        sheet.write_string(number, 0, f"Chốt số liệu ngày {file.frozen_on.strftime('%d/%m/%Y')}")


def evidence_note(report: ComplianceReport) -> str:
    """What the evidence columns mean, and whether declared records counted."""
    counted = ("Hồ sơ tự khai (chưa được tỉnh xác minh) được tính là đã bồi dưỡng"
               if report.declared_counted else
               "Chỉ hồ sơ lớp tập huấn đã được tỉnh xác minh được tính là đã bồi dưỡng")
    return (f"{counted}; hồ sơ bị từ chối không được tính. Một cán bộ thuộc cột \"tự khai\" "
            "nếu có khóa bắt buộc chỉ đạt nhờ hồ sơ tự khai, thuộc cột \"đã xác minh\" nếu "
            "có khóa chỉ đạt nhờ hồ sơ đã xác minh, còn lại là học trực tuyến.")


def _untrained_sheet(workbook, people: Iterable[UntrainedOfficial]) -> None:
    """The untrained officials, continued on "Chưa bồi dưỡng (2)", "(3)"… with the header
    repeated whenever a sheet reaches XLSX_MAX_ROWS (read at call time, so a test can
    lower it). The first sheet is always written, even empty."""
    head = workbook.add_format({"bold": True, "bg_color": "#FDE9D9"})
    per_sheet = max(XLSX_MAX_ROWS - 1, 1)  # data rows under the header

    def new_sheet(number: int):
        name = UNTRAINED_SHEET if number == 1 else f"{UNTRAINED_SHEET} ({number})"
        sheet = workbook.add_worksheet(name)
        for index, width in enumerate([14, 28, 16, 30, 22, 60, 24, 9]):
            sheet.set_column(index, index, width)
        sheet.freeze_panes(1, 0)
        for column, header in enumerate(UNTRAINED_HEADERS):
            sheet.write_string(0, column, _text(header), head)
        return sheet

    sheets = 1
    sheet, row = new_sheet(sheets), 0
    for values in untrained_values(people):
        if row == per_sheet:
            sheets += 1
            sheet, row = new_sheet(sheets), 0
        row += 1
        for column, value in enumerate(values):
            if value not in (None, ""):
                sheet.write_string(row, column, _text(value))


def _csv_chunks(file: ReportFile) -> Iterator[bytes]:
    for chunk in csv_stream(report_values(file.report), HEADERS):
        yield chunk.encode("utf-8")


def _json_chunks(file: ReportFile) -> Iterator[bytes]:
    yield json.dumps(report_json(file.report, file.unit_code), ensure_ascii=False).encode()


def _xlsx_chunks(file: ReportFile) -> Iterator[bytes]:
    yield xlsx_bytes(file)


@dataclass(frozen=True)
class ExportFormat:
    name: str
    mimetype: str
    chunks: Callable[[ReportFile], Iterator[bytes]]
    needs_untrained: bool = False
    # Shows the verified / declared / online split (compliance_report(evidence=True)).
    shows_evidence: bool = False

    def render(self, file: ReportFile) -> bytes:
        return b"".join(self.chunks(file))


FORMATS: dict[str, ExportFormat] = {
    "csv": ExportFormat("csv", "text/csv; charset=utf-8", _csv_chunks),
    "xlsx": ExportFormat("xlsx", "application/vnd.openxmlformats-officedocument."
                                 "spreadsheetml.sheet", _xlsx_chunks, needs_untrained=True,
                         shows_evidence=True),
    "json": ExportFormat("json", "application/json", _json_chunks, shows_evidence=True),
}


def file_name(unit_code: str, as_of: date, structure: str, fmt: str) -> str:
    view = "" if structure == "as-of" else "-co-cau-hien-nay"
    return f"bao-cao-ky-nang-so-{unit_code}-{as_of.isoformat()}{view}.{fmt}"
