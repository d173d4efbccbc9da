"""Registration, login, logout, password change, and the security baseline."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.auth.models import User
from lms.extensions import db
from lms.org.logic import create_unit
from tests.builders import PASSWORD, make_user
from tests.conftest import csrf_token, login, post_form

REGISTRATION = {
    "kind": "citizen",
    "full_name": "Lê Văn Cường",
    "email": "",
    "phone": "+84 912 345 678",
    "commune": "",
    "password": "hoc-ky-nang-so",
    "confirm": "hoc-ky-nang-so",
    "consent": "y",
}


def register(client, **changes):
    return post_form(client, "/register", {**REGISTRATION, **changes}, token_from="/register")


def test_citizen_registers_with_phone_and_commune_and_is_logged_in(client, app):
    commune = create_unit("X-NGHILOC", "Xã Nghi Lộc", "commune")
    db.session.commit()
    response = register(client, commune="Xã Nghi Lộc")
    assert response.status_code == 302
    user = db.session.scalar(select(User))
    assert (user.phone, user.role, user.unit_id) == ("0912345678", "citizen", commune.id)
    assert user.consent_at is not None
    assert user.consent_version == app.config["LMS_PRIVACY_NOTICE_VERSION"]
    assert user.password_hash.startswith("scrypt:")
    assert "Khóa học của tôi" in client.get("/my").get_data(as_text=True)


def test_registration_page_offers_communes_when_units_exist(client):
    create_unit("X-CONCUONG", "Xã Con Cuông", "commune")
    db.session.commit()
    assert "Xã Con Cuông" in client.get("/register").get_data(as_text=True)


def test_business_must_give_tax_code_and_type(client):
    page = register(client, kind="business", full_name="HTX Chè", email="htx@example.vn",
                    phone="").get_data(as_text=True)
    assert "Hãy nhập mã số thuế." in page
    page = register(client, kind="business", full_name="HTX Chè", email="htx@example.vn",
                    phone="", tax_code="2901234568").get_data(as_text=True)
    assert "Hãy chọn loại hình." in page
    response = register(client, kind="business", full_name="HTX Chè", email="htx@example.vn",
                        phone="", tax_code="2901234568", business_type="cooperative")
    assert response.status_code == 302
    user = db.session.scalar(select(User))
    assert (user.role, user.tax_code, user.business_type) == (
        "business", "2901234568", "cooperative")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"consent": ""}, "Bạn cần đồng ý với thông báo để đăng ký."),
        ({"phone": "", "email": ""}, "Hãy nhập email hoặc số điện thoại."),
        ({"phone": "12345"}, "Số điện thoại gồm 10 hoặc 11 chữ số"),
        ({"password": "ngan", "confirm": "ngan"}, "Mật khẩu cần từ 8 đến 128 ký tự."),
        ({"confirm": "khac-hoan-toan"}, "Hai mật khẩu không khớp."),
    ],
)
def test_registration_errors_say_what_to_fix_and_create_nothing(client, changes, message):
    response = register(client, **changes)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(User)) is None


def test_a_bad_commune_is_shown_even_when_there_are_no_communes(client):
    """Found by fuzzing (tests/test_fuzz.py): with no communes the field was hidden, so a
    bad commune gave the same form back with no message at all."""
    page = register(client, commune="abc").get_data(as_text=True)
    assert 'id="commune-error"' in page
    assert db.session.scalar(select(User).where(User.role == "citizen")) is None


def test_an_email_that_lowercasing_lengthens_is_refused_on_the_form(client):
    """Found by fuzzing (tests/test_fuzz.py): "İ".lower() is two characters, so 200 of
    them passed the form's 255 limit and overflowed the column on PostgreSQL (a 500)."""
    page = register(client, email="İ" * 200, phone="").get_data(as_text=True)
    assert "Email dài tối đa 255 ký tự." in page
    assert db.session.scalar(select(User).where(User.role == "citizen")) is None


def test_duplicate_email_or_phone_is_refused(client, app):
    make_user(email="trung@example.vn", phone="0912345678")
    assert "Email này đã được dùng" in register(
        client, email="TRUNG@example.vn", phone="").get_data(as_text=True)
    assert "Số điện thoại này đã được dùng" in register(client).get_data(as_text=True)


