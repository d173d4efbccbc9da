"""Two-factor sign-in (issue 13, point 6): TOTP (RFC 6238) and recovery codes.

Admins and HR officers reach no page with personal data until their second factor is
set up and entered; anyone else may turn it on. Codes are single-use and throttled
like the password; turning it off needs the password and a code; an admin's reset is
audited. ASVS 5.0 items: see SECURITY.md, "Two-factor sign-in".
"""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pyotp
import pytest
from sqlalchemy import select

from lms.audit.models import AuditEvent
from lms.auth import twofactor
from lms.auth.logic import find_by_identifier, grant_role
from lms.auth.twofactor import RecoveryCode, TwoFactor
from lms.extensions import db
from lms.headers import CONTENT_SECURITY_POLICY
from lms.org.logic import unit_by_code
from tests.builders import PASSWORD, load_units, make_user
from tests.conftest import TOTP_SECRET, csrf_token, enable_two_factor, login, post_form

SETUP = "/account/two-factor/setup"
VERIFY = "/login/two-factor"
PERSONAL_PAGES = ("/units", "/units/NA", "/reports", "/reports/untrained",
                  "/reports/export.csv", "/admin/audit", "/imports/officials", "/my",
                  "/account", "/account/data.json")


def password_only(client, identifier: str, password: str = PASSWORD, **extra):
    """The first step only: the password form."""
    response = post_form(client, "/login", {"identifier": identifier, "password": password,
                                            **extra}, token_from="/login")
    assert response.status_code == 302, identifier
    return response


def where(response) -> str:
    return urlsplit(response.headers["Location"]).path


def secret_on(page: str) -> str:
    key = re.search(r'id="totp-key"[^>]*>([A-Z2-7 ]+)<', page)
    assert key, "no key on the set-up page"
    return key.group(1).replace(" ", "")


def set_up(client, next_page: str = "") -> tuple[str, list[str]]:
    """Go through the set-up page as a person with an authenticator app would."""
    url = SETUP + (f"?next={next_page}" if next_page else "")
    page = client.get(url).get_data(as_text=True)
    secret = secret_on(page)
    done = post_form(client, url, {"code": pyotp.TOTP(secret).now()}, token_from=url)
    assert done.status_code == 200, done.headers.get("Location")
    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>",
                       done.get_data(as_text=True))
    return secret, codes


def enter(client, code: str, next_page: str = ""):
    url = VERIFY + (f"?next={next_page}" if next_page else "")
    return post_form(client, url, {"code": code}, token_from=url)


def forget_last_step(user) -> None:
    """Lets a test sign in twice within one 30-second step (the code is single-use)."""
    db.session.expire_all()
    twofactor.record_of(user).last_step = None
    db.session.commit()


def sign_out(client) -> None:
    post_form(client, "/logout", {}, token_from="/")


