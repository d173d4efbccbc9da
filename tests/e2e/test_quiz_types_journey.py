"""A browser journey answers a matching and a numerical question by keyboard, in a
timed quiz: the start button, the countdown (static/js/quiz.js), list boxes chosen
with the arrow keys and a number typed with a decimal comma."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from lms.extensions import db
from lms.learning.models import QuizAttempt
from tests.builders import make_user, write_course
from tests.e2e.conftest import login, serious_violations, shot
from tests.e2e.test_keyboard_journey import focused, tab_to

PAIRS = [["Khai sinh cho con", "Cổng Dịch vụ công quốc gia"],
         ["Tài khoản định danh điện tử", "Ứng dụng VNeID"],
         ["Báo tin nhắn lừa đảo", "Đầu số 156"]]
QUIZ = {
    "pass_percent": 100,
    "time_limit_minutes": 10,
    "questions": [
        {"id": "ghep-noi-lam", "type": "matching", "text": "Ghép mỗi việc với nơi làm việc đó.",
         "pairs": PAIRS, "distractors": ["Tổng đài 113"],
         "explanation": "Dịch vụ công trên Cổng, định danh trên VNeID, báo lừa đảo qua 156."},
        {"id": "ty-le", "type": "numerical",
         "text": "7 trên 20 cán bộ đã học xong. Bao nhiêu phần trăm (%)?", "answer": 35,
         "explanation": "7 / 20 = 0,35 = 35%."},
        {"id": "phi-giao-dich", "type": "numerical",
         "text": "Phí 0,5% của 700 nghìn đồng là bao nhiêu nghìn đồng?", "answer": 3.5,
         "explanation": "700 × 0,005 = 3,5 nghìn đồng."},
    ],
}
SELECTED = "() => { const el = document.activeElement; return el.options[el.selectedIndex].text; }"


@pytest.fixture
def e2e_courses(tmp_path):
    courses = tmp_path / "courses"
    write_course(courses, "ky-nang-so-co-ban", title="Kỹ năng số cơ bản",
                 audiences=["citizen", "official"], lessons=["Thiết bị"], quiz=QUIZ)
    return courses


def test_a_matching_and_a_numerical_question_answered_by_keyboard(browser, live_server):
    with live_server.app.app_context():
        make_user("citizen", email="ghep@example.vn", password="chi-dung-ban-phim")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = context.new_page()
    login(page, live_server.url, "ghep@example.vn", "chi-dung-ban-phim")
    page.goto(live_server.url + "/courses/ky-nang-so-co-ban/quiz")
    expect(page.get_by_text("Thời gian làm bài: 10 phút")).to_be_visible()
    tab_to(page, lambda f: f["tag"] == "button" and f["text"] == "Bắt đầu làm bài")
    page.keyboard.press("Enter")

    # The countdown, run by the static script (the page holds no inline script).
    countdown = page.locator("[data-quiz-countdown]")
    expect(countdown).to_be_visible()
    expect(countdown).to_have_text(re.compile(r"^Còn lại (10:00|9:[0-5]\d)$"))
    assert serious_violations(page) == []

    # Each left item's list box: Tab reaches it, the arrow keys choose.
    for i, (left, right) in enumerate(PAIRS):
        now = tab_to(page, lambda f, i=i: f["name"] == f"q-ghep-noi-lam.{i}")
        assert now["tag"] == "select" and now["label"] == left
        for _ in range(6):
            if page.evaluate(SELECTED) == right:
                break
            page.keyboard.press("ArrowDown")
        assert page.evaluate(SELECTED) == right
    now = tab_to(page, lambda f: f["name"] == "q-ty-le")
    page.keyboard.type("35")
    now = tab_to(page, lambda f: f["name"] == "q-phi-giao-dich")
    assert now["tag"] == "input"
    page.keyboard.type("3,5")  # the Vietnamese decimal comma
    assert focused(page)["value"] == "3,5"
    shot(page, "journey-quiz-types")

    tab_to(page, lambda f: f["tag"] == "button" and f["text"] == "Nộp bài")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Chúc mừng, bạn đã đạt!")).to_be_visible()
    expect(page.get_by_text("Đúng 3/3 câu (100%).")).to_be_visible()
    with live_server.app.app_context():
        attempt = db.session.scalar(db.select(QuizAttempt))
        assert attempt.passed and attempt.responses["phi-giao-dich"] == "3,5"
        assert attempt.submitted_at <= attempt.deadline
    context.close()
