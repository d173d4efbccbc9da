"""Passwords, throttling, sessions and cookies (issue 7, access control)."""

from __future__ import annotations

import importlib.util
import re

import pytest
from sqlalchemy import func, select

from lms import create_app
from lms.auth import logic
from lms.auth.models import User
from lms.config import ConfigError
from lms.extensions import db, limiter
from tests.builders import PASSWORD, make_user
from tests.conftest import csrf_token, login, post_form

REGISTER = {"kind": "citizen", "full_name": "Lò Văn Pả", "email": "pa@example.vn", "phone": "",
            "consent": "y"}


# Passwords ---------------------------------------------------------------------------------

@pytest.mark.parametrize("password", ["password123", "12345678", "anhyeuem123", "MATKHAU123",
                                      "Iloveyou1"])
def test_common_passwords_are_refused_whatever_the_case(app, password):
    with pytest.raises(logic.AccountError, match="mật khẩu phổ biến"):
        logic.check_password_policy(password)


@pytest.mark.parametrize("password", [
    "cây tre trăm đốt",        # lower case words with spaces: no composition rules
    "abcdefgh-nghe-an",
    "x" * 64,                  # at least 64 characters are accepted
    "mật khẩu dài " * 9,       # 117 characters, Vietnamese
])
def test_long_and_plain_passphrases_are_accepted(app, password):
    logic.check_password_policy(password)


def test_length_limits(app):
    with pytest.raises(logic.AccountError, match="ít nhất 8"):
        logic.check_password_policy("ngan-7c")
    with pytest.raises(logic.AccountError, match="tối đa 128"):
        logic.check_password_policy("y" * 129)


def test_registration_form_says_why_a_common_password_is_refused(client):
    page = post_form(client, "/register", {**REGISTER, "password": "password1",
                                           "confirm": "password1"}, token_from="/register")
    assert page.status_code == 200
    assert "nằm trong danh sách mật khẩu phổ biến" in page.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.email == "pa@example.vn")) is None


# Throttling --------------------------------------------------------------------------------

def failed_login(client, identifier: str):
    return login(client, identifier, "sai-mat-khau-roi")


def test_five_failures_lock_the_identifier_even_with_the_right_password(client, citizen):
    for _ in range(5):
        page = failed_login(client, "dan@example.vn")
        assert page.status_code == 200
    locked = login(client, "dan@example.vn")  # right password, but locked for a while
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) > 0
    text = locked.get_data(as_text=True)
    assert "Quá nhiều lần thử" in text and "Hãy thử lại sau" in text
    # Other people behind the same address can still sign in.
    other = make_user("citizen", email="hang@example.vn")
    assert login(client, other.email).status_code == 302


def test_the_lock_does_not_reveal_whether_an_account_exists(client, citizen):
    pages = {}
    for identifier in ("dan@example.vn", "khong-co@example.vn"):
        for _ in range(5):
            pages[identifier] = failed_login(client, identifier).get_data(as_text=True)
        assert failed_login(client, identifier).status_code == 429
    message = "Thông tin đăng nhập không đúng."
    assert all(message in page for page in pages.values())


def test_successful_logins_do_not_count_towards_the_lock(client, citizen):
    for _ in range(8):
        assert login(client, "dan@example.vn").status_code == 302
        post_form(client, "/logout", token_from="/my")


STRICT = {"LMS_LOGIN_LIMIT_PER_ADDRESS": "3 per minute",
          "LMS_REGISTER_LIMIT_PER_ADDRESS": "2 per hour", "LMS_ACTIVATE_LIMIT": "2 per hour"}


@pytest.mark.parametrize("app_settings", [STRICT])
def test_limits_per_address_for_login_registration_and_activation(client):
    for n in range(3):
        assert failed_login(client, f"nguoi{n}@example.vn").status_code == 200
    assert failed_login(client, "nguoi9@example.vn").status_code == 429  # address limit
    for _ in range(2):
        assert post_form(client, "/register", {**REGISTER, "password": "x"},
                         token_from="/register").status_code == 200
    assert post_form(client, "/register", REGISTER, token_from="/register").status_code == 429
    token_page = "/activate/khong-co-that"
    for _ in range(2):
        client.post(token_page, data={"csrf_token": csrf_token(client, "/login")})
    assert client.post(token_page, data={"csrf_token": csrf_token(client, "/login")}
                       ).status_code == 429
    assert client.get("/login").status_code == 200  # reading pages is never throttled