def audit_actions() -> list[str]:
    db.session.expire_all()
    return [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


@pytest.fixture
def hr(app):
    load_units()
    return make_user("unit_manager", email="tochuc@snv.vn", phone="0912000009",
                     unit=unit_by_code("SNV"), name="Cán bộ tổ chức")


def test_an_admin_reaches_no_personal_page_until_two_factor_is_set_up(client, admin):
    load_units()
    password_only(client, "admin@example.vn")
    for path in PERSONAL_PAGES:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"] == f"{SETUP}?next={path}", path
        assert "Nguyễn" not in response.get_data(as_text=True)
    # Nor any form: an invitation (activation links) or a report freeze changes nothing.
    refused = client.post("/units/NA/invitations",
                          data={"csrf_token": csrf_token(client, SETUP)})
    assert refused.status_code == 302 and where(refused) == SETUP
    # Only the set-up page, logout and the language switch answer.
    assert client.get(SETUP).status_code == 200
    assert client.get(VERIFY).status_code == 302  # nothing to verify yet: set it up
    assert twofactor.record_of(find_by_identifier("admin@example.vn")).confirmed_at is None

    secret, codes = set_up(client, next_page="/units")
    assert len(codes) == 10 and len(set(codes)) == 10
    for path in ("/reports", "/admin/audit", "/my", "/account/data.json"):
        assert client.get(path).status_code == 200, path
    assert client.get("/admin/audit").status_code == 200
    assert where(client.get("/units")) == "/units/NA"
    assert "twofactor.enable" in audit_actions()
    assert len(secret) == 32


def test_a_wrong_first_code_does_not_turn_it_on(client, admin):
    password_only(client, "admin@example.vn")
    page = client.get(SETUP).get_data(as_text=True)
    wrong = post_form(client, SETUP, {"code": "000000"}, token_from=SETUP)
    assert wrong.status_code == 200 and "Mã không đúng" in wrong.get_data(as_text=True)
    assert not twofactor.is_enabled(admin)
    # The same QR code stays on the page while it is being set up (reloading is safe).
    assert secret_on(client.get(SETUP).get_data(as_text=True)) == secret_on(page)
    assert client.get("/reports").status_code == 302


def test_signing_in_with_a_code_and_with_a_recovery_code_which_works_once(app, client, admin):
    load_units()
    password_only(client, "admin@example.vn")
    secret, codes = set_up(client)
    sign_out(client)

    # A code from the app.
    password_only(client, "admin@example.vn")
    asked = client.get("/reports")
    assert asked.status_code == 302 and where(asked) == VERIFY
    assert asked.headers["Location"] == f"{VERIFY}?next=/reports"
    assert client.get("/admin/audit").status_code == 302
    forget_last_step(admin)
    done = enter(client, pyotp.TOTP(secret).now(), next_page="/reports")
    assert done.status_code == 302 and where(done) == "/reports"
    assert client.get("/reports").status_code == 200
    sign_out(client)

    # A recovery code, typed in capitals without the dash: accepted once.
    password_only(client, "admin@example.vn")
    done = enter(client, codes[0].replace("-", "").upper())
    assert done.status_code == 302 and where(done) == "/reports"  # an admin's landing
    assert client.get("/admin/audit").status_code == 200
    assert twofactor.remaining_recovery_codes(admin) == 9
    assert audit_actions()[-1] == "twofactor.recovery_used"
    sign_out(client)

    password_only(client, "admin@example.vn")
    again = enter(client, codes[0])
    assert again.status_code == 200
    assert "Mã không đúng hoặc đã dùng" in again.get_data(as_text=True)
    assert client.get("/admin/audit").status_code == 302
    # Another one still works.
    assert where(enter(client, codes[1])) == "/reports"


def test_a_replayed_code_is_refused(app, client, admin):
    password_only(client, "admin@example.vn")
    secret, _codes = set_up(client)
    totp = pyotp.TOTP(secret)
    sign_out(client)

    password_only(client, "admin@example.vn")
    forget_last_step(admin)
    code = totp.now()
    assert where(enter(client, code)) == "/reports"
    sign_out(client)

    # The same code, in its own 30 seconds, from another browser: refused.
    thief = app.test_client()
    password_only(thief, "admin@example.vn")
    replayed = enter(thief, code)
    assert replayed.status_code == 200
    assert thief.get("/reports").status_code == 302
    # So is the code of the step before (accepted for clock drift, but older than used).
    assert enter(thief, totp.at(time.time() - 30)).status_code == 200
    assert thief.get("/reports").status_code == 302


def test_two_requests_racing_with_one_code_cannot_both_win(app, admin):
    enable_two_factor(admin)
    code = pyotp.TOTP(TOTP_SECRET).now()
    with app.test_request_context():
        first = twofactor.check_code(admin, code)
        second = twofactor.check_code(admin, code)
    assert (first, second) == ("totp", None)


@pytest.mark.parametrize("app_settings", [{"LMS_2FA_LIMIT_PER_ACCOUNT": "3 per 15 minutes"}])
def test_wrong_codes_are_throttled_per_account_however_the_identifier_is_typed(app, hr):
    enable_two_factor(hr)
    by_email, by_phone = app.test_client(), app.test_client()
    password_only(by_email, "tochuc@snv.vn")
    password_only(by_phone, "+84 912 000 009")
    assert enter(by_email, "111111").status_code == 200
    assert enter(by_phone, "222222").status_code == 200
    assert enter(by_email, "333333").status_code == 200
    locked = enter(by_phone, pyotp.TOTP(TOTP_SECRET).now())  # even the right code
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    assert by_phone.get("/reports").status_code == 302
    # Another account from the same address is not locked by it.
    make_user("admin", email="admin@example.vn")
    other = app.test_client()
    assert where(login(other, "admin@example.vn")) == "/reports"


@pytest.mark.parametrize("app_settings", [{"LMS_2FA_LIMIT_PER_ADDRESS": "2 per 15 minutes"}])
def test_wrong_codes_are_throttled_per_address_too(app, hr, admin):
    enable_two_factor(hr)
    enable_two_factor(admin)
    first, second = app.test_client(), app.test_client()
    password_only(first, "tochuc@snv.vn")
    password_only(second, "admin@example.vn")
    assert enter(first, "111111").status_code == 200
    assert enter(second, "222222").status_code == 200
    assert enter(second, "333333").status_code == 429
    # Reading the page is never throttled, and right codes did not count.
    assert second.get(VERIFY).status_code == 200


def test_turning_it_off_needs_the_password_and_a_code(app, client, citizen):
    login(client, "dan@example.vn")
    assert client.get("/my").status_code == 200  # optional for a citizen: not asked
    secret, codes = set_up(client)
    assert twofactor.is_enabled(citizen)
    totp = pyotp.TOTP(secret)

    def turn_off(password: str, code: str):
        forget_last_step(citizen)
        return post_form(client, "/account/two-factor/disable",
                         {"password": password, "code": code}, token_from="/account/two-factor")

    wrong_password = turn_off("sai-mat-khau-2026", totp.now())
    assert wrong_password.status_code == 200
    assert "Mật khẩu không đúng" in wrong_password.get_data(as_text=True)
    assert turn_off(PASSWORD, "000000").status_code == 200
    assert turn_off(PASSWORD, "").status_code == 200
    assert twofactor.is_enabled(citizen)
    assert "twofactor.disable" not in audit_actions()

    other = app.test_client()
    login(other, "dan@example.vn")  # completes the second step: conftest's app is ours
    done = turn_off(PASSWORD, codes[3])  # a recovery code does as the code
    assert done.status_code == 302 and where(done) == "/account/two-factor"
    assert not twofactor.is_enabled(citizen)
    assert db.session.scalars(select(RecoveryCode)).all() == []
    assert audit_actions()[-1] == "twofactor.disable"
    assert client.get("/my").status_code == 200  # this browser goes on
    assert other.get("/my").status_code == 302  # the others were signed out
    sign_out(client)
    assert where(login(client, "dan@example.vn")) == "/my"  # no second step any more


def test_staff_cannot_just_turn_it_off_they_move_it_to_a_new_phone(client, hr):
    password_only(client, "tochuc@snv.vn")
    secret, _codes = set_up(client)
    forget_last_step(hr)
    moved = post_form(client, "/account/two-factor/disable",
                      {"password": PASSWORD, "code": pyotp.TOTP(secret).now()},
                      token_from="/account/two-factor")
    assert where(moved) == SETUP
    assert client.get("/reports").status_code == 302  # set it up again first
    new_secret, _codes = set_up(client)
    assert new_secret != secret
    assert client.get("/reports").status_code == 200


def test_an_admins_reset_is_audited_ends_the_sessions_and_asks_for_a_new_set_up(app, admin, hr):
    enable_two_factor(hr)
    staff = app.test_client()
    login(staff, "tochuc@snv.vn")
    assert staff.get("/reports").status_code == 200
    office = app.test_client()
    login(office, "admin@example.vn")
    listing = office.get("/admin/two-factor").get_data(as_text=True)
    assert "Cán bộ tổ chức" in listing and "Bật từ" in listing
    assert office.get("/admin/two-factor?q=tochuc").status_code == 200

    # Only the admin may.
    refused = staff.post(f"/admin/two-factor/{hr.id}/reset",
                         data={"csrf_token": csrf_token(staff, "/my")})
    assert refused.status_code == 403 and twofactor.is_enabled(hr)

    done = office.post(f"/admin/two-factor/{hr.id}/reset",
                       data={"csrf_token": csrf_token(office, "/admin/two-factor")})
    assert where(done) == "/admin/two-factor"
    assert twofactor.record_of(hr) is None
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "twofactor.reset")).one()
    assert "Cán bộ tổ chức" in event.target and "Quản trị" in event.actor_label
    assert "Đặt lại xác thực hai bước" in office.get(
        "/admin/audit?action=twofactor.reset").get_data(as_text=True)
    assert staff.get("/reports").status_code == 302  # signed out
    password_only(staff, "tochuc@snv.vn")
    assert where(staff.get("/reports")) == SETUP


