""""Ghi nhớ đăng nhập" ends on the server (penetration test 2026-11, finding
"remember-me without server-side expiry"): the cookie is a random selector and
secret whose token the server expires, rotates, lists and revokes."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
from flask_login.utils import encode_cookie
from sqlalchemy import func, select

from lms.auth import logic, remember
from lms.auth.models import RememberToken
from lms.extensions import db
from tests.builders import PASSWORD, make_user
from tests.conftest import pass_second_factor, post_form

COOKIE = remember.COOKIE_NAME
CHROME_ANDROID = ("Mozilla/5.0 (Linux; Android 14; SM-A155F) AppleWebKit/537.36 (KHTML, like "
                  "Gecko) Chrome/130.0.0.0 Mobile Safari/537.36")
FIREFOX_WINDOWS = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 "
                   "Firefox/132.0")


def remembered_login(app, identifier: str = "dan@example.vn", user_agent: str = CHROME_ANDROID,
                     remember_me: bool = True):
    """A browser signed in through the form, with "Ghi nhớ đăng nhập" ticked."""
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = user_agent
    form = {"identifier": identifier, "password": PASSWORD}
    if remember_me:
        form["remember"] = "y"
    response = post_form(client, "/login", form, token_from="/login")
    assert response.status_code == 302, identifier
    return client


def cookie_of(client) -> str | None:
    cookie = client.get_cookie(COOKIE)
    return cookie.value if cookie else None


def browser_with(app, value: str):
    """Another browser holding only this remember-me cookie, no session: a browser
    restarted, or one that a copied cookie was put into."""
    other = app.test_client()
    other.set_cookie(COOKIE, value)
    return other


def signed_in(client) -> bool:
    return client.get("/my").status_code == 200


def tokens() -> list[RememberToken]:
    db.session.expire_all()
    return list(db.session.scalars(select(RememberToken).order_by(RememberToken.id)))


def move_back(**delta) -> None:
    """Pretend the tokens were issued (and expire) that much earlier."""
    by = timedelta(**delta)
    for token in tokens():
        token.issued_at -= by
        token.expires_at -= by
    db.session.commit()


def after_the_grace() -> None:
    """Pretend the last rotation was longer ago than a browser's racing requests take."""
    for token in tokens():
        if token.rotated_at is not None:
            token.rotated_at -= remember.ROTATION_GRACE + timedelta(seconds=1)
    db.session.commit()


def test_the_cookie_holds_a_selector_and_a_secret_and_the_server_only_a_hash(app, citizen):
    client = remembered_login(app)
    value = cookie_of(client)
    assert value and client.get_cookie("remember_token") is None  # not Flask-Login's
    [token] = tokens()
    selector, secret, _signature = value.split(".")
    assert selector == token.selector
    assert token.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    stored = " ".join(str(getattr(token, c.key)) for c in RememberToken.__table__.columns)
    assert secret not in stored
    # No user id, version or contact in the cookie: "7:1" was the old cookie's content.
    assert citizen.get_id() not in value and "dan@example.vn" not in value
    assert token.expires_at - token.issued_at == timedelta(days=7)
    assert (token.browser, token.platform, token.last_address) == (
        "Chrome", "Android", "127.0.0.1")
    download = json.loads(client.get("/account/data.json").get_data(as_text=True))
    assert download["remembered_devices"][0]["platform"] == "Android"


def test_a_copied_cookie_stops_working_after_the_remember_days(app, citizen):
    client = remembered_login(app)
    copy = browser_with(app, cookie_of(client))
    assert signed_in(copy)
    move_back(days=6, hours=23)
    later = browser_with(app, cookie_of(copy))  # the copy's browser restarts
    assert signed_in(later)  # within the 7 days
    move_back(hours=1, minutes=1)
    stale = browser_with(app, cookie_of(later))
    assert not signed_in(stale)
    assert stale.get_cookie(COOKIE) is None  # deleted, not kept
    # Every session that stood on the token ends too, however active it was.
    for browser in (client, copy, later):
        assert not signed_in(browser)


def test_a_remembered_session_outlives_the_idle_limit_but_not_its_token(app, citizen):
    client = remembered_login(app)
    with client.session_transaction() as stored:
        stored["seen_at"] -= 9 * 3600  # over the 8-hour idle limit
        stored["login_at"] -= 13 * 3600  # over the 12-hour age limit
    assert signed_in(client)
    move_back(days=7, seconds=1)
    expired = client.get("/my")
    assert expired.status_code == 302 and "/login" in expired.headers["Location"]
    assert "Phiên đăng nhập đã hết hạn" in client.get("/login").get_data(as_text=True)
    assert not signed_in(client)
    # A session without "remember me" keeps the idle and age limits.
    plain = remembered_login(app, remember_me=False)
    assert cookie_of(plain) is None
    with plain.session_transaction() as stored:
        stored["login_at"] -= 13 * 3600
    assert not signed_in(plain)


