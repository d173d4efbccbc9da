"""Journey 4: the admin opens the province report, drills down to a commune and
sees who is not trained yet and what each person is missing."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from lms.extensions import db
from tests.builders import load_roster, load_units, make_user
from tests.e2e.conftest import enter_recovery_code, login, set_up_two_factor, shot


def test_admin_drills_down_to_a_communes_untrained_list(browser, live_server):
    with live_server.app.app_context():
        load_units()
        load_roster([
            ["CB-1", "Nguyễn Văn Sở", "SNV", "công chức", "", "", "", "", "", "", ""],
            ["CB-2", "Lê Thị Xã", "X1", "công chức", "", "có", "", "", "", "", ""],
            ["CB-3", "Trần Văn Thôn", "X1", "cán bộ", "", "", "", "", "", "", ""],
        ])
        make_user("admin", email="admin@tinh.example", password="mat-khau-quan-tri")
        db.session.commit()
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = context.new_page()
    # First sign-in: the province's personal data waits behind two-factor set-up.
    login(page, live_server.url, "admin@tinh.example", "mat-khau-quan-tri",
          second_factor=False)
    assert "/account/two-factor/setup" in page.url
    page.goto(live_server.url + "/reports")  # refused until it is set up
    assert "/account/two-factor/setup" in page.url
    assert page.locator("svg.qr-code").is_visible()
    shot(page, "journey4-two-factor-setup")
    set_up_two_factor(page, live_server.url, "admin@tinh.example",
                      on_codes=lambda codes_page: shot(codes_page, "journey4-recovery-codes"))
    page.get_by_role("navigation", name="Điều hướng chính").get_by_role(
        "link", name="Báo cáo").click()
    expect(page.get_by_role("heading", name="Bồi dưỡng kỹ năng số: Tỉnh Nghệ An")).to_be_visible()
    shot(page, "journey4-province")

    page.get_by_role("link", name="Xã Nghi Lộc").first.click()
    page.wait_for_url(re.compile(r"unit=X1"))
    assert page.get_by_role("heading", name="Bồi dưỡng kỹ năng số: Xã Nghi Lộc").is_visible()
    page.get_by_role("link", name="còn thiếu: xem danh sách").click()
    expect(page.get_by_role("heading", name="Chưa được bồi dưỡng: Xã Nghi Lộc")).to_be_visible()
    rows = page.locator("main table tbody tr")
    assert rows.count() == 2
    assert page.get_by_text("Lê Thị Xã").is_visible()
    assert page.get_by_text("Trần Văn Thôn").is_visible()
    assert page.get_by_text("Nguyễn Văn Sở").count() == 0  # another unit
    assert page.get_by_text("Kỹ năng số cơ bản").first.is_visible()  # a missing course
    shot(page, "journey4-untrained")

    # Next time: the password, then a code (here a recovery code: the app's code of this
    # 30-second step was used for the set-up, and a code works once).
    page.get_by_role("button", name="Đăng xuất").click()
    login(page, live_server.url, "admin@tinh.example", "mat-khau-quan-tri",
          second_factor=False)
    assert "/login/two-factor" in page.url
    shot(page, "journey4-two-factor-code")
    enter_recovery_code(page, live_server.url, "admin@tinh.example")
    page.goto(live_server.url + "/reports?unit=X1")
    assert page.get_by_role("heading", name="Bồi dưỡng kỹ năng số: Xã Nghi Lộc").is_visible()
    context.close()
