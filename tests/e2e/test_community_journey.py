"""Journey: a commune's community digital team on a phone. The helper signs in,
registers a citizen who is present (consent witnessed, an activation code to print),
records an in-person class, and the commune's coverage moves."""

from __future__ import annotations

import re

from lms.community.models import CommunePopulation, TeamMember
from lms.extensions import db
from lms.org.logic import unit_by_code
from lms.util.time import local_today
from tests.builders import load_units, make_user
from tests.e2e.conftest import login, nav, serious_violations, shot


def test_helper_registers_a_citizen_and_records_a_class_on_a_phone(phone, live_server):
    with live_server.app.app_context():
        load_units()
        x1 = unit_by_code("X1")
        helper = make_user("community_helper", phone="0911222333", name="Vi Văn Tổ",
                           password="to-cong-nghe-so", unit=x1)
        db.session.add(TeamMember(unit_id=x1.id, full_name=helper.full_name, phone=helper.phone,
                                  team_role="leader", user_id=helper.id))
        db.session.add(CommunePopulation(unit_id=x1.id, year=2025, adults=20,
                                         source="UBND xã"))
        db.session.commit()
        today = local_today()
    page, base = phone, live_server.url
    login(page, base, "0911 222 333", "to-cong-nghe-so")
    nav(page, "Tổ công nghệ số")
    page.wait_for_url(re.compile(r"/community/c/X1$"))
    coverage = page.locator("[data-coverage]")
    assert re.search(r"^0% — 0 / 20", coverage.inner_text().strip())
    assert serious_violations(page) == []
    shot(page, "community-commune-before")

    page.get_by_role("link", name="Đăng ký cho người dân").click()
    page.get_by_label("Họ và tên").fill("Lò Văn Bản")
    page.get_by_label("Số điện thoại").fill("0977 555 666")
    page.get_by_label("Người dân đã nghe Thông báo xử lý dữ liệu cá nhân").check()
    shot(page, "community-register")
    page.get_by_role("button", name="Đăng ký").click()
    code = page.locator("[data-activation-code]").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{5}-[A-Z0-9]{5}", code)
    assert serious_violations(page) == []
    shot(page, "community-code")

    page.get_by_role("link", name="Xã Nghi Lộc").click()
    page.get_by_role("link", name="Ghi lớp học trực tiếp").click()
    page.get_by_label("Ngày học").fill(today.isoformat())
    page.get_by_label("Địa điểm").fill("Nhà văn hóa bản Na")
    page.get_by_label("Hoặc chủ đề (khi không theo khóa học nào)").fill("Cài đặt VNeID")
    page.get_by_label("Người dự lớp: số điện thoại hoặc số CCCD, mỗi dòng một người").fill(
        "0977555666")
    assert serious_violations(page) == []
    shot(page, "community-class")
    page.get_by_role("button", name="Ghi lớp").click()
    page.wait_for_url(re.compile(r"/community/c/X1$"))
    assert re.search(r"^5% — 1 / 20", page.locator("[data-coverage]").inner_text().strip())
    assert page.get_by_text("Nhà văn hóa bản Na").is_visible()
    shot(page, "community-commune-after")

    # The citizen's code works once: they choose a password and sign in.
    page.get_by_role("button", name="Đăng xuất").click()
    page.goto(base + "/community/activate")
    page.get_by_label("Mã kích hoạt (trên phiếu tổ công nghệ số đưa cho bạn)").fill(code)
    page.get_by_label("Mật khẩu mới (ít nhất 8 ký tự)").fill("ban-na-hoc-so")
    page.get_by_label("Nhập lại mật khẩu").fill("ban-na-hoc-so")
    page.get_by_role("button", name="Kích hoạt").click()
    page.wait_for_url(re.compile(r"/login$"))
    login(page, base, "0977555666", "ban-na-hoc-so")
    assert "/login" not in page.url
