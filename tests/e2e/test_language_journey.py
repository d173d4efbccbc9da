"""A visitor switches the site to English and back from a kept anonymous page.

The header's language switch carries no CSRF token (lms/main/views.set_language), so
that anonymous pages can be sent as they were kept; a real browser's switch (Fetch
Metadata: same-origin) must still work, and the kept Vietnamese page must not leak
into the English session."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import shot


def test_a_visitor_switches_the_language_on_a_kept_page(phone, live_server):
    page = phone
    page.goto(live_server.url + "/courses/")
    page.goto(live_server.url + "/courses/")  # the second visit is the kept copy
    assert page.context.cookies() == []  # an anonymous page sets no cookie
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert page.url.endswith("/courses/")
    shot(page, "language-english-catalogue")
    page.goto(live_server.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("button", name="Tiếng Việt").click()
    expect(page.locator("html")).to_have_attribute("lang", "vi")
