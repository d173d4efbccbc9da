"""Journey (issue 16, points 5-8), at 360 and 1280 px: a business registers and sees
every mistake at once, linked from a summary; the help page and the footer; an HR
officer is told what new activation links replace before downloading them; the admin
creates, copies and revokes an API token, reads the audit log in words and copies a
course code for imports."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from lms.auth.activation import invite
from lms.extensions import db
from lms.org.logic import unit_by_code
from lms.org.models import Official
from tests.builders import load_roster, load_units, make_user
from tests.e2e.conftest import login, shot


def test_a_business_sees_every_mistake_at_once_then_registers(phone, live_server):
    with live_server.app.app_context():
        load_units()
    page = phone
    page.goto(live_server.url + "/register")
    page.get_by_label("Doanh nghiệp, hợp tác xã, hộ kinh doanh").check()
    page.get_by_label("Họ và tên (hoặc tên doanh nghiệp)").fill("HTX Chè Nghi Lộc")
    page.get_by_label("Email").fill("htx-che@example.vn")
    page.get_by_label("Xã, phường nơi bạn sống hoặc kinh doanh").fill("nghi")
    page.get_by_label("Mã số thuế").fill("2901234567")  # one digit off
    page.get_by_label("Mật khẩu (ít nhất 8 ký tự)").fill("hoc-ky-nang-so")
    page.get_by_role("button", name="Đăng ký").click()

    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading")).to_have_text(re.compile(r"Cần sửa \d+ mục"))
    for field in ("Xã, phường", "Loại hình", "Mã số thuế", "Nhập lại mật khẩu", "Tôi đã đọc"):
        expect(summary.get_by_role("link", name=re.compile(field))).to_be_visible()
    # What was typed is kept; the password is not.
    expect(page.get_by_label("Họ và tên (hoặc tên doanh nghiệp)")).to_have_value(
        "HTX Chè Nghi Lộc")
    expect(page.get_by_label("Mã số thuế")).to_have_value("2901234567")
    expect(page.get_by_label("Mật khẩu (ít nhất 8 ký tự)")).to_have_value("")
    shot(page, "forms-register-errors")
    summary.get_by_role("link", name=re.compile("Mã số thuế")).click()
    expect(page.get_by_label("Mã số thuế")).to_be_focused()

    page.get_by_label("Xã, phường nơi bạn sống hoặc kinh doanh").fill("Xã Nghi Lộc")
    page.get_by_label("Loại hình").select_option("cooperative")
    page.get_by_label("Mã số thuế").fill("2901234568")
    page.get_by_label("Mật khẩu (ít nhất 8 ký tự)").fill("hoc-ky-nang-so")
    page.get_by_label("Nhập lại mật khẩu").fill("hoc-ky-nang-so")
    page.get_by_label("Tôi đã đọc và đồng ý với Thông báo xử lý dữ liệu cá nhân").check()
    page.get_by_role("button", name="Đăng ký").click()
    page.wait_for_url(re.compile(r"/courses/(#\w+)?$"))  # the summary's anchor stays
    expect(page.get_by_text("Đăng ký thành công. Chào mừng bạn!")).to_be_visible()


def test_help_page_and_footer_say_who_runs_the_site_and_whom_to_call(phone, live_server):
    page = phone
    page.goto(live_server.url + "/")
    footer = page.locator("footer")
    expect(footer).to_contain_text("Cơ quan vận hành: Sở Khoa học và Công nghệ tỉnh Nghệ An")
    footer.get_by_role("link", name="Hướng dẫn và hỗ trợ").click()
    expect(page.get_by_role("heading", name="Quên mật khẩu")).to_be_visible()
    expect(page.get_by_role("heading", name="Liên hệ hỗ trợ")).to_be_visible()
    shot(page, "help-page")


def test_hr_is_told_which_links_stop_working_before_new_ones(browser, live_server):
    with live_server.app.app_context():
        load_units()
        load_roster([["CB-1", "Lê Thị Xã", "X1", "công chức", "", "", "", "", "", "", ""],
                     ["CB-2", "Hồ Văn Thôn", "X1", "cán bộ", "", "", "", "", "", "", ""]])
        make_user("unit_manager", email="tochuc@x1.example", password="mat-khau-to-chuc",
                  unit=unit_by_code("X1"))
        invite(list(db.session.query(Official).filter_by(employee_code="CB-1")))
        db.session.commit()
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN",
                                  accept_downloads=True)
    page = context.new_page()
    login(page, live_server.url, "tochuc@x1.example", "mat-khau-to-chuc")
    page.goto(live_server.url + "/units/X1")
    expect(page.get_by_text("chưa kích hoạt tài khoản")).to_have_count(2)
    page.get_by_role("link", name="Tải đường dẫn kích hoạt (CSV)").click()
    expect(page.get_by_text("1 đường dẫn đã gửi trước đây sẽ không dùng được nữa.")).to_be_visible()
    shot(page, "forms-activation-confirm")
    with page.expect_download() as download:
        page.get_by_role("button", name="Tạo và tải 2 đường dẫn").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert "Hết hạn (giờ Việt Nam)" in text and "UTC" not in text
    context.close()


def test_admin_manages_api_tokens_and_reads_the_log_in_words(browser, live_server):
    with live_server.app.app_context():
        load_units()
        make_user("admin", email="quantri@tinh.example", password="mat-khau-quan-tri")
        db.session.commit()
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    login(page, live_server.url, "quantri@tinh.example", "mat-khau-quan-tri")

    page.goto(live_server.url + "/admin/tokens")
    page.get_by_label("Tên hệ thống dùng mã").fill("Báo cáo Sở Nội vụ")
    page.get_by_label("Mã đơn vị (phạm vi dữ liệu)").fill("SNV")
    page.get_by_role("button", name="Tạo mã").click()
    token = page.locator("#new-token").inner_text()
    assert token.startswith("lms_")
    page.locator(".token-created").get_by_role("button", name="Sao chép").click()
    expect(page.get_by_text("Đã sao chép mã API")).to_be_attached()
    assert page.evaluate("navigator.clipboard.readText()") == token
    shot(page, "admin-token-created")
    page.goto(live_server.url + "/admin/tokens")
    assert token not in page.content()  # shown once
    page.get_by_role("button", name=re.compile("Thu hồi mã số")).click()
    expect(page.get_by_text(re.compile("Đã thu hồi lúc"))).to_be_visible()

    page.goto(live_server.url + "/admin/audit")
    table = page.locator("table")
    expect(table).to_contain_text("Tạo mã API")
    expect(table).to_contain_text("Thu hồi mã API")
    assert "token.create" not in table.inner_text() and "{" not in table.inner_text()
    shot(page, "admin-audit-words")

    page.goto(live_server.url + "/imports/courses")
    row = page.get_by_role("row", name=re.compile("Kỹ năng số cơ bản"))
    expect(row.locator("code")).to_have_text("ky-nang-so-co-ban")
    row.get_by_role("button", name=re.compile("Sao chép")).click()
    assert page.evaluate("navigator.clipboard.readText()") == "ky-nang-so-co-ban"
    shot(page, "admin-course-codes")
    context.close()
