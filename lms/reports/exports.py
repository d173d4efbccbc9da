"""The compliance report as CSV, XLSX and JSON: one registry of export formats
that the report page, the CLI, the API and frozen reports share.

CSV is UTF-8 with a BOM so Excel shows Vietnamese, and any text cell that a
spreadsheet would run as a formula is neutralised. XLSX is a formal report sheet
in the state-document layout (lms/documents/xlsx.py: the issuing body of the unit
the report is for, quốc hiệu and tiêu ngữ, title merged and centred, the table with
an autofilter and a totals row, "Người lập biểu / Thủ trưởng đơn vị"; A4 with the
header row repeated on every page) plus a sheet of untrained officials, one row per
missing course with its due date as a date cell (continued on further sheets past
Excel's 1,048,576 rows), written by XlsxWriter in constant-memory mode so 100,000
rows stream in bounded memory; text is written as text, never as a formula. Level
names are Vietnamese in every format, beside a stable code column for machines
("Mã cấp"; JSON: ``level`` and ``level_name``). Every format is deterministic: the
same data gives the same bytes (no "printed at" time, fixed document dates), so a
frozen report can be checked against its SHA-256 and re-exported identically.
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
from pathlib import Path
from typing import Any

import xlsxwriter
from flask_babel import force_locale

from lms.documents.logic import Letterhead, letterhead_for_code
from lms.documents.xlsx import a4_setup, write_letterhead, write_signatures
from lms.org.labels import level_names
from lms.reports.indicator import DECLARED_WARNING_PERCENT, ComplianceReport, UntrainedOfficial
from lms.util.text import neutralise

# "Cấp" is the level's Vietnamese name; "Mã cấp", last so every other column keeps its
# place, is its stable code (province, department, commune, ...) for machines.
HEADERS = ["Mã đơn vị", "Tên đơn vị", "Cấp", "Mã đơn vị cấp trên", "Tổng số CBCCVC",
           "Đã bồi dưỡng", "Tỷ lệ (%)", "Chỉ tiêu (%)", "Còn thiếu", "Mã cấp"]
# After the DESIGN columns of the XLSX (never in the CSV): what the trained officials
# rest on (issue 18), when the report was computed with evidence=True.
EVIDENCE_HEADERS = ["Trong đó: dựa trên hồ sơ đã xác minh", "Trong đó: dựa trên hồ sơ tự khai",
                    "Trong đó: chỉ học trực tuyến", "Tỷ lệ dựa trên hồ sơ tự khai (%)"]
# One row per missing course (an official missing three courses has three rows).
UNTRAINED_HEADERS = ["Mã cán bộ", "Họ và tên", "Mã đơn vị", "Đơn vị", "Chức vụ",
                     "Khóa học còn thiếu", "Hạn hoàn thành", "Quá hạn"]
NO_REQUIRED_COURSE = "(chưa có khóa học bắt buộc)"
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
# Day 0 of Excel's 1900 date system as XlsxWriter counts it (serial 1 = 1900-01-01,
# with Excel's phantom 29 February 1900 after it: every date from March 1900 on).
EXCEL_EPOCH = date(1899, 12, 30)


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
    # Header and signature block; None: the unit's own (lms/documents), as of the day
    # the report is dated (frozen_on, else as_of).
    letterhead: Letterhead | None = None

    @property
    def document_day(self) -> date:
        return self.frozen_on or self.report.as_of

    def head(self) -> Letterhead:
        if self.letterhead is None:
            self.letterhead = letterhead_for_code(self.unit_code, self.document_day)
        return self.letterhead


def vietnamese_level_names() -> dict[str, str]:
    """Level names as a Vietnamese export prints them, whatever the page's language."""
    with force_locale("vi"):
        return level_names()


def report_values(report: ComplianceReport) -> Iterator[list[Any]]:
    names = vietnamese_level_names()
    for row in report.rows:
        yield [row.unit_code, row.unit_name, names.get(row.level, row.level),
               row.parent_code or "", row.officials_total, row.officials_trained,
               row.percent_trained, row.target_percent, row.officials_remaining, row.level]


def untrained_rows(people: Iterable[UntrainedOfficial]) -> Iterator[list[Any]]:
    """One row per missing course, typed: the due date a date (or None), overdue a bool.
    An official with no required course at all has one row saying so."""
    for person in people:
        who = [person.employee_code, person.full_name, person.unit_code, person.unit_name,
               person.position or ""]
        if not person.missing:
            yield [*who, NO_REQUIRED_COURSE, None, None]
        for missing in person.missing:
            yield [*who, missing.course.title, missing.due_on, missing.overdue]


