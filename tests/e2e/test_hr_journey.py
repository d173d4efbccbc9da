"""Journey 3: a unit HR officer imports a roster from Excel, fixes the row the
preview rejects, confirms, and downloads the unit's XLSX report."""

from __future__ import annotations

from datetime import date

from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy import select

from lms.courses.logic import published_course_or_404
from lms.extensions import db
from lms.learning.models import ExternalTraining
from lms.org.imports import COLUMNS
from lms.org.models import Official, Unit
from tests.builders import load_roster, load_units, make_user, xlsx_bytes
from tests.e2e.conftest import login, nav, shot

HEADER = [c.label for c in COLUMNS["officials"]]  # as in the downloadable template


def roster_row(code: str, name: str, unit: str, category: str = "Công chức") -> list[str]:
    return [code, name, unit, category, "", "Không", "Không", "", "", "Đang công tác", ""]


def test_hr_officer_fixes_a_bad_row_imports_and_checks_the_xlsx_report(browser, live_server,
                                                                       tmp_path):
    with live_server.app.app_context():
        load_units()
        # Already on the roster and trained in a classroom course for both required courses.
        load_roster([["CB-CU", "Hồ Thị Cũ", "X1", "công chức", "", "", "", "", "", "", ""]])
        official = db.session.scalar(select(Official).where(Official.employee_code == "CB-CU"))
        for slug in ("ky-nang-so-co-ban", "van-ban-dien-tu"):
            db.session.add(ExternalTraining(official_id=official.id,
                                            course_id=published_course_or_404(slug).id,
                                            completed_on=date(2026, 3, 2), source="Lớp tập huấn"))
        x1 = db.session.scalar(select(Unit).where(Unit.code == "X1"))
        make_user("unit_manager", email="tochuc@nghiloc.example", password="to-chuc-xa-2026",
                  unit=x1)
        db.session.commit()

    bad = tmp_path / "danh-sach-can-bo.xlsx"
    rows = [HEADER, roster_row("CB-CU", "Hồ Thị Cũ", "X1"),
            roster_row("CB-101", "Phan Văn Một", "X1"),
            roster_row("CB-102", "Đậu Thị Hai", "X1", category="Hợp đồng ngắn hạn"),
            roster_row("CB-103", "Cao Văn Ba", "X1")]
    bad.write_bytes(xlsx_bytes(rows))

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = context.new_page()
    login(page, live_server.url, "tochuc@nghiloc.example", "to-chuc-xa-2026")
    nav(page, "Đơn vị")
    page.get_by_role("link", name="Nhập danh sách cán bộ").click()
    page.get_by_label("Tệp CSV hoặc XLSX").set_input_files(str(bad))
    shot(page, "journey3-upload")
    page.get_by_role("button", name="Tải lên và xem trước").click()

    # The error names the row as Excel numbers it, the column, and what is allowed.
    expect(page.get_by_role("alert")).to_contain_text("Tệp có 1 lỗi nên chưa nhập dòng nào.")
    error = page.locator("ul.errors li").first.inner_text()
    assert "dòng 4" in error and "Loại" in error and "Viên chức" in error, error
    shot(page, "journey3-error")

    rows[3] = roster_row("CB-102", "Đậu Thị Hai", "X1", category="Viên chức")
    fixed = tmp_path / "danh-sach-can-bo-da-sua.xlsx"
    fixed.write_bytes(xlsx_bytes(rows))
    page.get_by_role("link", name="Tải lên tệp đã sửa").click()
    page.get_by_label("Tệp CSV hoặc XLSX").set_input_files(str(fixed))
    page.get_by_role("button", name="Tải lên và xem trước").click()
    summary = page.locator("table.summary")
    expect(summary).to_be_visible()
    assert summary.get_by_role("row", name="Thêm mới").get_by_role("cell").inner_text() == "3"
    assert summary.get_by_role("row", name="Không đổi").get_by_role("cell").inner_text() == "1"
    assert page.locator("ul.changes").get_by_text("Đậu Thị Hai").is_visible()
    shot(page, "journey3-preview")
    page.get_by_role("button", name="Xác nhận nhập").click()
    expect(page.get_by_role("status").get_by_text("3").first).to_be_visible()
    assert page.get_by_text("Phan Văn Một").is_visible()  # on the unit page now

    nav(page, "Báo cáo")
    shot(page, "journey3-report")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Tải báo cáo XLSX").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    context.close()

    workbook = load_workbook(saved, read_only=True)
    sheet = workbook.worksheets[0]
    [x1_row] = [row for row in sheet.iter_rows(values_only=True) if row and row[0] == "X1"]
    # Four officials, one trained (the classroom records), 25 % (a fraction in a
    # percent-formatted cell, as Excel stores it), three remaining.
    assert x1_row[1].strip() == "Xã Nghi Lộc"
    assert x1_row[4:7] == (4, 1, 0.25)
    assert x1_row[8] == 3
    untrained = [row[1] for row in workbook.worksheets[1].iter_rows(values_only=True)]
    assert {"Phan Văn Một", "Đậu Thị Hai", "Cao Văn Ba"} <= set(untrained)
    assert "Hồ Thị Cũ" not in untrained
    workbook.close()