def test_the_operator_resets_from_the_command_line(app, runner, hr):
    enable_two_factor(hr)
    result = runner.invoke(args=["users", "reset-2fa", "tochuc@snv.vn"])
    assert result.exit_code == 0, result.output
    assert "reset" in result.output
    assert twofactor.record_of(hr) is None
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "twofactor.reset")).one()
    assert event.actor_label.startswith("CLI")
    assert runner.invoke(args=["users", "reset-2fa", "khong-co@x.vn"]).exit_code != 0


def test_the_qr_code_is_drawn_here_and_the_page_loads_nothing_from_elsewhere(client, admin):
    password_only(client, "admin@example.vn")
    response = client.get(SETUP)
    page = response.get_data(as_text=True)
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["Cache-Control"] == "no-store"
    svg = re.search(r"<svg [^>]*>.*?</svg>", page, re.S)
    assert svg and 'role="img"' in svg.group(0) and "<title>" in svg.group(0)
    assert "<path" in svg.group(0)
    # No image, script, style or frame from another site; nothing inline either.
    for attribute in re.findall(r'(?:src|href|action)="([^"]*)"', page):
        assert not attribute.startswith(("http:", "https:", "//")), attribute
    assert "<img" not in page and "<iframe" not in page
    assert " style=" not in page and "<style" not in page
    assert "<script>" not in page and "onload=" not in page
    # The otpauth URI the app reads names the site and the account.
    secret = secret_on(page)
    uri = twofactor.provisioning_uri(admin, secret)
    assert uri.startswith("otpauth://totp/") and f"secret={secret}" in uri


