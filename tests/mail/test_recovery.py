"""Quên mật khẩu and email verification, end to end through the SMTP server."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select, update

from lms.audit.models import AuditEvent
from lms.auth import remember
from lms.auth.logic import find_by_identifier
from lms.extensions import db
from lms.mail import sender
from lms.mail.models import OutboxMessage
from lms.recovery.models import EmailLink
from lms.util.time import utcnow
from tests.builders import PASSWORD, make_user
from tests.conftest import CSRF_INPUT, login, post_form
from tests.mail.conftest import html_of, text_of

NEW_PASSWORD = "mot-mat-khau-moi-2026"
LINK = re.compile(r"https://hocso\.example\.vn(/\S+)")


def ask_for_reset(client, email: str, **kwargs):
    return post_form(client, "/password/forgot", {"email": email}, token_from="/password/forgot",
                     **kwargs)


def deliver_and_read(smtp_server, count: int = 1):
    result = sender.send_due()
    assert result.error is None, result.error
    return smtp_server.wait_for(count)


def link_path(message) -> str:
    """The path of the one link in the message (text and HTML parts agree)."""
    [link] = set(LINK.findall(text_of(message)))
    assert f'href="https://hocso.example.vn{link}"' in html_of(message)
    return link


def outbox_count() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage))


def signed_in(client) -> bool:
    response = client.get("/my")
    return response.status_code == 200


def test_a_forgotten_password_is_recovered_end_to_end(app, smtp_server, citizen):
    # The citizen is signed in elsewhere: a phone kept signed in, and another browser.
    phone = app.test_client()
    assert post_form(phone, "/login", {"identifier": "dan@example.vn", "password": PASSWORD,
                                       "remember": "y"}, token_from="/login").status_code == 302
    office = app.test_client()
    login(office, "dan@example.vn")
    assert signed_in(phone) and signed_in(office)

    browser = app.test_client()
    login_page = browser.get("/login").get_data(as_text=True)
    assert 'href="/password/forgot"' in login_page and "Quên mật khẩu?" in login_page
    answer = ask_for_reset(browser, "Dan@Example.vn ")
    assert answer.status_code == 200
    assert "Hãy kiểm tra hộp thư" in answer.get_data(as_text=True)

    [message] = deliver_and_read(smtp_server)
    assert message["To"].addresses[0].addr_spec == "dan@example.vn"
    assert message["Subject"] == "Đặt lại mật khẩu · Học kỹ năng số Nghệ An"
    assert "Xin chào Trần Thị Bình," in text_of(message)
    path = link_path(message)
    assert path.startswith("/password/reset/")
    token = path.rsplit("/", 1)[1]
    # Only the token's hash is stored; the outbox no longer holds the link once sent.
    assert db.session.scalar(select(EmailLink.token_hash)) != token
    assert token not in (db.session.scalar(select(OutboxMessage.text_body)) or "")

    form = browser.get(path)
    assert form.status_code == 200 and "dan@example.vn" in form.get_data(as_text=True)
    done = post_form(browser, path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
                     token_from=path)
    assert done.status_code == 302 and urlsplit(done.headers["Location"]).path == "/login"

    # Every other session ended, the remembered phone too; the old password is gone.
    assert not signed_in(phone) and not signed_in(office)
    assert login(app.test_client(), "dan@example.vn").status_code == 200  # refused
    fresh = app.test_client()
    assert login(fresh, "dan@example.vn", NEW_PASSWORD).status_code == 302
    assert signed_in(fresh)
    # The link worked once.
    assert browser.get(path).status_code == 410
    again = post_form(app.test_client(), path, {"password": "mat-khau-khac-2026",
                                                "confirm": "mat-khau-khac-2026"},
                      token_from="/password/forgot")
    assert again.status_code == 410
    db.session.expire_all()
    user = find_by_identifier("dan@example.vn")
    assert user.email_verified_at is not None  # following the link proved the address
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "password.reset"))
    assert event is not None and "dan@example.vn" in event.target
    assert remember.live_tokens(user) == []


def test_the_answer_is_the_same_whether_or_not_the_account_exists(app, smtp_server, citizen):
    def answer(email: str) -> tuple[int, str]:
        response = ask_for_reset(app.test_client(), email)
        return response.status_code, CSRF_INPUT.sub("", response.get_data(as_text=True))

    assert answer("dan@example.vn") == answer("khong-co-ai@example.vn")
    assert outbox_count() == 1
    assert len(deliver_and_read(smtp_server)) == 1


def test_no_link_for_closed_accounts_or_accounts_without_a_password(app, smtp_server):
    closed = make_user("citizen", email="dong@example.vn")
    closed.is_active = False
    make_user("official", email="chua.kich.hoat@example.vn", password=None)
    db.session.commit()
    for email in ("dong@example.vn", "chua.kich.hoat@example.vn"):
        assert ask_for_reset(app.test_client(), email).status_code == 200
    assert outbox_count() == 0


def test_a_link_expires_after_an_hour_and_a_newer_one_replaces_it(app, smtp_server, citizen):
    client = app.test_client()
    ask_for_reset(client, "dan@example.vn")
    ask_for_reset(client, "dan@example.vn")
    first, second = deliver_and_read(smtp_server, 2)
    old, new = link_path(first), link_path(second)
    assert "đã có đường dẫn mới hơn" in client.get(old).get_data(as_text=True)
    assert client.get(new).status_code == 200
    link = db.session.scalar(select(EmailLink).where(EmailLink.used_at.is_(None)))
    assert link.expires_at - link.created_at == timedelta(hours=1)
    db.session.execute(update(EmailLink).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    expired = client.get(new)
    assert expired.status_code == 410 and "hết hạn" in expired.get_data(as_text=True)


def test_a_refused_password_keeps_the_link_usable(app, smtp_server, citizen):
    client = app.test_client()
    ask_for_reset(client, "dan@example.vn")
    path = link_path(deliver_and_read(smtp_server)[0])
    weak = post_form(client, path, {"password": "12345678", "confirm": "12345678"},
                     token_from=path)
    assert weak.status_code == 200 and "mật khẩu phổ biến" in weak.get_data(as_text=True)
    ok = post_form(client, path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
                   token_from=path)
    assert ok.status_code == 302


def test_a_forged_host_does_not_change_the_link(app, smtp_server, citizen):
    client = app.test_client()
    evil = "http://evil.example"
    page = client.get("/password/forgot", base_url=evil).get_data(as_text=True)
    token = CSRF_INPUT.search(page).group(1)
    answer = client.post("/password/forgot", base_url=evil,
                         data={"email": "dan@example.vn", "csrf_token": token})
    assert answer.status_code == 200
    [message] = deliver_and_read(smtp_server)
    assert "evil.example" not in text_of(message) + html_of(message)
    assert link_path(message).startswith("/password/reset/")


def test_the_link_stops_working_when_the_accounts_email_changes(app, smtp_server, citizen):
    client = app.test_client()
    ask_for_reset(client, "dan@example.vn")
    path = link_path(deliver_and_read(smtp_server)[0])
    citizen.email = "moi@example.vn"
    db.session.commit()
    response = post_form(client, path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
                         token_from="/password/forgot")
    assert response.status_code == 410


@pytest.mark.parametrize("app_settings", [{"LMS_RESET_LIMIT_PER_ACCOUNT": "2 per hour",
                                           "LMS_RESET_LIMIT_PER_ADDRESS": "4 per hour"}])
def test_reset_requests_are_throttled_per_account_and_per_address(app, citizen):
    def from_address(address: str):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = address
        return client

    # Per account: a third request for one email, from anywhere, is refused, and the
    # same for an email that has no account (the refusal reveals nothing).
    for email in ("dan@example.vn", "khong-co@example.vn"):
        assert ask_for_reset(from_address("10.0.0.1"), email).status_code == 200
        assert ask_for_reset(from_address("10.0.0.2"), email.upper()).status_code == 200
        assert ask_for_reset(from_address("10.0.0.3"), email).status_code == 429
    assert outbox_count() == 2  # mail waits in the outbox: no server in this test
    # Per address: many emails from one address.
    office = from_address("10.0.0.9")
    codes = [ask_for_reset(office, f"nguoi{n}@example.vn").status_code for n in range(5)]
    assert codes == [200, 200, 200, 200, 429]


# --- email verification ----------------------------------------------------------------


def register(client, **fields):
    form = {"kind": "citizen", "full_name": "Lê Văn Đăng Ký", "email": "dangky@example.vn",
            "password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "consent": "y", "unit_id": "0"}
    form.update(fields)
    return post_form(client, "/register", form, token_from="/register")


def test_a_citizen_who_registers_with_an_email_verifies_it(app, client, smtp_server):
    assert register(client).status_code == 302
    page = client.get("/my").get_data(as_text=True)
    assert "Hãy xác nhận email dangky@example.vn" in page  # the account works meanwhile
    [message] = deliver_and_read(smtp_server)
    assert message["Subject"] == "Xác nhận email · Học kỹ năng số Nghệ An"
    first = link_path(message)
    # Another mail on request; it replaces the first link.
    response = post_form(client, "/account/email/verify", {}, token_from="/my")
    assert response.status_code == 302
    second = link_path(deliver_and_read(smtp_server, 2)[1])
    assert client.get(first).status_code == 410
    # Opening the link on another device, signed out, is enough.
    verified = app.test_client().get(second)
    assert verified.status_code == 200
    assert "Đã xác nhận email dangky@example.vn" in verified.get_data(as_text=True)
    db.session.expire_all()
    assert find_by_identifier("dangky@example.vn").email_verified_at is not None
    assert "Hãy xác nhận email" not in client.get("/my").get_data(as_text=True)
    assert app.test_client().get(second).status_code == 410
    # Nothing more to send once verified.
    post_form(client, "/account/email/verify", {}, token_from="/my")
    assert outbox_count() == 2


def test_registering_with_a_phone_only_sends_nothing(app, client, smtp_server):
    assert register(client, email="", phone="0912345678").status_code == 302
    assert outbox_count() == 0
    assert "Hãy xác nhận email" not in client.get("/my").get_data(as_text=True)


def test_a_refused_registration_queues_no_mail(app, client, smtp_server, citizen):
    make_user("citizen", phone="0912345678", email="khac@example.vn")
    response = register(client, phone="0912345678")  # the phone is taken: rolled back
    assert response.status_code == 200
    assert outbox_count() == 0


@pytest.mark.parametrize("app_settings", [{"LMS_RESET_LIMIT_PER_ACCOUNT": "1 per hour"}])
def test_asking_again_for_the_verification_mail_is_throttled(app, client):
    register(client)
    assert post_form(client, "/account/email/verify", {}, token_from="/my").status_code == 302
    assert post_form(client, "/account/email/verify", {}, token_from="/my").status_code == 429


def test_officials_are_not_asked_to_verify(app, client):
    make_user("official", email="canbo@example.vn")
    login(client, "canbo@example.vn")
    assert "Hãy xác nhận email" not in client.get("/my").get_data(as_text=True)


def test_a_reset_does_not_bypass_two_factor(app, smtp_server, admin):
    """ASVS 6.4.3: the new password signs in, and the second step is still asked."""
    from tests.conftest import enable_two_factor

    enable_two_factor(admin)
    client = app.test_client()
    ask_for_reset(client, "admin@example.vn")
    path = link_path(deliver_and_read(smtp_server)[0])
    done = post_form(client, path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
                     token_from=path)
    assert urlsplit(done.headers["Location"]).path == "/login"  # not signed in by the link
    assert not signed_in(client)
    first_step = post_form(client, "/login", {"identifier": "admin@example.vn",
                                              "password": NEW_PASSWORD}, token_from="/login")
    assert first_step.status_code == 302
    asked = client.get("/admin/audit")
    assert asked.status_code == 302
    assert urlsplit(asked.headers["Location"]).path == "/login/two-factor"


def test_a_new_email_address_is_confirmed_through_the_mailed_link(app, smtp_server, citizen):
    client = app.test_client()
    login(client, "dan@example.vn")
    form = {"full_name": citizen.full_name, "phone": "", "email": "Moi@Example.vn",
            "current_password": PASSWORD}
    assert post_form(client, "/account/profile", form, token_from="/account").status_code == 302
    [message] = deliver_and_read(smtp_server)
    assert message["To"].addresses[0].addr_spec == "moi@example.vn"
    assert "Bạn vừa đổi email" in text_of(message)
    assert find_by_identifier("moi@example.vn") is None  # the old address signs in meanwhile
    assert app.test_client().get(link_path(message)).status_code == 200
    db.session.expire_all()
    user = find_by_identifier("moi@example.vn")
    assert user.id == citizen.id and user.email_verified_at is not None
    assert user.pending_email is None
