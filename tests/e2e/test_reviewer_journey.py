"""Journey 6: a province reviewer opens the queue of classroom training records HR
declared, approves one class, rejects one record with a reason, and sees the report's
verified / declared split change (issue 18, point 5)."""

from __future__ import annotations

import re
from datetime import date

from playwright.sync_api import expect
from sqlalchemy import select

from lms.auth.models import User
from lms.courses.logic import published_course_or_404
from lms.extensions import db
from lms.learning import logic as learning
from lms.org.imports import run_import
from lms.org.models import Official
from tests.builders import csv_bytes, load_roster, load_units, make_user
from tests.e2e.conftest import login, nav, shot

COURSES = ("ky-nang-so-co-ban", "van-ban-dien-tu")
HEADER = ["Mã cán bộ", "Khóa học", "Ngày hoàn thành", "Nguồn", "Đơn vị tổ chức",
          "Số quyết định mở lớp", "Lớp từ ngày", "Lớp đến ngày"]
CLASS = ["UBND xã Nghi Lộc", "125/QĐ-UBND", "12/05/2026", "15/05/2026"]


def split_of(page, unit: str) -> dict[str, str]:
    cell = page.locator(f"td.evidence-split[data-unit='{unit}']")
    return {kind: cell.locator(f"[data-kind='{kind}']").inner_text()
            for kind in ("verified", "declared", "online")}


def test_reviewer_approves_a_class_rejects_a_record_and_sees_the_split_change(
        browser, live_server):
    with live_server.app.app_context():
        load_units()
        load_roster([[f"CB-{n}", name, "X1", "công chức", "", "", "", "", "", "", ""]
                     for n, name in enumerate(["Lê Văn Một", "Hồ Thị Hai", "Phan Văn Ba",
                                               "Cao Thị Bốn", "Đậu Văn Năm", "Võ Thị Sáu"],
                                              start=1)])
        # CB-1 and CB-2 learned online; CB-3..CB-5 took the class; CB-6 declared a
        # classroom training without naming any class.
        for code in ("CB-1", "CB-2"):
            official = db.session.scalar(select(Official).where(Official.employee_code == code))
            user = User(full_name=official.full_name, role="official")
            db.session.add(user)
            db.session.flush()
            official.user_id = user.id
            for slug in COURSES:
                learning.record_completion(user, published_course_or_404(slug),
                                           on=date(2026, 3, 1))
        rows = [[f"CB-{n}", slug, "15/05/2026", "Lớp bồi dưỡng CĐS xã", *CLASS]
                for n in (3, 4, 5) for slug in COURSES]
        rows += [["CB-6", slug, "20/05/2026", "Tự học có hướng dẫn", "", "", "", ""]
                 for slug in COURSES]
        result = run_import("training", "lop.csv", csv_bytes([HEADER, *rows]))
        assert result.ok, result.errors
        make_user("province_reviewer", email="duyet@tinh.example", name="Người duyệt",
                  password="duyet-ho-so-2026")
        db.session.commit()

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = context.new_page()
    login(page, live_server.url, "duyet@tinh.example", "duyet-ho-so-2026")

    # Before: 6 trained in the commune, 4 of them on declared records, with a warning.
    nav(page, "Báo cáo")
    page.get_by_role("link", name="Xã Nghi Lộc").first.click()
    page.wait_for_url(re.compile(r"unit=X1"))
    assert split_of(page, "X1") == {"verified": "0 xác minh", "declared": "4 tự khai",
                                    "online": "2 trực tuyến"}
    expect(page.locator("#declared-warning")).to_contain_text("Xã Nghi Lộc")
    assert page.get_by_role("link", name="Tải báo cáo XLSX").count() == 0  # figures only
    shot(page, "journey6-report-before")

    # The queue: the class, its unit, its six declared records.
    nav(page, "Duyệt hồ sơ")
    expect(page.get_by_role("heading", name="Duyệt hồ sơ lớp tập huấn")).to_be_visible()
    queue = page.get_by_role("region", name="Các lớp có hồ sơ chờ xác minh")
    row = queue.get_by_role("row").filter(has_text="125/QĐ-UBND")
    expect(row).to_contain_text("Xã Nghi Lộc")
    expect(row.locator("td.num")).to_have_text("6")
    shot(page, "journey6-queue")
    row.get_by_role("link", name="125/QĐ-UBND").click()
    expect(page.get_by_role("heading", name="Lớp 125/QĐ-UBND")).to_be_visible()
    shot(page, "journey6-class")
    page.get_by_role("button", name="Xác minh cả lớp (6 hồ sơ)").click()
    expect(page.get_by_role("status").filter(has_text="Đã xác minh 6 hồ sơ.")).to_be_visible()
    expect(page.locator("main table .badge.done")).to_have_count(6)

    # One record without a class: rejected, with its reason.
    page.get_by_role("link", name="Duyệt hồ sơ lớp tập huấn").click()
    page.get_by_role("link", name="Xem hồ sơ không gắn lớp").click()
    record = page.get_by_role("row").filter(has_text="Võ Thị Sáu").filter(
        has_text="Văn bản điện tử")
    record.get_by_role("textbox").fill("Không có quyết định mở lớp hay danh sách lớp")
    shot(page, "journey6-reject")
    record.get_by_role("button", name=re.compile("^Từ chối hồ sơ của Võ Thị Sáu")).click()
    expect(page.get_by_role("status").filter(has_text="Đã từ chối 1 hồ sơ.")).to_be_visible()
    # The other record of CB-6 still waits; the rejected one left the list.
    expect(page.get_by_role("row").filter(has_text="Võ Thị Sáu")).to_have_count(1)

    # After: 5 trained (CB-6 lost a course), 3 on verified records, none declared.
    nav(page, "Báo cáo")
    page.get_by_role("link", name="Xã Nghi Lộc").first.click()
    page.wait_for_url(re.compile(r"unit=X1"))
    assert split_of(page, "X1") == {"verified": "3 xác minh", "declared": "0 tự khai",
                                    "online": "2 trực tuyến"}
    expect(page.locator("#declared-warning")).to_have_count(0)
    expect(page.locator("#evidence-summary")).to_contain_text("Trong số 5 đã bồi dưỡng")
    shot(page, "journey6-report-after")
    context.close()

    with live_server.app.app_context():
        from lms.learning.models import ExternalTraining

        statuses = sorted(db.session.scalars(select(ExternalTraining.status)))
        assert statuses == ["declared", "rejected"] + ["verified"] * 6