def test_the_secret_is_stored_encrypted_and_never_shown_after_set_up(app, client, admin):
    password_only(client, "admin@example.vn")
    secret, _codes = set_up(client)
    record = db.session.scalars(select(TwoFactor)).one()
    assert secret not in record.secret_ciphertext and record.secret_ciphertext.startswith("v1:")
    assert twofactor.decrypt_secret(record.secret_ciphertext, admin.id) == secret
    assert twofactor.decrypt_secret(record.secret_ciphertext, admin.id + 1) is None
    codes = db.session.scalars(select(RecoveryCode.code_hash)).all()
    assert len(codes) == 10 and all(len(value) == 64 for value in codes)
    grouped = twofactor.grouped(secret)
    for path in ("/account/two-factor", "/account", SETUP, "/account/data.json"):
        page = client.get(path, follow_redirects=True).get_data(as_text=True)
        assert secret not in page and grouped not in page, path
    # A changed key cannot read it: the recovery codes (hashed) or an admin reset help.
    app.config["LMS_2FA_KEY"] = "another-key"
    assert twofactor.decrypt_secret(record.secret_ciphertext, admin.id) is None


def test_a_learner_is_remembered_only_after_the_second_step(app, citizen):
    enable_two_factor(citizen)
    client = app.test_client()
    password_only(client, "dan@example.vn", remember="y")
    assert client.get_cookie("lms_remember") is None
    assert client.get("/my").status_code == 302
    forget_last_step(citizen)
    assert where(enter(client, pyotp.TOTP(TOTP_SECRET).now())) == "/my"
    assert client.get_cookie("lms_remember") is not None
    assert client.get("/my").status_code == 200