def test_storage_is_configurable(tmp_path, monkeypatch):
    monkeypatch.setenv("LMS_RATELIMIT_STORAGE_URI", "memory://")
    app = create_app({"LMS_ENV": "testing", "SECRET_KEY": "t",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'c.sqlite3'}"})
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    # Several workers share a Redis store; without the client library the app says
    # what to install instead of silently counting per process.
    monkeypatch.setenv("LMS_RATELIMIT_STORAGE_URI", "redis://cache.internal:6379/1")
    settings = {"LMS_ENV": "testing", "SECRET_KEY": "t",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'c.sqlite3'}"}
    if importlib.util.find_spec("redis") is None:
        with pytest.raises(ConfigError, match=r"lms\[redis\]"):
            create_app(settings)
    else:
        app = create_app(settings)
        assert type(limiter.storage).__name__.startswith("Redis")


# Sessions ----------------------------------------------------------------------------------

def signed_in(client) -> bool:
    return client.get("/my").status_code == 200


def second_browser(app, client):
    """Another browser holding a copy of this one's cookies (e.g. a stolen cookie)."""
    other = app.test_client()
    for cookie in client._cookies.values():
        other.set_cookie(cookie.key, cookie.value, domain=cookie.domain)
    return other


def test_logout_ends_copies_of_the_session_too(app, client, citizen):
    login(client, "dan@example.vn")
    copy = second_browser(app, client)
    assert signed_in(copy)
    post_form(client, "/logout", token_from="/my")
    assert not signed_in(client)
    assert not signed_in(copy)


def test_deactivation_and_role_change_end_sessions(app, client, citizen, runner):
    login(client, "dan@example.vn")
    assert signed_in(client)
    result = runner.invoke(args=["users", "deactivate", "dan@example.vn"])
    assert result.exit_code == 0, result.output
    assert not signed_in(client)
    assert login(client, "dan@example.vn").status_code == 200  # refused, same message

    make_user("citizen", email="lan@example.vn")
    login(client, "lan@example.vn")
    assert signed_in(client)
    logic.grant_role("lan@example.vn", "business")
    db.session.commit()
    assert not signed_in(client)


@pytest.mark.parametrize("app_settings", [{"LMS_ENV": "production"}])
def test_remember_me_cookie_is_short_secure_and_same_site_in_production(app):
    make_user("citizen", email="nho@example.vn")
    client = app.test_client()
    page = client.get("/login", base_url="https://lms.example").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/login", base_url="https://lms.example", data={
        "identifier": "nho@example.vn", "password": PASSWORD, "remember": "y",
        "csrf_token": token}, headers={"Referer": "https://lms.example/login"})
    assert response.status_code == 302
    cookies = response.headers.getlist("Set-Cookie")
    assert not any(c.startswith("remember_token=") for c in cookies)  # not Flask-Login's
    remember = next(c for c in cookies if c.startswith("lms_remember="))
    assert "Secure" in remember and "HttpOnly" in remember and "SameSite=Lax" in remember
    assert "Max-Age=604800" in remember  # and the server's token ends then too
    assert app.config["LMS_REMEMBER_DAYS"] == 7
    session = next(c for c in cookies if c.startswith("session="))
    assert "Secure" in session and "SameSite=Lax" in session


@pytest.mark.parametrize(("app_settings", "other_visitor_status"), [
    ({"LMS_PROXY_COUNT": 1, "LMS_LOGIN_LIMIT_PER_ADDRESS": "2 per minute"}, 200),
    ({"LMS_PROXY_COUNT": 0, "LMS_LOGIN_LIMIT_PER_ADDRESS": "2 per minute"}, 429)])
def test_behind_a_proxy_each_visitors_address_counts_separately(app, other_visitor_status):
    client = app.test_client()

    def attempt(visitor: str) -> int:
        token = csrf_token(client, "/login")
        return client.post("/login", headers={"X-Forwarded-For": visitor}, data={
            "identifier": f"{visitor}@example.vn", "password": "sai-mat-khau-roi",
            "csrf_token": token}).status_code

    assert [attempt("203.0.113.7") for _ in range(3)] == [200, 200, 429]
    # With the proxy trusted, another visitor is not locked out by the first one;
    # without it, every visitor looks like the proxy and shares one count.
    assert attempt("198.51.100.9") == other_visitor_status