def test_the_cookie_is_rotated_on_use_and_a_replayed_old_one_signs_out_every_device(
        app, citizen):
    phone = remembered_login(app, user_agent=CHROME_ANDROID)
    office = remembered_login(app, user_agent=FIREFOX_WINDOWS)
    taken, office_cookie = cookie_of(phone), cookie_of(office)  # the phone's is copied
    restarted = browser_with(app, taken)  # the phone's browser restarts
    assert signed_in(restarted)
    rotated = cookie_of(restarted)
    assert rotated and rotated != taken
    assert tokens()[0].rotated_at is not None
    assert signed_in(browser_with(app, rotated))  # the new value works (and rotates again)
    after_the_grace()
    # The old value comes back: two browsers hold one cookie, one of them a thief's.
    thief = browser_with(app, taken)
    assert not signed_in(thief)
    assert thief.get_cookie(COOKIE) is None
    assert all(token.revoked_at is not None for token in tokens())
    for browser in (restarted, phone, office):  # every remembered browser is signed out
        assert not signed_in(browser)
    assert not signed_in(browser_with(app, office_cookie))
    assert remembered_login(app) is not None  # the password still signs in


def test_a_browsers_own_racing_requests_are_not_taken_for_theft(app, citizen):
    value = cookie_of(remembered_login(app))
    first_tab = browser_with(app, value)
    assert signed_in(first_tab)
    second_tab = browser_with(app, value)  # sent before the first answer arrived
    response = second_tab.get("/my")
    assert response.status_code == 302  # this one request is not signed in ...
    assert not any(c.startswith(COOKIE) for c in response.headers.getlist("Set-Cookie"))
    assert all(token.revoked_at is None for token in tokens())  # ... and nothing is revoked
    assert signed_in(first_tab)


def test_admins_and_hr_officers_are_never_remembered(app):
    assert "tài khoản quản trị và cán bộ tổ chức không được ghi nhớ" in \
        app.test_client().get("/login").get_data(as_text=True)
    make_user("admin", email="quantri@example.vn")
    make_user("unit_manager", email="tochuc@example.vn")
    for identifier in ("quantri@example.vn", "tochuc@example.vn"):
        client = remembered_login(app, identifier)
        assert cookie_of(client) is None
        # Said on the next page: the second step of signing in (lms/auth/twofactor.py).
        page = client.get("/my", follow_redirects=True).get_data(as_text=True)
        assert "không được ghi nhớ đăng nhập" in page
        pass_second_factor(client, logic.find_by_identifier(identifier))
        assert cookie_of(client) is None and signed_in(client)  # not after it either
        with client.session_transaction() as stored:
            assert "remember_id" not in stored
            stored["login_at"] -= 13 * 3600
        assert not signed_in(client)  # the 12-hour limit applies
    assert tokens() == []
    make_user("official", email="canbo@example.vn")
    assert cookie_of(remembered_login(app, "canbo@example.vn"))


def test_a_remembered_official_who_becomes_admin_is_no_longer_remembered(app):
    make_user("official", email="canbo@example.vn")
    value = cookie_of(remembered_login(app, "canbo@example.vn"))
    logic.grant_role("canbo@example.vn", "admin")
    db.session.commit()
    assert not signed_in(browser_with(app, value))
    assert all(token.revoked_at is not None for token in tokens())


def test_one_device_is_signed_out_from_the_devices_page(app, citizen):
    phone = remembered_login(app, user_agent=CHROME_ANDROID)
    office = remembered_login(app, user_agent=FIREFOX_WINDOWS)
    page = office.get("/account/devices").get_data(as_text=True)
    assert "Đăng nhập trên 2 thiết bị" in page
    assert "Chrome trên Android" in page and "Firefox trên Windows" in page
    assert page.count("Máy bạn đang dùng") == 1
    phone_token = next(token for token in tokens() if token.browser == "Chrome")
    phone_cookie = cookie_of(phone)
    # Nobody else can sign it out.
    make_user("citizen", email="khac@example.vn")
    stranger = remembered_login(app, "khac@example.vn")
    refused = post_form(stranger, f"/account/devices/{phone_token.id}/revoke",
                        token_from="/account/devices")
    assert refused.status_code == 404 and signed_in(phone)

    response = post_form(office, f"/account/devices/{phone_token.id}/revoke",
                         token_from="/account/devices")
    assert response.status_code == 302 and response.headers["Location"] == "/account/devices"
    assert not signed_in(phone)
    assert not signed_in(browser_with(app, phone_cookie))
    assert signed_in(office)
    assert "Đăng nhập trên 1 thiết bị" in office.get("/account/devices").get_data(as_text=True)