def test_a_password_change_keeps_this_sessions_second_factor(client, admin):
    login(client, "admin@example.vn")
    changed = post_form(client, "/account/password", {
        "current_password": PASSWORD, "password": "mat-khau-moi-2026",
        "confirm": "mat-khau-moi-2026"}, token_from="/account/password")
    assert changed.status_code == 302
    assert client.get("/admin/audit").status_code == 200


def test_an_official_made_admin_must_set_up_two_factor(app, client):
    make_user("official", email="canbo@example.vn")
    login(client, "canbo@example.vn")
    assert client.get("/my").status_code == 200
    grant_role("canbo@example.vn", "admin")
    db.session.commit()
    assert client.get("/my").status_code == 302  # the grant ended the session
    password_only(client, "canbo@example.vn")
    assert where(client.get("/admin/audit")) == SETUP


def test_turning_it_on_signs_out_the_other_browsers(app, citizen):
    here, elsewhere = app.test_client(), app.test_client()
    login(here, "dan@example.vn")
    login(elsewhere, "dan@example.vn")
    set_up(here)
    assert here.get("/my").status_code == 200
    assert elsewhere.get("/my").status_code == 302


def test_new_recovery_codes_replace_the_old_ones(client, citizen):
    login(client, "dan@example.vn")
    secret, old = set_up(client)
    forget_last_step(citizen)
    page = post_form(client, "/account/two-factor/recovery-codes",
                     {"code": pyotp.TOTP(secret).now()}, token_from="/account/two-factor")
    new = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>",
                     page.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    assert audit_actions()[-1] == "twofactor.recovery_codes"
    with client.application.test_request_context():
        assert twofactor.check_code(citizen, old[0]) is None
        assert twofactor.check_code(citizen, new[0]) == "recovery"


def header_of(page: str) -> str:
    return page.split('<header class="site-header">', 1)[1].split("</header>", 1)[0]


def test_the_header_offers_only_what_works_before_the_second_step(app, client, admin, hr):
    """Every link of the full header would bounce back to the second step, so until it is
    passed the header holds the site name, the language switch and log out only."""
    enable_two_factor(admin)
    password_only(client, "admin@example.vn")
    header = header_of(client.get(VERIFY).get_data(as_text=True))
    assert re.findall(r'href="([^"]*)"', header) == []  # nothing to follow, no menu either
    assert "Danh mục" not in header
    assert 'action="/logout"' in header and 'name="lang"' in header
    assert 'class="brand"' in header

    done = enter(client, pyotp.TOTP(TOTP_SECRET).now())
    header = header_of(client.get(where(done)).get_data(as_text=True))
    for link in ("/reports", "/admin/audit", "/units", "/my", "/account"):
        assert f'href="{link}"' in header, link
    sign_out(client)

    # An HR officer without an authenticator yet: the set-up page, same short header.
    password_only(client, "tochuc@snv.vn")
    header = header_of(client.get(SETUP).get_data(as_text=True))
    assert re.findall(r'href="([^"]*)"', header) == []
    assert 'action="/logout"' in header


def test_the_footers_public_pages_open_before_the_second_step(client, admin):
    """Help, the privacy notice and the certificate check are public: a session owing
    its second factor reads them (its footer links there) but nothing personal."""
    enable_two_factor(admin)
    password_only(client, "admin@example.vn")
    for page in ("/help", "/privacy", "/verify"):
        assert client.get(page).status_code == 200, page
    for page in ("/my", "/reports", "/admin/audit"):
        response = client.get(page)
        assert response.status_code == 302 and VERIFY in response.headers["Location"], page
