"""Templates' _() keeps the catalogue per request (lms/util/i18n.request_translations)
and still follows force_locale and refresh, as e-mails in the reader's language need."""

from __future__ import annotations

from flask import render_template_string, session
from flask_babel import force_locale, refresh

TEMPLATE = "{{ _('Đăng xuất') }}"


def test_template_text_follows_forced_and_refreshed_languages(app):
    with app.test_request_context("/"):
        assert render_template_string(TEMPLATE) == "Đăng xuất"
        with force_locale("en"):
            assert render_template_string(TEMPLATE) == "Sign out"
        assert render_template_string(TEMPLATE) == "Đăng xuất"
        session["lang"] = "en"
        refresh()
        assert render_template_string(TEMPLATE) == "Sign out"
