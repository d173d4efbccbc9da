"""Roster import: every alias and value form, every error kind, all or nothing."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from lms.extensions import db
from lms.org.imports import import_officials
from lms.org.logic import unit_by_code
from lms.org.models import Official
from tests.builders import ROSTER_HEADER, csv_bytes, load_roster, load_units, xlsx_bytes

TODAY = date(2026, 11, 20)


@pytest.fixture
def units(app):
    load_units()


def official(code: str) -> Official:
    return db.session.scalar(select(Official).where(Official.employee_code == code))


def count() -> int:
    return db.session.scalar(select(func.count(Official.id)))


def run(rows, header=ROSTER_HEADER, name="roster.csv", **options):
    data = xlsx_bytes([header, *rows]) if name.endswith(".xlsx") else csv_bytes([header, *rows])
    return import_officials(name, data, today=TODAY, **options)


VIETNAMESE_HEADER = ["  Mã cán bộ", "HỌ VÀ TÊN", "Mã đơn vị", "Loại", "Chức vụ", "Lãnh đạo",
                     "Phụ trách CNTT", "Email", "Số điện thoại", "Trạng thái", "Ngày nghỉ"]
ASCII_ALIAS_HEADER = ["ma_can_bo", "ho_ten", "ma_don_vi", "loai", "chuc_vu", "lanh_dao",
                      "phu_trach_cntt", "email", "so_dien_thoai", "trang_thai", "ngay_nghi"]
NO_DIACRITICS_HEADER = ["ma can bo", "ho va ten", "ma don vi", "loai", "chuc vu", "lanh dao",
                        "phu trach cntt", "EMAIL", "so dien thoai", "trang thai", "ngay nghi"]


@pytest.mark.parametrize("header", [ROSTER_HEADER, VIETNAMESE_HEADER, ASCII_ALIAS_HEADER,
                                    NO_DIACRITICS_HEADER])
def test_every_header_alias_is_understood(units, header):
    result = run([["CB1", "Nguyễn Văn An", "SNV", "công chức", "Chuyên viên", "có", "",
                   "An@Example.vn", "+84 912 345 678", "đang công tác", ""]], header=header)
    assert result.ok, result.errors
    record = official("CB1")
    assert (record.category, record.is_leader, record.email, record.phone) == (
        "cong_chuc", True, "an@example.vn", "0912345678")


@pytest.mark.parametrize(("word", "expected"), [
    ("có", True), ("Có", True), ("x", True), ("X", True), ("1", True), ("true", True),
    ("yes", True), ("không", False), ("0", False), ("false", False), ("", False), ("no", False),
])
def test_yes_no_words(units, word, expected):
    assert run([["CB1", "A", "SNV", "cán bộ", "", word, word, "", "", "", ""]]).ok
    assert official("CB1").is_leader is expected
    assert official("CB1").is_it_officer is expected


@pytest.mark.parametrize(("category", "expected"), [
    ("can_bo", "can_bo"), ("Cán bộ", "can_bo"), ("CÔNG CHỨC", "cong_chuc"),
    ("viên chức", "vien_chuc"), ("Người lao động", "nguoi_lao_dong"),
])
def test_category_words(units, category, expected):
    assert run([["CB1", "A", "SNV", category, "", "", "", "", "", "", ""]]).ok
    assert official("CB1").category == expected


@pytest.mark.parametrize("left_on", ["15/03/2026", "2026-03-15", "15-03-2026", "15/3/2026"])
def test_date_forms_as_text(units, left_on):
    assert run([["CB1", "A", "SNV", "cán bộ", "", "", "", "", "", "nghỉ việc", left_on]]).ok
    assert (official("CB1").status, official("CB1").left_on) == ("left", date(2026, 3, 15))


def test_real_excel_dates_and_numeric_codes_in_xlsx(units):
    from datetime import datetime

    result = run([[1234, "Trần Thị Bình", "X1", "viên chức", None, "x", None, None,
                   912345678, "chuyển công tác", datetime(2026, 3, 15)]], name="roster.xlsx")
    assert result.ok, result.errors
    record = official("1234")
    assert (record.status, record.left_on) == ("left", date(2026, 3, 15))


def test_semicolon_csv_from_excel_is_read(units):
    data = csv_bytes([ROSTER_HEADER, ["CB1", "A", "SNV", "cán bộ", "", "", "", "", "", "", ""]],
                     delimiter=";")
    assert import_officials("roster.csv", data, today=TODAY).ok


def test_a_name_that_folds_longer_still_fits_its_search_column(units):
    """Found by fuzzing (tests/test_fuzz.py): a Hangul syllable folds to three letters,
    so the folded name overflowed its 255-character column on PostgreSQL (a 500)."""
    assert run([["CB1", "한" * 200, "SNV", "cán bộ", "", "", "", "", "", "", ""]]).ok
    assert len(official("CB1").search_name) == 255


@pytest.mark.parametrize("name", ["roster.csv", "roster.xlsx"])
def test_nul_characters_in_cells_are_dropped(units, name):
    """Found by fuzzing: a NUL past the first 8 KB of a CSV (only the start is sniffed
    for binary files), or "_x0000_" in a workbook, reached PostgreSQL (a 500)."""
    filler = [[f"CB{i:03d}", "Cán bộ đệm " * 10, "SNV", "cán bộ", *[""] * 7]
              for i in range(100)]
    value = "Trần_x0000_Bình" if name.endswith(".xlsx") else "Trần\x00Bình"
    result = run([*filler, ["CB999", value, "SNV", "cán bộ", *[""] * 7]], name=name)
    assert result.ok, result.errors
    assert official("CB999").full_name == "TrầnBình"


def test_a_cell_over_the_csv_modules_limit_is_a_row_error(app, units):
    """Found by fuzzing: csv raised on a cell over 128 KB (a 500); now the row says it."""
    with app.test_request_context():
        result = run([["CB1", "A" * 200_000, "SNV", "cán bộ", *[""] * 7]])
    assert result.errors == ["dòng 2, full_name: dài quá 255 ký tự"]


ERRORS = [
    (["CB1", "", "SNV", "cán bộ", "", "", "", "", "", "", ""],
     "dòng 2, full_name: bắt buộc, không được để trống"),
    (["CB1", "A", "KHONG", "cán bộ", "", "", "", "", "", "", ""],
     "dòng 2, unit_code: không có đơn vị 'KHONG' (nhập danh sách đơn vị trước)"),
    (["CB1", "A", "SNV", "thực tập sinh", "", "", "", "", "", "", ""],
     "dòng 2, category: 'thực tập sinh' không hợp lệ cho loại cán bộ (dùng Cán bộ, "
     "Công chức, Viên chức, Người lao động)"),
    (["CB1", "A", "SNV", "", "", "", "", "", "", "", ""],
     "dòng 2, category: bắt buộc, không được để trống"),
    (["CB1", "A", "SNV", "cán bộ", "", "có lẽ", "", "", "", "", ""],
     "dòng 2, is_leader: 'có lẽ' không phải có/không (dùng có/không, x, 1/0, true/false)"),
    (["CB1", "A", "SNV", "cán bộ", "", "", "", "khong-phai-email", "", "", ""],
     "dòng 2, email: 'khong-phai-email' không phải địa chỉ email"),
    (["CB1", "A", "SNV", "cán bộ", "", "", "", "", "12ab", "", ""],
     "dòng 2, phone: '12ab' không phải số điện thoại"),
    (["CB1", "A", "SNV", "cán bộ", "", "", "", "", "", "về hưu sớm", ""],
     "dòng 2, status: 'về hưu sớm' không hợp lệ cho trạng thái (dùng Đang công tác, Nghỉ việc)"),
    (["CB1", "A", "SNV", "cán bộ", "", "", "", "", "", "nghỉ việc", "31/02/2026"],
     "dòng 2, left_on: '31/02/2026' không phải là ngày có thật"),
    (["CB1", "A", "SNV", "cán bộ", "", "", "", "", "", "nghỉ việc", "tháng 3"],
     "dòng 2, left_on: 'tháng 3' không phải là ngày (dùng DD/MM/YYYY hoặc YYYY-MM-DD)"),
    (["CB1", "A", "SNV", "cán bộ", "", "", "", "", "", "", "01/01/2026"],
     "dòng 2, left_on: chỉ ghi ngày nghỉ khi trạng thái là nghỉ việc"),
]


@pytest.mark.parametrize(("row", "message"), ERRORS)
def test_each_error_names_its_row_and_column(app, units, row, message):
    with app.test_request_context():
        result = run([row])
    assert result.errors == [message]
    assert count() == 0


def test_duplicates_in_the_file_and_with_stored_emails(app, units):
    load_roster([["CB9", "Người cũ", "SNV", "cán bộ", "", "", "", "cu@example.vn", "", "", ""]])
    rows = [["CB1", "A", "SNV", "cán bộ", "", "", "", "a@example.vn", "", "", ""],
            ["CB1", "B", "SNV", "cán bộ", "", "", "", "", "", "", ""],
            ["CB2", "C", "SNV", "cán bộ", "", "", "", "a@example.vn", "", "", ""],
            ["CB3", "D", "SNV", "cán bộ", "", "", "", "CU@example.vn", "", "", ""]]
    with app.test_request_context():
        result = run(rows)
    assert result.errors == [
        "dòng 3, employee_code: mã cán bộ trùng với dòng 2",
        "dòng 4, email: email trùng với dòng 2",
        "dòng 5, email: email đã được dùng",  # never names another unit's official
    ]


def test_missing_required_column_is_reported_on_row_1(app, units):
    with app.test_request_context():
        result = run([["CB1", "A", "SNV"]], header=["employee_code", "full_name", "unit_code"])
    assert result.errors == ["dòng 1, Loại: thiếu cột bắt buộc (tên cột được chấp nhận: Loại, "
                             "category, loai)"]


def test_a_file_with_any_error_imports_nothing(units):
    rows = [["CB1", "Đúng", "SNV", "cán bộ", "", "", "", "", "", "", ""],
            ["CB2", "Sai", "KHONG", "cán bộ", "", "", "", "", "", "", ""]]
    result = run(rows)
    assert not result.ok and not result.applied
    db.session.commit()
    assert count() == 0


def test_reimport_changes_nothing_and_dry_run_changes_nothing(units):
    rows = [["CB1", "Nguyễn Văn An", "SNV", "cán bộ", "", "có", "", "", "", "", ""],
            ["CB2", "Lê Thị Bình", "X1", "công chức", "", "", "", "", "", "nghỉ việc", ""]]
    dry = run(rows, dry_run=True)
    db.session.commit()
    assert count() == 0 and dry.counts["created"] == 2
    load_roster(rows, today=TODAY)
    again = run(rows)
    assert again.counts["unchanged"] == 2 and again.summary() == (
        "0 created, 0 updated, 2 unchanged, 0 left")
    assert official("CB2").left_on == TODAY  # left without a date: the import day, kept


def test_updates_and_leaving_are_reported_and_nobody_is_deleted(units):
    load_roster([["CB1", "Nguyễn Văn An", "SNV", "cán bộ", "", "", "", "", "", "", ""],
                 ["CB2", "Lê Thị Bình", "X1", "công chức", "", "", "", "", "", "", ""]])
    result = run([["CB1", "Nguyễn Văn An", "X2", "cán bộ", "Trưởng phòng", "có", "", "", "", "",
                   ""],
                  ["CB2", "Lê Thị Bình", "X1", "công chức", "", "", "", "", "", "nghỉ việc",
                   "01/11/2026"]])
    db.session.commit()
    assert result.summary() == "0 created, 1 updated, 0 unchanged, 1 left"
    updated = next(c for c in result.changes if c.key == "CB1")
    assert updated.fields["unit_code"] == ("SNV", "X2")
    assert updated.fields["is_leader"] == (False, True)
    assert count() == 2
    assert official("CB2").status == "left" and official("CB2").left_on == date(2026, 11, 1)


def test_deactivate_missing_only_touches_the_files_units(units):
    load_roster([["CB1", "A", "SNV", "cán bộ", "", "", "", "", "", "", ""],
                 ["CB2", "B", "SNV", "cán bộ", "", "", "", "", "", "", ""],
                 ["CB3", "C", "X1", "cán bộ", "", "", "", "", "", "", ""]])
    result = run([["CB1", "A", "SNV", "cán bộ", "", "", "", "", "", "", ""]],
                 deactivate_missing=True)
    db.session.commit()
    assert result.counts["left"] == 1
    assert (official("CB2").status, official("CB2").left_on) == ("left", TODAY)
    assert official("CB3").status == "active"  # X1 was not in the file


def test_unit_manager_may_only_import_their_subtree(app, units):
    load_roster([["CB9", "Ở xã", "X1", "cán bộ", "", "", "", "", "", "", ""]])
    scope = unit_by_code("SNV")
    rows = [["CB1", "Trong phạm vi", "SNV-TC", "cán bộ", "", "", "", "", "", "", ""],
            ["CB2", "Ngoài phạm vi", "X1", "cán bộ", "", "", "", "", "", "", ""],
            ["CB9", "Chuyển về sở", "SNV", "cán bộ", "", "", "", "", "", "", ""]]
    with app.test_request_context():
        result = run(rows, scope=scope)
    assert result.errors == [
        "dòng 3, unit_code: đơn vị X1 nằm ngoài phạm vi bạn quản lý",
        "dòng 4, employee_code: mã cán bộ CB9 đã được dùng",  # never where
    ]
    assert run(rows[:1], scope=scope).ok


def test_cli_dry_run_and_import(runner, units, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes(csv_bytes([ROSTER_HEADER,
                                ["CB1", "A", "SNV", "cán bộ", "", "", "", "", "", "", ""]]))
    dry = runner.invoke(args=["officials", "import", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "row 2: added CB1 A" in dry.output
    assert "Dry run, nothing changed. Would import 1 row(s): 1 created" in dry.output
    assert count() == 0
    real = runner.invoke(args=["officials", "import", str(path)])
    assert "Imported 1 row(s): 1 created, 0 updated, 0 unchanged, 0 left." in real.output
    assert count() == 1
