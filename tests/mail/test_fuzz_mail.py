"""Fuzzing the mail forms and headers: never a 500, never an extra header or recipient."""

from __future__ import annotations

import email
from email import policy

from hypothesis import given
from hypothesis import strategies as st

from lms.extensions import db
from lms.mail import logic as mail
from lms.mail.models import OutboxMessage
from lms.mail.smtp import build_message, one_line, parse_from_address
from lms.recovery import logic as recovery
from tests.test_fuzz import (  # noqa: F401 - world, signed, cheap_hashing: fixtures
    FEW,
    MANAGERS,
    anonymous,
    answered,
    cheap_hashing,
    fields,
    form_answer,
    hostile,
    ok,
    seg,
    signed,
    text,
    token_of,
    url_text,
    world,
)


@FEW
@given(form=fields(email=ok("dan@example.vn", "khong-co@example.vn", "DAN@example.vn ")))
def test_forgot_password(app, world, form):  # noqa: F811
    client = anonymous(app)
    form["csrf_token"] = token_of(client, "/password/forgot")
    response = answered(client.post("/password/forgot", data=form))
    assert response.status_code in (200, 400, 429)
    db.session.rollback()


@FEW
@given(form=fields(password=ok("mat-khau-moi-2026"), confirm=ok("mat-khau-moi-2026")),
       bad_token=url_text)
def test_reset_and_verification_links(app, world, form, bad_token):  # noqa: F811
    recovery.request_password_reset("dan@example.vn")
    db.session.commit()
    client = anonymous(app)
    for path in (f"/password/reset/{seg(bad_token)}", f"/account/email/verify/{seg(bad_token)}"):
        answered(client.get(path))
    form["csrf_token"] = token_of(client, "/password/forgot")
    form_answer(client.post(f"/password/reset/{seg(bad_token)}", data=form))


@FEW
@given(manager=MANAGERS, code=st.one_of(ok("SNV", "X1", "NA"), url_text))
def test_email_invitations_page(signed, world, manager, code):  # noqa: F811
    client = signed(manager)
    answered(client.get(f"/units/{seg(code)}/invitations/email"))


SENDER = parse_from_address("Học kỹ năng số <hocso@lms.example>", "x")


@FEW
@given(name=st.one_of(text, hostile), subject=st.one_of(text, hostile))
def test_no_name_or_subject_adds_a_header_or_a_recipient(name, subject):
    row = OutboxMessage(key="fuzz:1", to_address="an@example.vn",
                        to_name=one_line(name)[:mail.NAME_MAX],
                        subject=one_line(subject)[:mail.SUBJECT_MAX] or "x",
                        text_body="Xin chào", html_body="<p>Xin chào</p>", headers="{}")
    raw = build_message(row, SENDER).as_bytes()
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert sorted(parsed.keys()) == sorted(["From", "To", "Subject", "Date", "Message-ID",
                                            "Auto-Submitted", "MIME-Version", "Content-Type"])
    assert [a.addr_spec for a in parsed["To"].addresses] == ["an@example.vn"]