def untrained_values(people: Iterable[UntrainedOfficial]) -> Iterator[list[Any]]:
    """untrained_rows as CSV text: dates dd/mm/yyyy, overdue "Có"/"Không"."""
    for values in untrained_rows(people):
        due, overdue = values[6], values[7]
        yield [*values[:6], due.strftime("%d/%m/%Y") if due else "",
               "" if overdue is None else ("Có" if overdue else "Không")]


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
    names = vietnamese_level_names()
    return {
        "as_of": report.as_of.isoformat(),
        "unit": unit_code,
        "cycle": report.cycle,
        "structure": report.structure,
        "officials_without_required_course": report.no_requirement,
        "rows": [_json_row(row, names) for row in report.rows],
    }


def _json_row(row, names: dict[str, str]) -> dict[str, Any]:
    data = row.as_json()
    data["level_name"] = names.get(row.level, row.level)
    return data


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
    """The formal report workbook, rows streamed to a temporary file as written, and
    the zip written to a file too (read back once: no second copy in a buffer)."""
    report = file.report
    with tempfile.TemporaryDirectory(prefix="lms-xlsx-") as tmp:
        output = Path(tmp) / "report.xlsx"
        workbook = xlsxwriter.Workbook(str(output), {"constant_memory": True, "tmpdir": tmp,
                                                "strings_to_formulas": False,
                                                "strings_to_numbers": False,
                                                "strings_to_urls": False})
        # Fixed document dates: the same report gives the same bytes.
        moment = datetime.combine(file.frozen_on or report.as_of, datetime.min.time())
        issuer = file.head().issuing_body
        workbook.set_properties({"title": TITLE, "author": issuer, "company": issuer,
                                 "created": moment})
        _report_sheet(workbook, file)
        _untrained_sheet(workbook, file)
        workbook.close()
        return output.read_bytes()


def _report_sheet(workbook, file: ReportFile) -> None:
    report = file.report
    head = file.head()
    names = vietnamese_level_names()
    head_format = workbook.add_format({"bold": True, "bg_color": "#FDE9D9", "border": 1,
                                       "text_wrap": True, "valign": "vcenter",
                                       "align": "center"})
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
    # DESIGN's columns, the evidence split, "Ghi chú", and the level's code last (as in
    # the CSV), so every column before it keeps its place.
    design = HEADERS[:-1]
    note_column = len(design) + len(extra)
    code_column = note_column + 1
    last_column = code_column
    sheet = workbook.add_worksheet("Báo cáo")
    widths = [16, 42, 17, 16, 14, 13, 11, 12, 11] + [16] * len(extra) + [50, 12]
    for index, width in enumerate(widths):
        sheet.set_column(index, index, width)
    header_row = 7  # zero-based: the table's header is on row 8
    sheet.freeze_panes(header_row + 1, 0)
    as_of_text = report.as_of.strftime("%d/%m/%Y")
    write_letterhead(
        workbook, sheet, head, last_column, split_column=3, title=_text(TITLE),
        lines=[_text(f"Đơn vị: {file.unit_name}"),
               f"Số liệu tính đến ngày {as_of_text} "
               f"({CYCLE_LABELS.get(report.cycle, report.cycle)}; "
               f"{STRUCTURE_LABELS[report.structure]})"],
        day=file.frozen_on)
    sheet.set_row(header_row, 45)
    for column, header in enumerate([*design, *extra, "Ghi chú", HEADERS[-1]]):
        sheet.write_string(header_row, column, _text(header), head_format)

    def write_shares(number: int, row, counts, shares_format, warned_format) -> None:
        if not shares:
            return
        first = len(design)
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
        sheet.write_string(number, 2, _text(names.get(row.level, row.level)), text)
        sheet.write_string(number, 3, _text(row.parent_code or ""), text)
        sheet.write_number(number, 4, row.officials_total, count)
        sheet.write_number(number, 5, row.officials_trained, count)
        sheet.write_number(number, 6, float(row.percent_trained) / 100, share)
        sheet.write_number(number, 7, float(row.target_percent) / 100, target)
        sheet.write_number(number, 8, row.officials_remaining, count)
        write_shares(number, row, count, share, warn_share)
        sheet.write_string(number, note_column, _text(_note(row)), text)
        sheet.write_string(number, code_column, _text(row.level), text)
    sheet.autofilter(header_row, 0, number, last_column)
    root = report.root
    number += 1
    sheet.write_string(number, 0, "Tổng cộng", total_text)
    sheet.write_string(number, 1, _text(root.unit_name), total_text)
    for column in (2, 3):
        sheet.write_string(number, column, "", total_text)
    sheet.write_number(number, 4, root.officials_total, total_count)
    sheet.write_number(number, 5, root.officials_trained, total_count)
    sheet.write_number(number, 6, float(root.percent_trained) / 100, total_share)
    sheet.write_number(number, 7, float(root.target_percent) / 100, total_target)
    sheet.write_number(number, 8, root.officials_remaining, total_count)
    write_shares(number, root, total_count, total_share, warn_share)
    sheet.write_string(number, note_column, "", total_text)
    sheet.write_string(number, code_column, "", total_text)
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
        number += 1
    write_signatures(workbook, sheet, number + 1, head, last_column, split_column=3,
                     day=file.frozen_on)
    a4_setup(sheet, landscape=True, repeat_first=header_row,
             header=f"{head.issuing_body} - {file.unit_name}")