def test_one_account_shares_one_lock_however_the_identifier_is_typed(client):
    make_user("citizen", phone="0912000001", email="Mai@Example.vn")
    for typed in ("0912000001", "+84912000001", "0912.000.001", "84 912 000 001",
                  "0912-000-001"):
        assert failed_login(client, typed).status_code == 200
    assert login(client, "0912 000 001").status_code == 429
    # The account's email is the same account: no five more guesses by email
    # (penetration test 2026-11), however the email is typed.
    for typed in ("MAI@example.vn", " mai@example.VN ", "mai@example.vn"):
        assert login(client, typed).status_code == 429


@pytest.mark.parametrize("app_settings", [{"LMS_ENV": "production"}])
def test_the_demo_with_its_public_passwords_refuses_production(app):
    result = app.test_cli_runner().invoke(args=["demo", "--if-empty"])
    assert result.exit_code == 1 and "LMS_ENV=production" in result.output
    assert db.session.scalar(select(User)) is None


def age_session(client, **seconds_ago) -> None:
    with client.session_transaction() as stored:
        for key, ago in seconds_ago.items():
            stored[key] = stored[key] - ago


def test_an_idle_or_too_old_session_ends_and_says_so(client, citizen):
    login(client, "dan@example.vn")
    age_session(client, seen_at=7 * 3600)
    assert signed_in(client)  # 7 hours idle: still fine (a long quiz); the clock restarts
    age_session(client, seen_at=8 * 3600 + 60)
    expired = client.get("/my")
    assert expired.status_code == 302 and "/login" in expired.headers["Location"]
    assert "Phiên đăng nhập đã hết hạn" in client.get("/login").get_data(as_text=True)
    assert not signed_in(client)

    login(client, "dan@example.vn")
    age_session(client, login_at=13 * 3600)  # active all day, but over 12 hours old
    assert not signed_in(client)


def test_failed_logins_and_refusals_are_logged_without_the_password(client, citizen, caplog):
    caplog.set_level("INFO", logger="lms.auth")
    failed_login(client, "dan@example.vn")
    login(client, "dan@example.vn")
    client.get("/reports")  # a citizen: refused
    text = caplog.text
    assert "login failed key=email from 127.0.0.1" in text
    assert "login ok user=" in text
    assert "access refused: GET /reports" in text
    assert "sai-mat-khau-roi" not in text and "dan@example.vn" not in text


@pytest.mark.parametrize("app_settings", [{"LMS_REGISTER_LIMIT_PER_ACCOUNT": "2 per hour",
                                           "LMS_ACTIVATE_LIMIT_PER_LINK": "2 per hour"}])
def test_registration_and_activation_are_also_limited_per_account_and_link(app):
    for attempt, visitor in enumerate(("203.0.113.1", "203.0.113.2", "203.0.113.3")):
        client = app.test_client()  # a new browser (and address) each time
        client.environ_base["REMOTE_ADDR"] = visitor
        page = post_form(client, "/register", {**REGISTER, "phone": "",
                                               "email": "PA@example.vn" if attempt else
                                               "pa@example.vn", "password": "x"},
                         token_from="/register")
        assert page.status_code == (429 if attempt == 2 else 200)
        other = post_form(client, "/activate/mot-duong-dan", {"password": "x"},
                          token_from="/login")
        assert other.status_code == (429 if attempt == 2 else 410)


def test_signing_in_gives_a_new_csrf_secret(client):
    from tests.builders import make_user
    make_user("citizen", email="dan@example.vn")
    before = csrf_token(client, "/login")
    with client.session_transaction() as session:
        secret_before = session["csrf_token"]
    assert login(client, "dan@example.vn").status_code == 302
    with client.session_transaction() as session:
        assert session.get("csrf_token") != secret_before
    # A form token handed out before sign-in no longer works after it.
    stale = client.post("/account/password", data={"csrf_token": before})
    assert stale.status_code == 400


