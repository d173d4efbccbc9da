"""API tokens on an admin page (issue 16, point 7): created with the token shown once,
listed without it, revoked; each step audited; the token then stops working."""

from __future__ import annotations

import re

from sqlalchemy import select

from lms.audit.models import AuditEvent
from lms.extensions import db
from lms.reports.models import ApiToken
from tests.builders import load_units
from tests.conftest import csrf_token, login, post_form


def test_admin_creates_lists_and_revokes_a_token(app, client, admin):
    load_units()
    db.session.commit()
    login(client, "admin@example.vn")
    refused = post_form(client, "/admin/tokens", {"name": "Hệ thống", "unit": "KHONG-CO"},
                        token_from="/admin/tokens")
    assert "Không có đơn vị mã &#39;KHONG-CO&#39;." in refused.get_data(as_text=True)
    assert db.session.scalar(select(ApiToken)) is None

    created = post_form(client, "/admin/tokens", {"name": "Báo cáo Sở Nội vụ", "unit": "snv"},
                        token_from="/admin/tokens")
    page = created.get_data(as_text=True)
    assert created.headers["Cache-Control"] == "no-store"
    token = re.search(r'id="new-token">(lms_[\w-]+)<', page)[1]
    assert "mã chỉ hiện một lần" in page
    record = db.session.scalar(select(ApiToken))
    assert (record.name, record.unit.code) == ("Báo cáo Sở Nội vụ", "SNV")

    api = app.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/reports/compliance", headers=bearer).status_code == 200

    listing = client.get("/admin/tokens").get_data(as_text=True)
    assert "Báo cáo Sở Nội vụ" in listing and token not in listing
    assert "Thu hồi" in listing

    response = client.post(f"/admin/tokens/{record.id}/revoke",
                           data={"csrf_token": csrf_token(client, "/admin/tokens")})
    assert response.status_code == 302
    assert "Đã thu hồi lúc" in client.get("/admin/tokens").get_data(as_text=True)
    assert api.get("/api/v1/reports/compliance", headers=bearer).status_code == 401
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["token.create", "token.use", "token.revoke"]
