"""Security headers on every kind of response, and templates that keep the CSP
possible: no inline script, no inline style, no event-handler attributes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lms import create_app
from lms.extensions import db
from lms.headers import CONTENT_SECURITY_POLICY
from lms.org.logic import unit_by_code
from lms.reports.tokens import create_token
from tests.builders import load_units
from tests.conftest import login

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


def assert_secure_headers(response) -> None:
    headers = response.headers
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("path", ["/", "/courses/", "/login", "/privacy", "/no-such-page",
                                  "/static/css/app.css", "/healthz", "/verify/KHONGCO"])
def test_anonymous_responses_carry_the_headers(client, path):
    response = client.get(path)
    assert_secure_headers(response)
    response.close()


def test_personal_pages_downloads_and_the_api_carry_them_and_are_not_cached(client, admin):
    load_units()
    login(client, "admin@example.vn")
    for path in ("/my", "/reports", "/reports/export.csv", "/reports/export.xlsx",
                 "/account/data.json"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_secure_headers(response)
        assert response.headers["Cache-Control"] == "no-store", path
        response.close()
    _, token = create_token(unit_by_code("NA"), "test")
    db.session.commit()
    api = client.get("/api/v1/reports/compliance",
                     headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200
    assert_secure_headers(api)
    assert api.headers["Cache-Control"] == "no-store"


def test_download_names_survive_any_unit_code(client, admin):
    load_units([["Mã đơn vị", "Tên đơn vị", "Cấp", "Mã đơn vị cấp trên"],
                ["SỞ;x\"y", "Sở Thử", "Tỉnh", ""]])
    login(client, "admin@example.vn")
    response = client.get("/reports/export.csv", query_string={"unit": 'SỞ;x"y'})
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    disposition.encode("latin-1")  # a header a real server can send
    assert disposition.startswith("attachment; filename=bao-cao-ky-nang-so-so-x-y-")
    assert "filename*=UTF-8''bao-cao-ky-nang-so-S%E1%BB%9E%3Bx%22y-" in disposition
    response.close()


def test_static_files_stay_cacheable(client):
    response = client.get("/static/css/app.css")
    assert "no-store" not in response.headers.get("Cache-Control", "")
    response.close()


@pytest.mark.parametrize("template", sorted(TEMPLATES.rglob("*.html")),
                         ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_templates_have_no_inline_script_style_or_handlers(template):
    text = template.read_text("utf-8")
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), "inline <script>"
    assert "<style" not in text, "inline <style>"
    assert not re.search(r"\sstyle\s*=", text), "style attribute"
    assert not re.search(r"\son[a-z]+\s*=", text), "event-handler attribute"
    assert "javascript:" not in text


@pytest.mark.parametrize("app_settings", [{"LMS_SERVER_NAME": "web-2:8001"}])
def test_a_named_app_server_names_itself_on_every_response(client):
    for path in ("/", "/login", "/no-such-page", "/static/css/app.css", "/healthz"):
        response = client.get(path)
        assert response.headers["X-LMS-Server"] == "web-2:8001", path
        response.close()


def test_no_server_name_no_header(client, monkeypatch, tmp_path):
    response = client.get("/")
    assert "X-LMS-Server" not in response.headers
    # The name comes from the environment, like every setting.
    monkeypatch.setenv("LMS_SERVER_NAME", " app-1 ")
    app = create_app({"LMS_ENV": "testing", "SECRET_KEY": "t",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'n.sqlite3'}"})
    assert app.config["LMS_SERVER_NAME"] == "app-1"
