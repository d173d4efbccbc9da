"""One-time activation links, employee-code login and role grants."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.auth import activation
from lms.auth.logic import AccountError, grant_role
from lms.auth.models import ActivationToken, User
from lms.extensions import db
from lms.org.logic import unit_by_code
from lms.org.models import Official
from tests.builders import load_roster, load_units
from tests.conftest import csrf_token, login, post_form


@pytest.fixture
def roster(app):
    load_units()
    load_roster([
        ["CB1", "Nguyễn Văn An", "SNV", "công chức", "", "có", "", "an@snv.vn", "", "", ""],
        ["CB2", "Lê Thị Bình", "SNV-TC", "viên chức", "", "", "", "", "", "", ""],
        ["CB3", "Trần Văn Cường", "X1", "cán bộ", "", "", "", "", "", "", ""],
        ["CB4", "Đã Nghỉ", "SNV", "cán bộ", "", "", "", "", "", "nghỉ việc", "01/01/2026"],
    ])


def invite(code="SNV"):
    invitations = activation.invite(activation.officials_without_password(unit_by_code(code)))
    db.session.commit()
    return {i.official.employee_code: i.token for i in invitations}


def choose_password(client, token, password="mat-khau-can-bo-1"):
    return post_form(client, f"/activate/{token}", {"password": password, "confirm": password},
                     token_from=f"/activate/{token}")


def test_invitations_cover_the_subtree_active_officials_without_password(roster):
    tokens = invite("SNV")
    assert sorted(tokens) == ["CB1", "CB2"]  # not CB3 (other unit), not CB4 (left)
    stored = db.session.scalars(select(ActivationToken.token_hash)).all()
    assert all(token not in stored for token in tokens.values())  # only hashes are kept


def test_activation_link_sets_password_once_and_logs_in_by_employee_code(app, client, roster):
    token = invite()["CB1"]
    page = client.get(f"/activate/{token}").get_data(as_text=True)
    assert "Nguyễn Văn An" in page and "CB1" in page
    response = choose_password(client, token)
    assert response.status_code == 302 and response.headers["Location"] == "/my"
    user = db.session.scalar(select(User).join(Official, Official.user_id == User.id)
                             .where(Official.employee_code == "CB1"))
    assert (user.role, user.email) == ("official", "an@snv.vn")

    reused = app.test_client().get(f"/activate/{token}")
    assert reused.status_code == 410
    assert "đã được dùng" in reused.get_data(as_text=True)
    fresh = app.test_client()
    assert login(fresh, "CB1", "mat-khau-can-bo-1").status_code == 302
    assert login(app.test_client(), "an@snv.vn", "mat-khau-can-bo-1").status_code == 302


def test_expired_and_replaced_links_do_not_work(app, client, roster):
    first = invite()["CB2"]
    second = invite()["CB2"]  # a new link replaces the old one
    assert client.get(f"/activate/{first}").status_code == 410
    record = db.session.scalars(select(ActivationToken).where(
        ActivationToken.used_at.is_(None))).all()
    for token in record:
        token.expires_at -= timedelta(days=8)
    db.session.commit()
    expired = client.get(f"/activate/{second}")
    assert expired.status_code == 410
    assert "hết hạn" in expired.get_data(as_text=True)
    assert client.get("/activate/khong-phai-ma").status_code == 410


def test_activated_officials_are_not_invited_again(client, roster):
    choose_password(client, invite()["CB1"])
    assert sorted(invite("SNV")) == ["CB2"]


def test_cli_invite_writes_links(runner, roster, tmp_path):
    target = tmp_path / "links.csv"
    result = runner.invoke(args=["officials", "invite", "--unit", "SNV", "-o", str(target)])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(target.read_text("utf-8-sig"))))
    assert rows[0][:2] == ["Mã cán bộ", "Họ và tên"]
    assert {r[0] for r in rows[1:]} == {"CB1", "CB2"}
    assert all(r[4].startswith("http://127.0.0.1:5000/activate/") for r in rows[1:])


def test_grant_unit_manager_by_employee_code(runner, roster):
    result = runner.invoke(args=["users", "grant", "CB1", "unit_manager", "--unit", "SNV"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "an@snv.vn"))
    assert user.role == "unit_manager" and user.unit.code == "SNV"
    with pytest.raises(AccountError, match="--unit"):
        grant_role("CB2", "unit_manager")
    with pytest.raises(AccountError, match="Không tìm thấy"):
        grant_role("KHONG-CO", "admin")


def test_role_change_ends_the_users_sessions(app, roster):
    from tests.builders import make_user

    make_user("citizen", email="dan@example.vn")
    browser = app.test_client()
    login(browser, "dan@example.vn")
    assert browser.get("/my").status_code == 200
    grant_role("dan@example.vn", "admin")
    db.session.commit()
    assert browser.get("/my").status_code == 302


def test_unit_manager_invitations_download(app, roster):
    from tests.builders import make_user

    make_user("unit_manager", email="hr@snv.vn", unit=unit_by_code("SNV"))
    client = app.test_client()
    login(client, "hr@snv.vn")
    response = client.post("/units/SNV/invitations", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeffMã cán bộ") and "CB2" in text and "CB3" not in text
    assert client.post("/units/X1/invitations",
                       data={"csrf_token": csrf_token(client)}).status_code == 404
