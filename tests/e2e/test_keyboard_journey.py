"""Journey 5: keyboard only. Signing in and taking a quiz need no mouse, every
control is reached by Tab in a sensible order, and focus is always visible."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.builders import RIGHT_ANSWERS, make_user
from tests.e2e.conftest import shot

FOCUSED = """() => {
  const el = document.activeElement;
  const label = el.labels && el.labels.length ? el.labels[0].innerText.trim() : "";
  const style = getComputedStyle(el);
  return {tag: el.tagName.toLowerCase(), type: el.type || "", name: el.name || "",
          value: el.value || "", checked: !!el.checked, label: label,
          text: (el.innerText || "").trim(), id: el.id || "",
          outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2};
}"""


def focused(page) -> dict:
    return page.evaluate(FOCUSED)


def tab_to(page, wanted, limit: int = 60) -> dict:
    """Press Tab until ``wanted(focused element)`` holds; fail if it never does."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        if wanted(now):
            assert now["outline"], f"focus is not visible on {now}"
            return now
    raise AssertionError("never reached by Tab")


def test_sign_in_and_pass_a_quiz_with_the_keyboard_only(browser, live_server):
    with live_server.app.app_context():
        make_user("citizen", email="banphim@example.vn", password="chi-dung-ban-phim")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = context.new_page()
    page.goto(live_server.url + "/login")

    # First Tab: the skip link, which jumps over the header to the form.
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Bỏ qua, đến nội dung chính"
    page.keyboard.press("Enter")
    field = tab_to(page, lambda f: f["tag"] == "input" and f["type"] != "hidden", limit=1)
    assert field["label"] == "Email, số điện thoại hoặc mã cán bộ"
    page.keyboard.type("banphim@example.vn")
    assert tab_to(page, lambda f: True, limit=1)["label"] == "Mật khẩu"
    page.keyboard.type("chi-dung-ban-phim")
    shot(page, "journey5-login")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/my(#main)?$"))

    page.goto(live_server.url + "/courses/ky-nang-so-co-ban/quiz")
    # Radio groups: Tab enters the group, arrow keys choose. Checkboxes: Space.
    # Text answers: type. Questions come in a shuffled order on every attempt.
    answered: set[str] = set()
    while len(answered) < len(RIGHT_ANSWERS):
        now = tab_to(page, lambda f: f["name"].startswith("q-") and f["name"] not in answered)
        qid = now["name"][2:]
        want = RIGHT_ANSWERS[qid]
        if now["type"] == "radio":
            for _ in range(6):
                if focused(page)["value"] == want and focused(page)["checked"]:
                    break
                page.keyboard.press("ArrowDown")
            assert focused(page)["value"] == want and focused(page)["checked"]
        elif now["type"] == "checkbox":
            for _ in range(len(want) + 3):
                current = focused(page)
                if current["name"] != now["name"]:
                    break
                if current["value"] in want:
                    page.keyboard.press("Space")
                page.keyboard.press("Tab")
            page.keyboard.press("Shift+Tab")  # back onto the group's last box
        else:
            page.keyboard.type(want)
        answered.add(now["name"])
    checked = page.evaluate("[...document.querySelectorAll('input:checked')].map(i => i.value)")
    assert sorted(checked) == sorted(["1", "0", "2", "false"])
    shot(page, "journey5-quiz")

    assert tab_to(page, lambda f: f["tag"] == "button")["text"] == "Nộp bài"
    page.keyboard.press("Enter")
    expect(page.get_by_text("Chúc mừng, bạn đã đạt!")).to_be_visible()
    context.close()
