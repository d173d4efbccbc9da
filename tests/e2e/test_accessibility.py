"""axe-core finds no serious or critical accessibility problem on the pages people
use: catalogue, course, lesson, quiz and its result, reports, units, imports and
every form, including forms showing their errors."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lms.auth.activation import invite
from lms.extensions import db
from lms.org.models import Official
from tests.builders import WRONG_ANSWERS, load_roster, load_units, make_user
from tests.e2e.conftest import enter_recovery_code, login, serious_violations, set_up_two_factor


@pytest.fixture
def people(live_server):
    with live_server.app.app_context():
        load_units()
        load_roster([["CB-1", "Lê Thị Xã", "X1", "công chức", "", "", "", "a@x.example", "",
                      "", ""]])
        make_user("admin", email="admin@tinh.example", password="mat-khau-quan-tri")
        make_user("citizen", email="dan@example.vn", password="mat-khau-nguoi-dan")
        [invitation] = invite([db.session.scalar(select(Official))])
        db.session.commit()
        # Classroom training declared by HR: a class and a record without one (the
        # review pages), ids 1 in this fresh database.
        from lms.org.imports import run_import
        from tests.builders import csv_bytes

        result = run_import("training", "lop.csv", csv_bytes([
            ["Mã cán bộ", "Khóa học", "Ngày hoàn thành", "Nguồn", "Đơn vị tổ chức",
             "Số quyết định mở lớp", "Lớp từ ngày", "Lớp đến ngày"],
            ["CB-1", "ky-nang-so-co-ban", "15/05/2026", "Lớp CĐS", "UBND xã", "QĐ 1/UBND",
             "12/05/2026", "15/05/2026"],
            ["CB-1", "van-ban-dien-tu", "16/05/2026", "Tự học", "", "", "", ""]]))
        assert result.ok, result.errors
        db.session.commit()
        return invitation.token


def check(page, url: str, findings: dict[str, list[str]]) -> None:
    if url:
        assert page.goto(url).ok, url
    found = serious_violations(page)
    if found:
        findings[page.url] = found


def test_no_serious_or_critical_violations(browser, live_server, people):
    base = live_server.url
    findings: dict[str, list[str]] = {}
    for width in (360, 1280):
        context = browser.new_context(viewport={"width": width, "height": 800}, locale="vi-VN")
        page = context.new_page()
        for path in ("/", "/courses/", "/login", "/register", "/verify", "/privacy", "/help",
                     f"/activate/{people}", "/password/forgot"):
            check(page, base + path, findings)
        # Forms with their errors showing.
        page.goto(base + "/register")
        page.get_by_role("button", name="Đăng ký").click()
        expect(page.locator("p.error").first).to_be_visible()
        check(page, "", findings)
        page.goto(base + "/login")
        page.get_by_label("Email, số điện thoại hoặc mã cán bộ").fill("dan@example.vn")
        page.get_by_label("Mật khẩu").fill("sai-mat-khau")
        page.locator("main").get_by_role("button", name="Đăng nhập").click()
        check(page, "", findings)

        # Remembered, so that /account/devices lists a device with its sign-out button.
        page.get_by_label("Email, số điện thoại hoặc mã cán bộ").fill("dan@example.vn")
        page.get_by_label("Mật khẩu").fill("mat-khau-nguoi-dan")
        page.get_by_label("Ghi nhớ đăng nhập trên máy này").check()
        page.locator("main").get_by_role("button", name="Đăng nhập").click()
        page.wait_for_url(lambda address: "/login" not in address)
        for path in ("/my", "/account", "/account/two-factor", "/account/two-factor/setup",
                     "/account/password", "/account/data", "/account/devices",
                     "/courses/ky-nang-so-co-ban",
                     "/courses/ky-nang-so-co-ban/lessons/thiet-bi",
                     "/courses/ky-nang-so-co-ban/quiz"):
            check(page, base + path, findings)
        for qid, value in WRONG_ANSWERS.items():
            box = page.locator(f"input[name='q-{qid}']")
            if box.first.get_attribute("type") == "text":
                box.fill(value)
            else:
                for choice in value if isinstance(value, list) else [value]:
                    page.check(f"input[name='q-{qid}'][value='{choice}']")
        page.get_by_role("button", name="Nộp bài").click()
        page.wait_for_url(re.compile(r"/attempts/"))
        check(page, "", findings)  # the graded attempt with explanations
        page.get_by_role("button", name="Đăng xuất").click()

        # Two-factor set-up (the first sign-in of an admin), its recovery codes, and the
        # code asked at the next sign-in.
        login(page, base, "admin@tinh.example", "mat-khau-quan-tri", second_factor=False)
        if "/login/two-factor" in page.url:  # set up at the first width already
            check(page, "", findings)
            enter_recovery_code(page, base, "admin@tinh.example")
        else:
            check(page, "", findings)
            set_up_two_factor(page, base, "admin@tinh.example",
                              on_codes=lambda codes_page: check(codes_page, "", findings))
        for path in ("/account", "/account/two-factor", "/admin/two-factor",
                     "/reports", "/reports?unit=X1", "/reports/untrained?unit=X1",
                     "/reports/learners", "/units/NA", "/units/X1", "/imports/officials",
                     "/admin/audit", "/review", "/review/records", "/review/classes/1",
                     "/classes", "/classes/1", "/classes/records", "/imports/training",
                     "/community", "/community/c/X1", "/community/c/X1/citizens",
                     "/community/c/X1/register", "/community/c/X1/classes/new",
                     "/community/c/X1/classes/import", "/community/population/import",
                     "/community/activate"):
            check(page, base + path, findings)
        page.goto(base + "/community/c/X1/classes/new")
        page.get_by_role("button", name="Ghi lớp").click()  # nothing filled in: errors
        check(page, "", findings)
        page.goto(base + "/classes/1")
        page.get_by_role("button", name="Đính kèm bản quét").click()  # no file chosen
        check(page, "", findings)
        page.goto(base + "/imports/officials")
        page.get_by_role("button", name="Tải lên và xem trước").click()  # no file chosen
        check(page, "", findings)
        # Issue 16 (points 6, 7): links replaced, course codes, API tokens (a new one
        # shown once, then the form's errors).
        for path in ("/units/NA/invitations", "/imports/courses", "/admin/tokens"):
            check(page, base + path, findings)
        page.get_by_label("Tên hệ thống dùng mã").fill(f"Hệ thống {width}")
        page.get_by_label("Mã đơn vị (phạm vi dữ liệu)").fill("NA")
        page.get_by_role("button", name="Tạo mã").click()
        expect(page.locator("#new-token")).to_be_visible()
        check(page, "", findings)
        page.get_by_role("button", name="Tạo mã").click()  # nothing filled in
        expect(page.locator(".error-summary")).to_be_visible()
        check(page, "", findings)
        context.close()
    assert findings == {}, "\n".join(f"{url}\n  " + "\n  ".join(lines)
                                     for url, lines in findings.items())
