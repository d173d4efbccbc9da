"""The help page and the footer name the operating agency and whom to call (issue 16,
point 8), from the environment's settings; contacts not set are left out."""

from __future__ import annotations

import pytest


def test_defaults_name_the_agency_and_invent_no_phone_number(client):
    page = client.get("/help").get_data(as_text=True)
    footer = page[page.index("<footer"):]
    assert "Cơ quan vận hành: <strong>Sở Khoa học và Công nghệ tỉnh Nghệ An</strong>" in footer
    assert "tel:" not in page and "mailto:" not in page
    for heading in ("Đăng ký tài khoản", "Quên mật khẩu", "Liên hệ hỗ trợ"):
        assert f">{heading}</h2>" in page
    assert 'href="/register"' in page and 'href="/password/forgot"' in page


@pytest.mark.parametrize("app_settings", [{
    "LMS_OPERATOR_NAME": "Trung tâm Chuyển đổi số tỉnh",
    "LMS_OPERATOR_ADDRESS": "Số 1, phường Thành Vinh",
    "LMS_SUPPORT_PHONE": "0238 3 123 456",
    "LMS_SUPPORT_EMAIL": "hotro@example.vn",
}])
def test_configured_contacts_are_in_every_footer_and_on_the_help_page(client):
    for path in ("/", "/login", "/help"):
        page = client.get(path).get_data(as_text=True)
        footer = page[page.index("<footer"):]
        assert "Trung tâm Chuyển đổi số tỉnh" in footer
        assert "Số 1, phường Thành Vinh" in footer
        assert 'href="tel:02383123456"' in footer and 'href="mailto:hotro@example.vn"' in footer
        assert 'href="/help"' in footer
    help_page = client.get("/help").get_data(as_text=True)
    main = help_page[help_page.index("<main"):help_page.index("</main>")]
    assert "0238 3 123 456" in main and "hotro@example.vn" in main