def test_login_with_email_or_phone_and_wrong_password(client, app):
    make_user(email="an@example.vn", phone="0987654321")
    bad = login(client, "an@example.vn", "sai-mat-khau")
    assert bad.status_code == 200
    assert "Thông tin đăng nhập không đúng" in bad.get_data(as_text=True)
    # The same message whether or not the account exists.
    assert "Thông tin đăng nhập không đúng" in login(
        client, "khong-co@example.vn").get_data(as_text=True)
    assert login(client, "0987 654 321").status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert login(client, "AN@example.vn").status_code == 302


def test_inactive_account_cannot_log_in(client, app):
    user = make_user(email="nghi@example.vn")
    user.is_active = False
    db.session.commit()
    assert login(client, "nghi@example.vn").status_code == 200


def test_logout_is_a_post_and_ends_the_session(citizen_client):
    assert citizen_client.get("/logout").status_code == 405
    citizen_client.post("/logout", data={"csrf_token": csrf_token(citizen_client)})
    assert citizen_client.get("/my").status_code == 302


@pytest.mark.parametrize(
    "target",
    ["//evil.example", "https://evil.example", "/\\evil.example", "http:/evil.example",
     "javascript:alert(1)", "evil.example"],
)
def test_login_refuses_offsite_next(client, citizen, target):
    response = post_form(client, "/login", {"identifier": "dan@example.vn",
                                            "password": PASSWORD, "next": target},
                         token_from="/login")
    assert response.status_code == 302
    assert response.headers["Location"] == "/my"


def test_login_follows_a_local_next(client, citizen):
    response = post_form(client, "/login", {"identifier": "dan@example.vn", "password": PASSWORD,
                                            "next": "/courses/?q=an+toan"}, token_from="/login")
    assert response.headers["Location"] == "/courses/?q=an+toan"


def test_forms_without_csrf_token_are_refused(client, citizen):
    client.application.config["WTF_CSRF_ENABLED"] = True
    response = client.post("/login", data={"identifier": "dan@example.vn", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/my").status_code == 302  # not logged in
    response = client.post("/register", data=REGISTRATION)
    assert response.status_code == 400
    assert db.session.scalar(select(User).where(User.phone == "0912345678")) is None


def test_change_password_ends_other_sessions_but_keeps_this_one(app, citizen):
    this_browser, other_browser = app.test_client(), app.test_client()
    login(this_browser, "dan@example.vn")
    login(other_browser, "dan@example.vn")
    response = post_form(this_browser, "/account/password", {
        "current_password": PASSWORD, "password": "mat-khau-moi-2026",
        "confirm": "mat-khau-moi-2026"}, token_from="/account/password")
    assert response.status_code == 302
    assert this_browser.get("/my").status_code == 200
    assert other_browser.get("/my").status_code == 302
    assert login(app.test_client(), "dan@example.vn", "mat-khau-moi-2026").status_code == 302


def test_change_password_needs_the_current_one(citizen_client):
    page = post_form(citizen_client, "/account/password", {
        "current_password": "sai", "password": "mat-khau-moi-2026",
        "confirm": "mat-khau-moi-2026"}, token_from="/account/password").get_data(as_text=True)
    assert "Mật khẩu hiện tại không đúng." in page


def test_create_admin_cli(runner, app):
    result = runner.invoke(args=["users", "create-admin", "Chief@Example.vn"],
                           input="mat-khau-quan-tri\nmat-khau-quan-tri\n")
    assert result.exit_code == 0, result.output
    admin = db.session.scalar(select(User).where(User.email == "chief@example.vn"))
    assert admin.role == "admin"
    again = runner.invoke(args=["users", "create-admin", "chief@example.vn"],
                          input="mat-khau-quan-tri\nmat-khau-quan-tri\n")
    assert again.exit_code == 1
    assert "đã được dùng" in again.output


def test_an_email_without_at_sign_is_refused_not_stored(app):
    """Found by fuzzing: such an address was looked up as a phone number, so a second
    registration with it hit the unique constraint (a 500) instead of a message."""
    from lms.auth.logic import AccountError, Registration, register_learner

    for typed in ("nguyễn văn ạn", "ten@mien", "a b@c.vn"):
        with pytest.raises(AccountError, match="Email không đúng dạng"):
            register_learner(Registration(kind="citizen", full_name="A", password="hoc-so-ca-ngay",
                                          consent_version="2026-01", email=typed))
