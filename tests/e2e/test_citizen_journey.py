"""Journey 1: a citizen on a phone registers, learns, fails, passes, verifies."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.builders import RIGHT_ANSWERS, WRONG_ANSWERS
from tests.e2e.conftest import shot


def answer(page, answers: dict) -> None:
    for qid, value in answers.items():
        if isinstance(value, list):
            for choice in value:
                page.check(f"input[name='q-{qid}'][value='{choice}']")
        elif page.locator(f"input[type=text][name='q-{qid}']").count():
            page.fill(f"input[name='q-{qid}']", value)
        else:
            page.check(f"input[name='q-{qid}'][value='{value}']")
    page.get_by_role("button", name="Nộp bài").click()


def test_citizen_registers_learns_passes_and_verifies_on_a_phone(phone, live_server):
    page = phone
    page.goto(live_server.url + "/register")
    page.get_by_label("Họ và tên (hoặc tên doanh nghiệp)").fill("Lò Thị Mai")
    page.get_by_label("Số điện thoại").fill("0987 111 222")
    page.get_by_label("Mật khẩu (ít nhất 8 ký tự)").fill("hoc-so-moi-ngay")
    page.get_by_label("Nhập lại mật khẩu").fill("hoc-so-moi-ngay")
    page.get_by_label("Tôi đã đọc và đồng ý với Thông báo xử lý dữ liệu cá nhân").check()
    shot(page, "journey1-register")
    page.get_by_role("button", name="Đăng ký").click()
    page.wait_for_url(re.compile(r"/courses/$"))

    # Typed without diacritics, as on a phone keyboard.
    page.get_by_label("Tìm khóa học (có thể gõ không dấu)").fill("ky nang so")
    page.get_by_role("button", name="Lọc").click()
    page.get_by_role("link", name="Kỹ năng số cơ bản").click()
    page.get_by_role("link", name="Bắt đầu học").click()
    shot(page, "journey1-lesson")
    for _ in range(3):
        page.get_by_role("button", name="Đánh dấu đã học").click()
    page.wait_for_url(re.compile(r"/quiz$"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scroll
    shot(page, "journey1-quiz")

    answer(page, WRONG_ANSWERS)
    expect(page.get_by_text("Chưa đạt")).to_be_visible()  # waits for the result page
    # Unlimited immediate retries of the same questions: the score and what to review,
    # never which question was wrong (tests/learning/test_feedback.py).
    assert page.get_by_text("Nội dung cần ôn lại").is_visible()
    assert page.get_by_text("B là đúng.").count() == 0
    page.get_by_role("link", name="Làm lại bài kiểm tra").click()
    answer(page, RIGHT_ANSWERS)
    expect(page.get_by_text("Chúc mừng, bạn đã đạt!")).to_be_visible()
    assert page.get_by_text("B là đúng.").is_visible()  # explanations after a pass
    page.get_by_role("link", name="Xem chứng nhận").click()
    code = page.locator(".cert-code strong").inner_text()
    assert page.get_by_text("Lò Thị Mai").is_visible()
    assert page.get_by_text("(tự khai)").is_visible()  # a citizen's name is self-declared
    shot(page, "journey1-certificate")

    page.get_by_role("button", name="Đăng xuất").click()
    page.goto(live_server.url + "/verify")
    page.get_by_label("Mã xác thực in trên chứng nhận").fill(code.lower())
    page.get_by_role("button", name="Kiểm tra").click()
    expect(page.get_by_text("Chứng nhận hợp lệ.")).to_be_visible()
    assert page.get_by_text("Kỹ năng số cơ bản").first.is_visible()
    shot(page, "journey1-verified")
