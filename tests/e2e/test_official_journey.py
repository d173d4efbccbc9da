"""Journey 2: an official activates their account and completes a required course."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from lms.auth.activation import invite
from lms.extensions import db
from lms.org.models import Official
from lms.util.time import local_today
from tests.builders import load_roster, load_units
from tests.e2e.conftest import shot


def test_official_activates_sees_due_dates_and_completes_a_course(phone, live_server):
    with live_server.app.app_context():
        load_units()
        load_roster([["CB-0042", "Vi Văn Thắng", "X1", "công chức", "Công chức văn phòng", "",
                      "", "thang@xa.example", "", "", ""]])
        official = db.session.scalar(select(Official).where(Official.employee_code == "CB-0042"))
        [invitation] = invite([official])
        db.session.commit()
        token = invitation.token
        today = local_today()

    page = phone
    page.goto(f"{live_server.url}/activate/{token}")
    assert page.get_by_text("Vi Văn Thắng").first.is_visible()
    page.get_by_label("Chọn mật khẩu (ít nhất 8 ký tự)").fill("mat-khau-cong-vu")
    page.get_by_label("Nhập lại mật khẩu").fill("mat-khau-cong-vu")
    page.get_by_role("button", name="Kích hoạt").click()
    page.wait_for_url(re.compile(r"/my$"))
    shot(page, "journey2-my-learning")

    due = (today + timedelta(days=60)).strftime("%d/%m/%Y")
    required = page.locator(".my-courses").first  # the courses to learn, most urgent first
    assert required.get_by_role("link", name="Văn bản điện tử", exact=True).is_visible()
    assert required.get_by_text(f"Hạn hoàn thành: {due}").is_visible()

    required.get_by_role("link", name="Văn bản điện tử", exact=True).click()
    page.get_by_role("link", name="Bắt đầu học").click()
    page.get_by_role("button", name="Đánh dấu đã học").click()
    page.get_by_role("button", name="Đánh dấu đã học").click()
    page.wait_for_url(re.compile(r"/certificates/"))  # no quiz: done on the last lesson
    assert page.get_by_text("Vi Văn Thắng").is_visible()

    page.goto(live_server.url + "/my")
    card = page.locator(".my-courses .card.done")
    assert card.get_by_text("Văn bản điện tử").is_visible()
    assert card.get_by_text("Đã hoàn thành").is_visible()
    shot(page, "journey2-completed")

    # The link was single-use; the employee code signs in from now on.
    page.get_by_role("button", name="Đăng xuất").click()
    assert page.goto(f"{live_server.url}/activate/{token}").status == 410
    page.goto(live_server.url + "/login")
    page.get_by_label("Email, số điện thoại hoặc mã cán bộ").fill("CB-0042")
    page.get_by_label("Mật khẩu").fill("mat-khau-cong-vu")
    page.locator("main").get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(re.compile(r"/my$"))
