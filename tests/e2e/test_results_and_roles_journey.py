"""Issue 16, points 1 and 4, in the browser at 360 and 1280 px: the quiz counts answers
and asks before blanks are submitted (with script, and without: the server asks), the
result says what was chosen and the right answer; each role lands on its own page, the
header's menu folds on a phone and opens by keyboard, "Khóa học của tôi" puts the
overdue course first. Screenshots kept, axe-core clean."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from lms.auth.activation import activate, invite
from lms.extensions import db
from lms.org.logic import unit_by_code
from lms.org.models import Official
from lms.util.time import local_today
from tests.builders import load_roster, load_units, make_user
from tests.e2e.conftest import axe_clean, login, shot

QUIZ = "/courses/ky-nang-so-co-ban/quiz"


def answer(page, qid: str, value) -> None:
    box = page.locator(f"input[name='q-{qid}']")
    if box.first.get_attribute("type") == "text":
        box.fill(value)
    else:
        for choice in value if isinstance(value, list) else [value]:
            page.check(f"input[name='q-{qid}'][value='{choice}']")


def test_quiz_counts_asks_before_blanks_and_explains_each_answer(phone, live_server):
    page, base = phone, live_server.url
    findings: dict[str, list[str]] = {}
    with live_server.app.app_context():
        make_user("citizen", email="hoc@example.vn", password="mat-khau-hoc-vien")
    login(page, base, "hoc@example.vn", "mat-khau-hoc-vien")
    assert page.url.endswith("/my")  # a learner lands on their courses
    page.goto(base + QUIZ)
    count = page.locator("[data-quiz-count]")
    expect(count).to_have_text("Đã trả lời 0/5 câu.")
    answer(page, "mot", "1")
    answer(page, "ba", "false")
    answer(page, "bon", "156")
    expect(count).to_have_text("Đã trả lời 3/5 câu.")
    shot(page, "h4-quiz-count")

    # The browser asks first; "Hủy" keeps the learner on the page.
    asked: list[str] = []

    def dismiss(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.get_by_role("button", name="Nộp bài", exact=True).click()
    expect(count).to_be_visible()
    assert asked and asked[0].startswith("Bạn còn 2 câu chưa trả lời.")
    assert page.url.endswith(QUIZ)

    # Sent without the script's question (as a browser without script sends it): the
    # server asks, every answer kept.
    page.evaluate("document.querySelector('form.quiz').submit()")
    expect(page.get_by_text("Bạn còn 2 câu chưa trả lời:")).to_be_visible()
    assert page.locator("input[name='q-mot'][value='1']").is_checked()
    assert page.locator("input[name='q-bon']").input_value() == "156"
    expect(page.locator(".unanswered-note")).to_have_count(2)
    shot(page, "h4-quiz-blanks")
    axe_clean(page, findings, "quiz with blanks")

    answer(page, "hai", ["0", "2"])
    expect(count).to_have_text("Đã trả lời 4/5 câu.")
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="Nộp bài", exact=True).click()
    page.wait_for_url(re.compile(r"/attempts/"))
    assert asked[-1].startswith("Bạn còn 1 câu chưa trả lời.")
    result = page.locator("main").inner_text()
    assert "Đúng 4/5 câu (80%)." in result and "Chúc mừng, bạn đã đạt!" in result
    assert "Bạn bỏ trống 1 câu" in result
    assert "Đáp án: Sai" in result and "Bạn chọn: Sai" in result
    assert "Bạn trả lời: 156" in result and "Đáp án đúng: 156" in result
    assert "Chưa trả lời (không được tính điểm)." in result and "Đáp án đúng: VNeID" in result
    shot(page, "h4-quiz-result")
    axe_clean(page, findings, "quiz result")
    assert findings == {}, findings


def test_without_script_the_server_asks_before_blanks(browser, live_server):
    base = live_server.url
    with live_server.app.app_context():
        make_user("citizen", email="khongjs@example.vn", password="mat-khau-hoc-vien")
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN",
                                  java_script_enabled=False)
    page = context.new_page()
    login(page, base, "khongjs@example.vn", "mat-khau-hoc-vien")
    page.goto(base + QUIZ)
    expect(page.locator("[data-quiz-count]")).to_be_hidden()  # counted by the script only
    answer(page, "mot", "1")
    answer(page, "hai", ["0", "2"])
    page.get_by_role("button", name="Nộp bài", exact=True).click()
    expect(page.get_by_text("Bạn còn 3 câu chưa trả lời:")).to_be_visible()
    expect(page.locator("[data-quiz-count]")).to_have_text("Đã trả lời 2/5 câu.")
    assert page.locator("input[name='q-hai'][value='2']").is_checked()
    answer(page, "ba", "false")
    page.get_by_role("button", name="Vẫn nộp bài").click()
    page.wait_for_url(re.compile(r"/attempts/"))
    result = page.locator("main").inner_text()
    assert "Đúng 3/5 câu (60%)." in result and "Bạn bỏ trống 2 câu" in result
    context.close()


def test_each_role_lands_on_its_page_and_the_header_folds_on_a_phone(browser, live_server):
    base = live_server.url
    findings: dict[str, list[str]] = {}
    with live_server.app.app_context():
        load_units()
        # Required since 70 days ago: "Văn bản điện tử" (due in 60 days) is overdue by
        # 10, "Kỹ năng số cơ bản" (90 days) is due in 20.
        load_roster([["CB-7", "Hồ Thị Bảy", "X1", "công chức", "", "", "", "", "", "", ""]],
                    today=local_today() - timedelta(days=70))
        [invitation] = invite([db.session.scalar(select(Official))])
        activate(invitation.token, "mat-khau-can-bo")
        make_user("unit_manager", email="tochuc@xa.example", password="mat-khau-to-chuc",
                  unit=unit_by_code("X1"))
        make_user("admin", email="quantri@tinh.example", password="mat-khau-quan-tri")
        make_user("province_reviewer", email="duyet@tinh.example", password="mat-khau-duyet")
        db.session.commit()

    for width, who, password, landing in [
            (360, "tochuc@xa.example", "mat-khau-to-chuc", "/units/X1"),
            (1280, "quantri@tinh.example", "mat-khau-quan-tri", "/reports"),
            (360, "duyet@tinh.example", "mat-khau-duyet", "/review"),
            (360, "CB-7", "mat-khau-can-bo", "/my")]:
        context = browser.new_context(viewport={"width": width, "height": 800}, locale="vi-VN")
        page = context.new_page()
        login(page, base, who, password)
        assert page.url.split("?")[0].endswith(landing), (who, page.url)
        header = page.locator(".site-header").bounding_box()
        menu = page.locator("details.nav-menu")
        if width == 360:
            # Two short rows: the name, then the menu with language and sign-out.
            assert header["height"] < 120, header
            expect(menu).to_be_visible()
            expect(page.locator("nav.nav-wide")).to_be_hidden()
            page.locator("details.nav-menu > summary").focus()
            page.keyboard.press("Enter")  # opened by keyboard
            first = menu.get_by_role("link").first
            expect(first).to_be_visible()
            page.keyboard.press("Tab")
            assert page.evaluate("document.activeElement.closest('details.nav-menu') !== null")
            axe_clean(page, findings, f"menu open ({who})")
            page.keyboard.press("Shift+Tab")
            page.keyboard.press("Enter")  # and closed again
            expect(first).to_be_hidden()
        else:
            assert header["height"] < 110, header
            expect(menu).to_be_hidden()
            expect(page.locator("nav.nav-wide").get_by_role("link", name="Báo cáo")).to_be_visible()
        shot(page, f"h4-landing-{landing.strip('/').replace('/', '-')}")
        if who == "CB-7":
            cards = page.locator("li.my-course")
            expect(cards.first).to_contain_text("Văn bản điện tử")
            expect(cards.first).to_contain_text("Quá hạn 10 ngày")
            expect(cards.nth(1)).to_contain_text("Kỹ năng số cơ bản")
            expect(cards.nth(1)).to_contain_text("còn 20 ngày")
            expect(cards.first.get_by_role("link", name=re.compile("^Học ngay"))).to_be_visible()
            axe_clean(page, findings, "my courses")
        context.close()
    assert findings == {}, findings
