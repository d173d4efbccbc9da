"""My account (issue 13, point 7): profile, reminder choice, two-factor and sessions."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from lms.account import logic as account
from lms.auth.logic import find_by_identifier
from lms.auth.models import User
from lms.extensions import db
from lms.org.models import Official
from tests.builders import PASSWORD, load_roster, load_units, make_user
from tests.conftest import login, post_form


def save_profile(client, **fields):
    return post_form(client, "/account/profile", fields, token_from="/account")


def fresh(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def test_the_page_gathers_profile_reminders_two_factor_and_sessions(citizen_client):
    page = citizen_client.get("/account").get_data(as_text=True)
    for text in ("Thông tin cá nhân", "Nhắc học", "Xác thực hai bước", "Đổi mật khẩu",
                 "Đăng xuất mọi thiết bị khác", "/account/devices", "/account/data"):
        assert text in page, text
    assert 'href="/account"' in citizen_client.get("/my").get_data(as_text=True)  # the menu


def test_a_citizen_changes_their_name_freely_and_their_phone_with_the_password(
        citizen_client, citizen):
    done = save_profile(citizen_client, full_name="Trần Thị Bình An", phone="")
    assert done.status_code == 302
    assert fresh(citizen).full_name == "Trần Thị Bình An"

    # The phone number signs in: changing it asks for the password.
    refused = save_profile(citizen_client, full_name="Trần Thị Bình An", phone="0912 345 678")
    assert "Hãy nhập mật khẩu hiện tại" in refused.get_data(as_text=True)
    wrong = save_profile(citizen_client, phone="0912345678", current_password="sai-mat-khau")
    assert "Mật khẩu hiện tại không đúng" in wrong.get_data(as_text=True)
    assert fresh(citizen).phone is None
    save_profile(citizen_client, phone="+84 912 345 678", current_password=PASSWORD)
    assert fresh(citizen).phone == "0912345678"
    assert find_by_identifier("0912345678").id == citizen.id

    make_user("citizen", email="khac@example.vn", phone="0987654321")
    taken = save_profile(citizen_client, phone="0987654321", current_password=PASSWORD)
    assert "đã được dùng cho một tài khoản khác" in taken.get_data(as_text=True)
    bad = save_profile(citizen_client, phone="12345", current_password=PASSWORD)
    assert "10 hoặc 11 chữ số" in bad.get_data(as_text=True)
    assert fresh(citizen).phone == "0912345678"


def test_an_officials_name_is_hrs_and_cannot_be_changed_here(client):
    load_units()
    load_roster([["CB-1", "Lê Thị Xã", "X1", "công chức", "", "", "", "canbo@x.vn", "", "",
                  ""]])
    user = make_user("official", email="canbo@x.vn", name="Lê Thị Xã")
    db.session.scalar(select(Official)).user_id = user.id
    db.session.commit()
    login(client, "CB-1")
    page = client.get("/account").get_data(as_text=True)
    assert 'name="full_name"' not in page and "theo hồ sơ cán bộ" in page
    save_profile(client, full_name="Tên Khác")
    assert fresh(user).full_name == "Lê Thị Xã"


def test_reminders_citizens_opt_in_officials_cannot_turn_them_off(client, citizen):
    login(client, "dan@example.vn")
    assert account.reminder_choice(citizen) == "off"
    post_form(client, "/account/reminders", {"reminders": "weekly"}, token_from="/account")
    assert fresh(citizen).reminders == "weekly"
    page = client.get("/account").get_data(as_text=True)
    assert re.search(r'<input checked[^>]*value="weekly"', page)

    official = make_user("official", email="canbo@example.vn")
    other = client.application.test_client()
    login(other, "canbo@example.vn")
    assert account.reminder_choice(official) == "each"
    assert 'value="off"' not in other.get("/account").get_data(as_text=True)
    refused = post_form(other, "/account/reminders", {"reminders": "off"}, token_from="/account")
    assert refused.status_code == 200
    assert fresh(official).reminders is None
    post_form(other, "/account/reminders", {"reminders": "weekly"}, token_from="/account")
    assert fresh(official).reminders == "weekly"
    with pytest.raises(account.AccountError):
        account.set_reminders(official, "off")


def test_a_new_email_waits_for_its_verification(app, client, citizen):
    sent: list[tuple[int, str]] = []
    account.register_email_verifier(app, lambda user, email: sent.append((user.id, email)))
    login(client, "dan@example.vn")
    assert 'name="email"' in client.get("/account").get_data(as_text=True)
    refused = save_profile(client, email="moi@example.vn")
    assert "Hãy nhập mật khẩu hiện tại" in refused.get_data(as_text=True) and sent == []
    done = save_profile(client, email="Moi@Example.vn", current_password=PASSWORD)
    assert done.status_code == 302
    user = fresh(citizen)
    assert (user.email, user.pending_email) == ("dan@example.vn", "moi@example.vn")
    assert sent == [(citizen.id, "moi@example.vn")]
    assert "Đang chờ xác nhận: moi@example.vn" in client.get("/account").get_data(as_text=True)
    # The old address signs in until the new one is confirmed through its link.
    assert find_by_identifier("moi@example.vn") is None
    account.confirm_email_change(user, "moi@example.vn")
    db.session.commit()
    assert find_by_identifier("moi@example.vn").id == citizen.id
    assert fresh(citizen).pending_email is None
    with pytest.raises(account.AccountError):  # a stale link
        account.confirm_email_change(fresh(citizen), "cu@example.vn")


def test_sign_out_everywhere_from_my_account(app, citizen):
    here, elsewhere = app.test_client(), app.test_client()
    login(here, "dan@example.vn")
    login(elsewhere, "dan@example.vn")
    page = here.get("/account").get_data(as_text=True)
    assert 'action="/account/devices/revoke-all"' in page
    post_form(here, "/account/devices/revoke-all", {}, token_from="/account")
    assert here.get("/account").status_code == 200
    assert elsewhere.get("/account").status_code == 302


def test_the_data_download_tells_two_factor_and_reminders_but_no_secret(client, citizen):
    login(client, "dan@example.vn")
    data = client.get("/account/data.json").get_json()
    assert data["two_factor"] is None and data["account"]["reminders"] == "off"
