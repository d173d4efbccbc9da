"""The audit log records who did what and when, and admins can filter it."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.audit import labels
from lms.audit.models import AuditEvent
from lms.auth import logic as auth
from lms.auth.activation import invite
from lms.extensions import db
from lms.org.logic import unit_by_code
from lms.org.models import Official
from lms.reports import tokens
from tests.builders import ROSTER_HEADER, csv_bytes, load_units, make_user
from tests.conftest import csrf_token, login, post_form


def actions() -> list[tuple[str, str]]:
    return [(e.action, e.actor_label) for e in
            db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_web_actions_are_recorded_with_the_person_and_address(app, client, course):
    load_units()
    make_user("unit_manager", email="hr@snv.vn", name="Hồ Thị Tổ Chức",
              unit=unit_by_code("SNV"))
    login(client, "hr@snv.vn")
    data = csv_bytes([ROSTER_HEADER, ["CB1", "Nguyễn Văn An", "SNV", "công chức", "", "", "",
                                      "", "", "", ""]])
    page = client.post("/imports/officials", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(client, "/imports/officials"),
        "file": (io.BytesIO(data), "can-bo.csv")}).get_data(as_text=True)
    token = page.split('action="/imports/confirm/')[1].split('"')[0]
    assert actions() == []  # a preview changes nothing, so nothing to record
    post_form(client, f"/imports/confirm/{token}", token_from="/imports/officials")
    client.get("/reports/export.xlsx?unit=SNV").close()
    post_form(client, "/units/SNV/invitations", token_from="/units/SNV").close()
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == ["import", "export", "activation.create"]
    assert {e.actor_label for e in events} == {"Hồ Thị Tổ Chức <hr@snv.vn>"}
    assert all(e.address == "127.0.0.1" for e in events)
    assert json.loads(events[0].detail) == {"kind": "officials", "rows": 1, "created": 1}
    assert events[1].target.startswith("xlsx: SNV")
    assert all(e.unit_id == unit_by_code("SNV").id for e in events)


def test_cli_and_token_actions_are_recorded(app, runner, tmp_path):
    load_units()
    roster = tmp_path / "can-bo.csv"
    roster.write_bytes(csv_bytes([ROSTER_HEADER, ["CB1", "Nguyễn Văn An", "SNV", "công chức",
                                                  "", "", "", "", "", "", ""]]))
    assert runner.invoke(args=["officials", "import", str(roster)]).exit_code == 0
    record, token = tokens.create_token(unit_by_code("SNV"), "Hệ thống tỉnh")
    tokens.authenticate(token)
    tokens.revoke(record.id)
    auth.grant_role("CB1", "unit_manager", unit_by_code("SNV"))
    official = db.session.scalar(select(Official))
    invite([official])
    make_user("citizen", email="dan@example.vn")
    auth.deactivate("dan@example.vn")
    db.session.commit()
    recorded = actions()
    assert [a for a, _ in recorded] == ["import", "token.create", "token.use", "token.revoke",
                                        "role.grant", "activation.create",
                                        "account.deactivate"]
    assert recorded[2][1] == f"API token {record.id}: Hệ thống tỉnh"
    assert recorded[0][1].startswith("CLI")


def test_admins_filter_the_log_and_nobody_else_sees_it(app, client, admin):
    load_units()
    auth.grant_role("admin@example.vn", "admin")
    tokens.create_token(unit_by_code("X1"), "Xã")
    tokens.create_token(unit_by_code("SNV"), "Sở")
    old = tokens.create_token(unit_by_code("SNV"), "Cũ")[0]
    db.session.commit()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.target.contains("Cũ")))
    event.at -= timedelta(days=40)
    db.session.commit()

    make_user("unit_manager", email="hr@snv.vn", unit=unit_by_code("SNV"))
    login(client, "hr@snv.vn")
    assert client.get("/admin/audit").status_code == 403
    post_form(client, "/logout", token_from="/my")

    login(client, "admin@example.vn")
    page = client.get("/admin/audit?action=token.create&unit=SNV").get_data(as_text=True)
    assert "token" in page and "Sở" in page and "Xã" not in page
    assert "2 sự kiện" in page
    recent = (event.at + timedelta(days=2)).date().isoformat()
    page = client.get(f"/admin/audit?action=token.create&from={recent}").get_data(as_text=True)
    assert "Cũ" not in page and "2 sự kiện" in page
    page = client.get("/admin/audit?from=hom-qua").get_data(as_text=True)
    assert "hom-qua" in page and "không phải là ngày (dùng YYYY-MM-DD)" in page
    assert old.id


def test_the_action_filter_offers_every_labelled_action(client, admin):
    """The filter's choices are the labels registry: the community team's actions (left
    out while the choices were a list of their own) can be chosen and filter the log."""
    load_units()
    db.session.add_all([AuditEvent(action="community.register", target="Lê Văn Dân (X1)",
                                   actor_label="Tổ công nghệ số"),
                        AuditEvent(action="export", target="coverage csv: *",
                                   actor_label="Quản trị")])
    db.session.commit()
    login(client, "admin@example.vn")
    page = client.get("/admin/audit").get_data(as_text=True)
    offered = re.findall(r'<option value="([^"]+)"', page)
    assert offered == list(labels.ACTION_LABELS)
    assert ('<option value="community.register" >Đăng ký hộ người dân tại tổ công nghệ số'
            '</option>') in page
    page = client.get("/admin/audit?action=community.register").get_data(as_text=True)
    assert "Lê Văn Dân (X1)" in page and "Độ phủ người dân" not in page
    assert "1 sự kiện" in page


@pytest.mark.parametrize("query", [
    {"page": "9" * 30}, {"page": "-5"}, {"from": "0001-01-01"}, {"to": "9999-12-31"},
    {"from": "0001-01-01", "to": "9999-12-31", "page": "99999999999"}])
def test_the_log_answers_any_date_or_page_without_an_error(client, query):
    """Penetration test 2026-11: a huge page number and year 1 / 9999 answered 500."""
    make_user("admin", email="quantri@example.vn")
    login(client, "quantri@example.vn")
    response = client.get("/admin/audit", query_string=query)
    assert response.status_code == 200
    if "from" in query or "to" in query:
        assert "Ngày phải trong khoảng 1900-01-01 đến 2999-12-31" in response.get_data(
            as_text=True)