def test_a_new_secret_key_ends_sessions_unless_the_old_one_is_kept_as_a_fallback(
        app, client, citizen):
    # The session cookie's signer is built once per set of keys (lms.SessionCookies):
    # a key rotated in the running app must still take effect at once.
    login(client, "dan@example.vn")
    old = app.secret_key
    app.config["SECRET_KEY"] = "k" * 64
    assert not signed_in(client)  # signed with the old key: refused
    login(client, "dan@example.vn")
    app.config["SECRET_KEY"] = "n" * 64
    app.config["SECRET_KEY_FALLBACKS"] = ["k" * 64]
    assert signed_in(client)  # the previous key, kept as a fallback, still verifies
    app.config["SECRET_KEY"], app.config["SECRET_KEY_FALLBACKS"] = old, []


def test_a_verified_session_cookie_still_expires_with_the_session_lifetime(
        app, client, citizen, monkeypatch):
    # lms.SessionCookies keeps the cookies it verified (a learner sends the same one on
    # every click): a kept cookie must still expire as Flask's own check would.
    import time
    from datetime import timedelta

    login(client, "dan@example.vn")
    assert signed_in(client) and signed_in(client)  # the second one is the kept cookie
    app.permanent_session_lifetime = timedelta(seconds=30)
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 31)
    assert not signed_in(client)


def test_a_session_changed_by_one_tab_leaves_the_same_cookie_as_it_was(app, client):
    # Two tabs send the same cookie; one switches the language (a new cookie for it):
    # the other's cookie, verified and kept before, still reads as it was signed.
    client.get("/")
    client.post("/lang", data={"lang": "en", "next": "/"})  # a cookie with the language
    english = client.get_cookie("session").value
    assert '<html lang="en">' in client.get("/courses/").get_data(as_text=True)
    client.post("/lang", data={"lang": "vi", "next": "/"})
    assert '<html lang="vi">' in client.get("/courses/").get_data(as_text=True)
    client.set_cookie("session", english)  # the other tab, still holding the first one
    assert '<html lang="en">' in client.get("/courses/").get_data(as_text=True)
    with client.session_transaction() as stored:
        assert stored["lang"] == "en"


def test_session_protection_checks_signed_in_browsers_and_skips_empty_sessions(
        app, client, citizen, monkeypatch):
    """Flask-Login binds a session to the browser's address and agent; lms skips hashing
    them for a visitor with an empty session (there is nothing to protect), and still
    checks every signed-in request: a session moved to another browser is no longer
    fresh, so pages that ask for a fresh sign-in ask again."""
    from lms.extensions import login_manager

    identifiers = []
    real = login_manager._session_identifier_generator

    def counted():
        identifiers.append(1)
        return real()

    monkeypatch.setattr(login_manager, "_session_identifier_generator", counted)
    assert client.get("/courses/").status_code == 200
    assert identifiers == []
    login(client, citizen.email)
    assert client.get("/my").status_code == 200
    assert identifiers
    with client.session_transaction() as stored:
        assert stored.get("_fresh") is True
    monkeypatch.setattr(login_manager, "_session_identifier_generator", lambda: "elsewhere")
    client.get("/my")
    with client.session_transaction() as stored:
        assert stored.get("_fresh") is False


def test_the_session_account_is_read_on_the_cursor_and_acts_as_the_orm_loaded_it(
        app, citizen):
    """Each signed-in request reads its account on the driver's cursor: the object has
    the ORM's types and values, is in the request's session with no pending change,
    and what the request then changes is written as an update."""
    from sqlalchemy import inspect

    from tests.conftest import statements

    user_id, version = citizen.id, citizen.session_version
    expected = {c.key: getattr(citizen, c.key) for c in User.__table__.columns}
    db.session.remove()
    with statements() as seen:
        user = logic.load_session_user(f"{user_id}:{version}")
    assert len(seen) == 1 and "FROM users" in seen[0]
    assert {c.key: getattr(user, c.key) for c in User.__table__.columns} == expected
    assert type(user.created_at).__name__ == "datetime" and user.is_active is True
    state = inspect(user)
    assert state.persistent and not db.session.dirty and not db.session.new
    assert logic.load_session_user(f"{user_id}:{version}") is user  # read once a session
    assert logic.load_session_user(f"{user_id}:{version + 1}") is None  # signed out
    user.full_name = "Lò Thị Pả"
    db.session.commit()
    db.session.remove()
    assert db.session.get(User, user_id).full_name == "Lò Thị Pả"
    assert db.session.scalar(select(func.count()).select_from(User)) == 1
