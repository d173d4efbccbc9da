"""HR mails activation links to the officials of a unit who have an email."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from lms.audit.models import AuditEvent
from lms.auth.logic import grant_role
from lms.auth.models import ActivationToken
from lms.extensions import db
from lms.mail import sender
from lms.mail.models import OutboxMessage
from lms.org.logic import unit_by_code
from tests.builders import load_roster, load_units, make_user
from tests.conftest import csrf_token, login, post_form
from tests.mail.conftest import text_of

LINK = re.compile(r"https://hocso\.example\.vn(/activate/\S+)")


def row(code, name, unit, email=""):
    return [code, name, unit, "công chức", "", "", "", email, "", "", ""]


@pytest.fixture
def roster(app):
    load_units()
    load_roster([row("CB-01", "Nguyễn Văn Một", "SNV", "mot@snv.vn"),
                 row("CB-02", "Trần Thị Hai", "SNV-TC", "hai@snv.vn"),
                 row("CB-03", "Lê Văn Ba", "SNV-TC"),
                 row("CB-X1", "Phạm Văn Xã", "X1", "xa@x1.vn")])
    make_user("unit_manager", email="hr.snv@example.vn", unit=unit_by_code("SNV"))
    make_user("admin", email="admin@example.vn")


def outbox() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_hr_sees_the_count_first_then_mails_the_links(app, client, roster, smtp_server):
    login(client, "hr.snv@example.vn")
    unit_page = client.get("/units/SNV").get_data(as_text=True)
    assert 'href="/units/SNV/invitations/email"' in unit_page
    page = client.get("/units/SNV/invitations/email").get_data(as_text=True)
    assert "2 người có email" in page and "1 người chưa có email" in page
    assert "Gửi 2 thư" in page
    assert "CB-03" in page and "Lê Văn Ba" in page  # listed for the CSV route
    assert "CB-X1" not in page
    assert outbox() == []  # nothing sent by looking

    response = post_form(client, "/units/SNV/invitations/email", {},
                         token_from="/units/SNV/invitations/email")
    assert response.status_code == 302 and response.headers["Location"].endswith("/units/SNV")
    assert "Đã xếp 2 thư kích hoạt" in client.get("/units/SNV").get_data(as_text=True)
    assert sorted(m.to_address for m in outbox()) == ["hai@snv.vn", "mot@snv.vn"]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "activation.email"))
    assert event is not None and event.target == "2 email(s)"

    assert sender.send_due().sent == 2
    messages = {m["To"].addresses[0].addr_spec: m for m in smtp_server.wait_for(2)}
    invitation = messages["mot@snv.vn"]
    assert invitation["Subject"].startswith("Kích hoạt tài khoản học kỹ năng số")
    body = text_of(invitation)
    assert "Xin chào Nguyễn Văn Một," in body and "mã cán bộ CB-01" in body
    # The official follows the link, chooses a password and signs in.
    [path] = LINK.findall(body)
    official = app.test_client()
    assert official.get(path).status_code == 200
    password = "mat-khau-can-bo-2026"
    done = post_form(official, path, {"password": password, "confirm": password},
                     token_from=path)
    assert done.status_code == 302
    assert login(app.test_client(), "CB-01", password).status_code == 302
    # Sending again makes new links (the old ones stop) for who is still not activated.
    post_form(client, "/units/SNV/invitations/email", {},
              token_from="/units/SNV/invitations/email")
    assert [m.to_address for m in outbox()[2:]] == ["hai@snv.vn"]


def test_another_units_officials_cannot_be_mailed(app, client, roster):
    login(client, "hr.snv@example.vn")
    assert client.get("/units/X1/invitations/email").status_code == 404
    response = client.post("/units/X1/invitations/email",
                           data={"csrf_token": csrf_token(client, "/units/SNV")})
    assert response.status_code == 404
    assert outbox() == []
    assert db.session.scalar(select(func.count()).select_from(ActivationToken)) == 0


def test_hr_cannot_mail_the_link_of_an_account_with_more_rights(app, client, roster):
    grant_role("CB-02", "unit_manager", unit_by_code("SNV-TC"))
    db.session.commit()
    login(client, "hr.snv@example.vn")
    post_form(client, "/units/SNV/invitations/email", {}, token_from="/units/SNV")
    assert [m.to_address for m in outbox()] == ["mot@snv.vn"]


def test_a_refused_address_is_shown_to_hr(app, client, roster, smtp_server):
    smtp_server.mailbox.refuse["hai@snv.vn"] = "550 5.1.1 Mailbox unavailable"
    login(client, "hr.snv@example.vn")
    post_form(client, "/units/SNV/invitations/email", {}, token_from="/units/SNV")
    result = sender.send_due()
    assert (result.sent, result.undeliverable) == (1, 1)
    page = client.get("/units/SNV-TC").get_data(as_text=True)
    assert page.count("email không gửi được") == 1
    assert "1 địa chỉ trong số đó từng bị máy chủ thư từ chối" in client.get(
        "/units/SNV/invitations/email").get_data(as_text=True)


@pytest.mark.parametrize("app_settings", [{}])
def test_without_a_mail_server_the_page_says_mail_will_wait(app, client, roster):
    login(client, "admin@example.vn")
    page = client.get("/units/SNV/invitations/email").get_data(as_text=True)
    assert "Chưa cấu hình máy chủ thư" in page
