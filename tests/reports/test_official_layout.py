"""The report workbook in the state-document layout (issue 16): merged and centred
header with the issuing body of the unit the report is for, A4 page setup with the
table's header repeated, autofilter, totals, "Người lập biểu / Thủ trưởng đơn vị",
due dates as date cells, one row per missing course; Vietnamese words in every
export (codes only in their code columns)."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, datetime

from openpyxl import load_workbook

from lms.documents.logic import record_signatory
from lms.extensions import db
from lms.org.logic import unit_by_code
from lms.reports import exports
from lms.reports.indicator import compliance_report, untrained_officials
from tests.reports.conftest import D, complete, complete_basics, roster


def export(fmt: str, code: str, frozen_on: date | None = None) -> bytes:
    unit = unit_by_code(code)
    report = compliance_report(unit, D, evidence=exports.FORMATS[fmt].shows_evidence)
    file = exports.ReportFile(report, code, unit.name, "UBND TỈNH NGHỆ AN",
                              untrained=lambda: untrained_officials(unit, D),
                              frozen_on=frozen_on)
    return exports.FORMATS[fmt].render(file)


def texts(sheet) -> list[str]:
    return [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]


def test_a_communes_report_is_issued_and_signed_by_the_commune(courses):
    roster(("A", "X1", False, False, "", ""), ("B", "X1", True, False, "", ""))
    complete_basics("A")
    record_signatory(unit_by_code("X1"), date(2026, 1, 1),
                     issuing_body="ỦY BAN NHÂN DÂN XÃ NGHI LỘC", place="Nghi Lộc",
                     authority="TM. ỦY BAN NHÂN DÂN",
                     signer_title="CHỦ TỊCH", signer_name="Hồ Văn Ký")
    db.session.commit()
    book = load_workbook(io.BytesIO(export("xlsx", "X1", frozen_on=date(2026, 7, 2))))
    sheet = book["Báo cáo"]
    words = texts(sheet)
    assert sheet["A1"].value == "ỦY BAN NHÂN DÂN XÃ NGHI LỘC"
    assert "UBND TỈNH NGHỆ AN" not in words  # not the province's report
    # Merged and centred: the issuing body, the nation's words, the title across the table.
    merged = {str(r) for r in sheet.merged_cells.ranges}
    last = sheet.max_column
    assert "A1:C1" in merged
    assert any(r.startswith("D1:") for r in merged) and any(r.startswith("D2:") for r in merged)
    title_range = next(r for r in sheet.merged_cells.ranges if r.min_row == 4)
    assert (title_range.min_col, title_range.max_col) == (1, last)
    assert sheet["A4"].alignment.horizontal == "center" and sheet["A4"].font.bold
    assert sheet["D1"].value == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    assert sheet["D2"].value == "Độc lập - Tự do - Hạnh phúc" and sheet["D2"].font.u
    assert sheet["D3"].value == "Nghi Lộc, ngày 02 tháng 7 năm 2026" and sheet["D3"].font.i
    # A4 landscape, one page wide, the table's header row on every printed page.
    assert sheet.page_setup.paperSize == 9 and sheet.page_setup.orientation == "landscape"
    # fitToWidth 1 is the default, left out of the file; fitToHeight 0: as many as needed.
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.page_setup.fitToWidth in (None, 1) and sheet.page_setup.fitToHeight == 0
    assert sheet.print_title_rows.replace("$", "") == "8:8"
    # Autofilter over the header and the unit rows (not the totals).
    rows = [r for r in sheet.iter_rows(min_row=9) if r[0].value == "X1"]
    assert sheet.auto_filter.ref == f"A8:{sheet.cell(8, last).column_letter}{rows[0][0].row}"
    totals = next(r for r in sheet.iter_rows(min_row=9) if r[0].value == "Tổng cộng")
    assert (totals[4].value, totals[5].value) == (2, 1)
    # Level in Vietnamese, its code in "Mã cấp".
    header = [c.value for c in sheet[8]]
    assert rows[0][header.index("Cấp")].value == "Xã, phường, đặc khu"
    assert rows[0][header.index("Mã cấp")].value == "commune"
    # The signature block under the table: the compiler and the unit's head.
    for words_ in ("NGƯỜI LẬP BIỂU", "TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "Hồ Văn Ký",
                   "(Ký, ghi rõ họ tên)"):
        assert words_ in words, words_
    signer = next(c for row in sheet.iter_rows() for c in row if c.value == "Hồ Văn Ký")
    assert signer.row > totals[0].row


def test_a_live_report_leaves_the_date_to_sign_and_a_blank_signer(courses):
    roster(("A", "SNV", False, False, "", ""))
    db.session.commit()
    sheet = load_workbook(io.BytesIO(export("xlsx", "SNV")))["Báo cáo"]
    words = texts(sheet)
    # A department under the province: its cơ quan chủ quản above it.
    assert sheet["A1"].value == "UBND TỈNH NGHỆ AN" and sheet["A2"].value == "SỞ NỘI VỤ"
    assert "Nghệ An, ngày …… tháng …… năm ……" in words
    assert "THỦ TRƯỞNG ĐƠN VỊ" in words and "NGƯỜI LẬP BIỂU" in words


def test_the_untrained_sheet_has_a_row_per_missing_course_and_date_cells(courses):
    roster(("A", "X1", False, False, "", ""), ("B", "X1", True, False, "", ""))
    complete("A", "co-ban", date(2026, 3, 1))
    book = load_workbook(io.BytesIO(export("xlsx", "X1")))
    people = book["Chưa bồi dưỡng"]
    header = [c.value for c in people[1]]
    assert header == exports.UNTRAINED_HEADERS
    rows = [list(r) for r in people.iter_rows(min_row=2)]
    missing = [(r[0].value, r[5].value) for r in rows]
    assert missing == [("A", "An toàn"), ("B", "An toàn"), ("B", "Cơ bản"),
                       ("B", "Lãnh đạo")]
    for row in rows:
        assert all(";" not in (c.value or "") for c in row if isinstance(c.value, str))
        due = row[6]
        if due.value is not None:
            assert due.is_date and isinstance(due.value, datetime)
            assert due.number_format == "dd/mm/yyyy"
        assert row[7].value in ("Có", "Không")
    assert people.auto_filter.ref == f"A1:H{len(rows) + 1}"
    assert people.print_title_rows.replace("$", "") == "1:1"
    assert people.page_setup.paperSize == 9


ENGLISH = re.compile(r"\b(province|department|district|commune|office|other|true|false|"
                     r"none|null|yes|no|total|as-of|current|all|year|level|unit|course)\b",
                     re.IGNORECASE)
CODE_COLUMNS = {"Mã đơn vị", "Mã đơn vị cấp trên", "Mã cấp", "Mã cán bộ"}


def test_no_english_word_reaches_an_export(courses):
    roster(("A", "X1", False, False, "", ""), ("B", "SNV-TC", True, True, "", ""))
    complete("A", "co-ban", date(2026, 3, 1))
    # XLSX: every text cell outside the code columns.
    book = load_workbook(io.BytesIO(export("xlsx", "NA")))
    for sheet in book.worksheets:
        header_row = 8 if sheet.title == "Báo cáo" else 1
        header = [c.value for c in sheet[header_row]]
        for row in sheet.iter_rows():
            for cell in row:
                column = header[cell.column - 1] if cell.column <= len(header) else None
                if isinstance(cell.value, str) and column not in CODE_COLUMNS:
                    assert not ENGLISH.search(cell.value), (sheet.title, cell.coordinate,
                                                           cell.value)
    # CSV: likewise.
    text = export("csv", "NA").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    for row in rows[1:]:
        for name, value in zip(rows[0], row, strict=True):
            if name not in CODE_COLUMNS:
                assert not ENGLISH.search(value), (name, value)
    # JSON: keys are for machines; every level has its Vietnamese name beside the code.
    body = json.loads(export("json", "NA"))
    assert {r["level_name"] for r in body["rows"]} == {
        "Tỉnh", "Sở, ban, ngành", "Phòng, đơn vị trực thuộc", "Xã, phường, đặc khu"}
    for row in body["rows"]:
        assert not ENGLISH.search(row["level_name"]) and not ENGLISH.search(row["unit_name"])


def test_level_labels_are_configurable(app, courses):
    app.config["LMS_LEVEL_LABELS"] = {"commune": "Xã, phường"}
    roster(("A", "X1", False, False, "", ""))
    rows = list(csv.reader(io.StringIO(export("csv", "X1").decode("utf-8-sig"))))
    assert rows[1][2] == "Xã, phường" and rows[1][-1] == "commune"