def test_signing_out_this_device_from_the_page_forgets_it(app, citizen):
    client = remembered_login(app)
    value = cookie_of(client)
    [token] = tokens()
    post_form(client, f"/account/devices/{token.id}/revoke", token_from="/account/devices")
    assert cookie_of(client) is None and not signed_in(client)
    assert not signed_in(browser_with(app, value))


def test_signing_out_every_other_device_keeps_this_one(app, citizen):
    phone = remembered_login(app, user_agent=CHROME_ANDROID)
    office = remembered_login(app, user_agent=FIREFOX_WINDOWS)
    unremembered = remembered_login(app, remember_me=False)
    response = post_form(office, "/account/devices/revoke-all", token_from="/account/devices")
    assert response.status_code == 302
    assert signed_in(office) and cookie_of(office) is None
    assert not signed_in(phone) and not signed_in(unremembered)
    assert "Đăng nhập trên 0 thiết bị" in office.get("/account/devices").get_data(as_text=True)


def test_logout_signs_the_remembered_browser_out_for_good(app, citizen):
    client = remembered_login(app)
    value = cookie_of(client)
    post_form(client, "/logout", token_from="/my")
    assert cookie_of(client) is None and not signed_in(client)
    assert not signed_in(browser_with(app, value))
    assert tokens()[0].revoked_at is not None


def test_a_password_change_signs_out_every_remembered_browser(app, citizen):
    phone = remembered_login(app, user_agent=CHROME_ANDROID)
    office = remembered_login(app, user_agent=FIREFOX_WINDOWS)
    old_office, old_phone = cookie_of(office), cookie_of(phone)
    response = post_form(office, "/account/password", {
        "current_password": PASSWORD, "password": "mat-khau-moi-2026",
        "confirm": "mat-khau-moi-2026"}, token_from="/account/password")
    assert response.status_code == 302
    assert not signed_in(phone)
    assert not signed_in(browser_with(app, old_phone))
    assert not signed_in(browser_with(app, old_office))
    # This browser stays signed in and, as it was remembered, is remembered anew.
    assert signed_in(office)
    new_office = cookie_of(office)
    assert new_office and new_office != old_office
    assert signed_in(browser_with(app, new_office))
    assert db.session.scalar(select(func.count()).select_from(RememberToken).where(
        RememberToken.revoked_at.is_(None))) == 1


def test_flask_logins_own_remember_cookie_signs_nobody_in(app, citizen):
    """The cookie older versions set (user id and session version, signed with
    SECRET_KEY) would still be valid: it must not sign anyone in."""
    with app.test_request_context():
        old_cookie = encode_cookie(citizen.get_id())
    browser = app.test_client()
    browser.set_cookie("remember_token", old_cookie)
    assert not signed_in(browser)
    assert browser.get_cookie("remember_token") is None  # and it is deleted


@pytest.mark.parametrize("value", ["", "khong-phai-cookie", "a.b.c", "x" * 3000])
def test_a_forged_cookie_is_deleted_and_signs_nobody_in(app, citizen, value):
    remembered_login(app)
    browser = browser_with(app, value)
    assert not signed_in(browser)
    assert browser.get_cookie(COOKIE) is None or value == ""
    assert tokens()[0].revoked_at is None


@pytest.mark.parametrize(("agent", "expected"), [
    (CHROME_ANDROID, ("Chrome", "Android")),
    (FIREFOX_WINDOWS, ("Firefox", "Windows")),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
     "like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", ("Safari", "iPhone")),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "coc_coc_browser/137.0.0 Chrome/131.0.0.0 Safari/537.36", ("Cốc Cốc", "Windows")),
    ("Mozilla/5.0 (Linux; Android 13; V2207) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/116.0 Mobile Safari/537.36 Zalo android/12110801", ("Zalo", "Android")),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", ("Edge", "Windows")),
    ("curl/8.5.0", (None, None)),
    (None, (None, None)),
])
def test_devices_are_named_from_the_user_agent(agent, expected):
    assert remember.describe_device(agent) == expected