def evidence_note(report: ComplianceReport) -> str:
    """What the evidence columns mean, and whether declared records counted."""
    counted = ("Hồ sơ tự khai (chưa được tỉnh xác minh) được tính là đã bồi dưỡng"
               if report.declared_counted else
               "Chỉ hồ sơ lớp tập huấn đã được tỉnh xác minh được tính là đã bồi dưỡng")
    return (f"{counted}; hồ sơ bị từ chối không được tính. Một cán bộ thuộc cột \"tự khai\" "
            "nếu có khóa bắt buộc chỉ đạt nhờ hồ sơ tự khai, thuộc cột \"đã xác minh\" nếu "
            "có khóa chỉ đạt nhờ hồ sơ đã xác minh, còn lại là học trực tuyến.")


def _untrained_sheet(workbook, file: ReportFile) -> None:
    """The untrained officials, one row per missing course, continued on "Chưa bồi dưỡng
    (2)", "(3)"… with the header repeated whenever a sheet reaches XLSX_MAX_ROWS (read at
    call time, so a test can lower it). The first sheet is always written, even empty.
    The header stays on row 1 (a list to filter and sort); the printed page names the
    issuing body and the report at its top."""
    head_format = workbook.add_format({"bold": True, "bg_color": "#FDE9D9", "border": 1,
                                       "text_wrap": True, "valign": "vcenter"})
    day_format = workbook.add_format({"num_format": "dd/mm/yyyy"})
    per_sheet = max(XLSX_MAX_ROWS - 1, 1)  # data rows under the header
    title = (f"{file.head().issuing_body} - Danh sách cán bộ chưa bồi dưỡng kỹ năng số - "
             f"{file.unit_name} - tính đến ngày {file.report.as_of.strftime('%d/%m/%Y')}")
    columns = len(UNTRAINED_HEADERS) - 1

    def new_sheet(number: int):
        name = UNTRAINED_SHEET if number == 1 else f"{UNTRAINED_SHEET} ({number})"
        sheet = workbook.add_worksheet(name)
        for index, width in enumerate([14, 28, 16, 30, 22, 48, 14, 9]):
            sheet.set_column(index, index, width)
        sheet.freeze_panes(1, 0)
        for column, header in enumerate(UNTRAINED_HEADERS):
            sheet.write_string(0, column, _text(header), head_format)
        a4_setup(sheet, landscape=True, repeat_first=0, header=_text(title))
        return sheet

    def close(sheet, last_row: int) -> None:
        sheet.autofilter(0, 0, max(last_row, 1), columns)

    sheets = 1
    sheet, row = new_sheet(sheets), 0
    # The rows of untrained_rows, written with less work per row: an official's cells
    # made safe once for all their courses, a course title once for the whole list, due
    # dates as Excel serial numbers (what write_datetime computes, without its checks).
    titles: dict[str, str] = {}
    for person in file.untrained():
        who = [_text(value) for value in (person.employee_code, person.full_name,
                                          person.unit_code, person.unit_name,
                                          person.position or "")]
        for title, due, overdue in (
                [(m.course.title, m.due_on, m.overdue) for m in person.missing]
                or [(NO_REQUIRED_COURSE, None, None)]):
            if row == per_sheet:
                close(sheet, row)
                sheets += 1
                sheet, row = new_sheet(sheets), 0
            row += 1
            for column, value in enumerate(who):
                if value:
                    sheet.write_string(row, column, value)
            safe = titles.get(title)
            if safe is None:
                safe = titles[title] = _text(title)
            sheet.write_string(row, 5, safe)
            if due is not None:
                sheet.write_number(row, 6, (due - EXCEL_EPOCH).days, day_format)
            if overdue is not None:
                sheet.write_string(row, 7, "Có" if overdue else "Không")
    close(sheet, row)


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
