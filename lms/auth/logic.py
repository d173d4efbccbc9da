"""Account rules, as plain functions: they flush, the caller commits."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm.util import identity_key
from werkzeug.security import check_password_hash, generate_password_hash

from lms.audit import logic as audit
from lms.auth import remember, taxcode
from lms.auth.models import BUSINESS_TYPES, ROLES, ActivationToken, User
from lms.extensions import OneRowObject, db
from lms.org.models import Official, Unit
from lms.util.i18n import mark
from lms.util.time import utcnow

# Enough to catch typos and keep the email and phone namespaces apart (an address
# without "@" would be looked up as a phone number or an employee code).
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PASSWORD_MIN = 8
PASSWORD_MAX = 128
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")
_PHONE_JUNK = re.compile(r"[\s.\-()]")
_PHONE = re.compile(r"^0\d{9,10}$")


class AccountError(ValueError):
    """A rule was broken; ``field`` names the form field to show it on.

    ``message`` is the Vietnamese source text, marked for translation (``mark``) with
    ``%(name)s`` placeholders filled from ``params``; reading ``error.message`` (or
    ``str(error)``) translates it into the reader's language: the page's visitor, or
    the default language in a command.
    """

    def __init__(self, message: str, field: str | None = None, **params: Any) -> None:
        super().__init__(message % params if params else message)
        self.template = message
        self.params = params
        self.field = field

    @property
    def message(self) -> str:
        return gettext(self.template, **self.params)

    def __str__(self) -> str:
        return self.message


def normalise_email(email: str | None) -> str | None:
    email = (email or "").strip().lower()
    return email or None


def normalise_phone(phone: str | None) -> str | None:
    """Vietnamese numbers in one form: ``+84 912 345 678`` → ``0912345678``."""
    phone = _PHONE_JUNK.sub("", phone or "")
    if not phone:
        return None
    if phone.startswith("+84"):
        phone = "0" + phone[3:]
    elif phone.startswith("84") and len(phone) == 11:
        phone = "0" + phone[2:]
    return phone


def is_valid_phone(phone: str) -> bool:
    return bool(_PHONE.match(phone))


def hash_password(password: str) -> str:
    # Werkzeug 3 defaults to scrypt; named here so a downgrade cannot weaken it.
    return generate_password_hash(password, method="scrypt")


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of passwords attackers try first (lower case)."""
    lines = COMMON_PASSWORDS_FILE.read_text("utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def check_password_policy(password: str) -> None:
    """Length and the common-password list only: no composition rules (ASVS 6.2)."""
    if len(password) < PASSWORD_MIN:
        raise AccountError(mark("Mật khẩu cần ít nhất %(n)d ký tự."), "password", n=PASSWORD_MIN)
    if len(password) > PASSWORD_MAX:
        raise AccountError(mark("Mật khẩu dài tối đa %(n)d ký tự."), "password", n=PASSWORD_MAX)
    if password.strip().lower() in common_passwords():
        raise AccountError(mark("Mật khẩu này nằm trong danh sách mật khẩu phổ biến, rất dễ bị "
                                "đoán. Hãy chọn mật khẩu khác, ví dụ một cụm vài từ dễ nhớ."),
                           "password")


def find_by_identifier(identifier: str) -> User | None:
    """A user by email, phone number or (for officials) employee code."""
    identifier = (identifier or "").strip()
    if not identifier:
        return None
    if "@" in identifier:
        return db.session.scalar(
            select(User).where(func.lower(User.email) == normalise_email(identifier))
        )
    phone = normalise_phone(identifier)
    if phone and is_valid_phone(phone):
        user = db.session.scalar(select(User).where(User.phone == phone))
        if user is not None:
            return user
    return db.session.scalar(
        select(User).join(Official, Official.user_id == User.id)
        .where(Official.employee_code == identifier)
    )


def throttle_key(identifier: str) -> str:
    """One key per account however it is typed (email case, +84 or 0, dots and
    spaces in a phone number), and the same shape whether or not it exists."""
    identifier = (identifier or "").strip()
    if "@" in identifier:
        return "email:" + (normalise_email(identifier) or "")
    phone = normalise_phone(identifier)
    if phone and is_valid_phone(phone):
        return "phone:" + phone
    return "code:" + identifier.upper()[:64]


def authenticate(identifier: str, password: str) -> User | None:
    """The active user whose credentials these are, or None (never says which part failed)."""
    user = find_by_identifier(identifier)
    if user is None or not user.password_hash or not user.is_active:
        # Same work either way, so timing does not reveal whether the account exists.
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password):
        return None
    if not may_sign_in(user):  # an official marked as left (unless the province allows)
        return None
    user.last_login_at = utcnow()
    return user


def may_sign_in(user: User) -> bool:
    """False for an official whose roster record says they left, unless the province lets
    leavers go on learning (LMS_LEFT_OFFICIALS_CAN_SIGN_IN; lms.auth.leavers takes their
    roles and sessions when they leave)."""
    official = db.session.scalar(select(Official.status).where(Official.user_id == user.id))
    return official != "left" or bool(current_app.config["LMS_LEFT_OFFICIALS_CAN_SIGN_IN"])


_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


@dataclass
class Registration:
    kind: str  # citizen | business
    full_name: str
    password: str
    consent_version: str
    email: str | None = None
    phone: str | None = None
    unit: Unit | None = None
    tax_code: str | None = None
    business_type: str | None = None


class AccountErrors(AccountError):
    """Every rule a form broke at once (each an AccountError with its field), so the
    form shows them all in one pass; reads as the first one."""

    def __init__(self, errors: list[AccountError]) -> None:
        first = errors[0]
        super().__init__(first.template, first.field, **first.params)
        self.errors = errors

    def __str__(self) -> str:
        return " ".join(error.message for error in self.errors)


def registration_problems(data: Registration) -> list[AccountError]:
    """Everything wrong with a registration, each with the field to show it on."""
    problems: list[AccountError] = []
    if data.kind not in ("citizen", "business"):
        problems.append(AccountError(mark("Loại tài khoản không hợp lệ."), "kind"))
    email = normalise_email(data.email)
    phone = normalise_phone(data.phone)
    if not email and not phone:
        problems.append(AccountError(mark("Hãy nhập email hoặc số điện thoại."), "email"))
    if email and len(email) > 255:  # lower() can lengthen it: "İ" becomes two characters
        problems.append(AccountError(mark("Email dài tối đa 255 ký tự."), "email"))
    elif email and not EMAIL.match(email):
        problems.append(AccountError(
            mark("Email không đúng dạng, ví dụ: ten@gmail.com."), "email"))
    elif email and find_by_identifier(email):
        problems.append(AccountError(
            mark("Email này đã được dùng cho một tài khoản khác."), "email"))
    if phone and not is_valid_phone(phone):
        problems.append(AccountError(
            mark("Số điện thoại gồm 10 hoặc 11 chữ số, bắt đầu bằng 0."), "phone"))
    elif phone and find_by_identifier(phone):
        problems.append(AccountError(
            mark("Số điện thoại này đã được dùng cho một tài khoản khác."), "phone"))
    if data.password:  # an empty one is the form's to report
        try:
            check_password_policy(data.password)
        except AccountError as error:
            problems.append(error)
    if data.kind == "business":
        _code, message = taxcode.check(data.tax_code, data.business_type)
        if message:
            problems.append(AccountError(message, "tax_code"))
        if data.business_type not in BUSINESS_TYPES:
            problems.append(AccountError(mark("Hãy chọn loại hình."), "business_type"))
    return problems


def register_learner(data: Registration) -> User:
    """A self-registered citizen or business account (AccountErrors: every problem)."""
    problems = registration_problems(data)
    if problems:
        raise AccountErrors(problems)
    email = normalise_email(data.email)
    phone = normalise_phone(data.phone)
    if data.kind == "business":
        data.tax_code = taxcode.normalise(data.tax_code)
    user = User(
        full_name=data.full_name.strip(),
        email=email,
        phone=phone,
        password_hash=hash_password(data.password),
        role=data.kind,
        unit=data.unit,
        tax_code=((data.tax_code or "").strip() or None) if data.kind == "business" else None,
        business_type=data.business_type if data.kind == "business" else None,
        consent_at=utcnow(),
        consent_version=data.consent_version,
    )
    db.session.add(user)
    db.session.flush()
    return user


def change_password(user: User, current: str, new: str) -> None:
    """Set a new password and end every other session of the user."""
    if not user.password_hash or not check_password_hash(user.password_hash, current):
        raise AccountError(mark("Mật khẩu hiện tại không đúng."), "current_password")
    check_password_policy(new)
    set_password(user, new)


def set_password(user: User, password: str) -> None:
    check_password_policy(password)
    user.password_hash = hash_password(password)
    end_sessions(user)


def create_user(
    *,
    full_name: str,
    role: str,
    password: str | None,
    email: str | None = None,
    phone: str | None = None,
    unit: Unit | None = None,
) -> User:
    if role not in ROLES:
        raise AccountError(mark("Vai trò không hợp lệ: %(role)s"), "role", role=role)
    email = normalise_email(email)
    phone = normalise_phone(phone)
    if email and find_by_identifier(email):
        raise AccountError(mark("Email này đã được dùng cho một tài khoản khác."), "email")
    if password is not None:
        check_password_policy(password)
    user = User(
        full_name=full_name,
        role=role,
        email=email,
        phone=phone,
        unit=unit,
        password_hash=hash_password(password) if password else None,
    )
    db.session.add(user)
    db.session.flush()
    return user


def load_session_user(session_id: str) -> User | None:
    """Flask-Login's loader: the user only while the session's version is current."""
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit() or len(user_id) > 18:
        return None
    if db.session.identity_map.get(identity_key(User, int(user_id))) is not None:
        # Already in this session (a test's shared session, a command): as loaded there.
        user = db.session.scalar(_USER_BY_ID, {"id": int(user_id)})
    else:
        user = _SESSION_USER.load(id=int(user_id))
    if user is None or not user.is_active or user.session_version != int(version):
        return None
    return user


# For a session that already holds the account (tests, commands): read through the ORM,
# which returns the object the session holds.
_USER_BY_ID = select(User).where(User.id == bindparam("id"))
# Every signed-in request reads its account first, and on a kept page it is the only
# statement: read on the driver's cursor and placed in the session as loaded.
_SESSION_USER = OneRowObject(User, User.__table__.c.id == bindparam("id"))


def end_sessions(user: User) -> None:
    """Every session and remembered browser of ``user`` stops working, copies included."""
    user.session_version += 1
    remember.revoke_all(user.id)
    db.session.flush()


def deactivate(identifier: str) -> User:
    """Close an account (it can no longer sign in); its records stay."""
    user = find_by_identifier(identifier)
    if user is None:
        raise AccountError(mark("Không tìm thấy tài khoản '%(id)s'."), "identifier",
                           id=identifier)
    user.is_active = False
    end_sessions(user)
    audit.record("account.deactivate", target=f"{user.full_name} ({identifier})")
    return user


def grant_role(identifier: str, role: str, unit: Unit | None = None) -> User:
    """Give ``role`` to the account behind ``identifier`` (email, phone, employee code).

    An official on the roster without an account gets one (without a password:
    they still activate it with their link). Changing a role ends the user's
    sessions, so new permissions apply at once.
    """
    if role not in ROLES:
        raise AccountError(mark("Vai trò không hợp lệ: %(role)s (dùng %(roles)s)"), "role",
                           role=role, roles=", ".join(ROLES))
    if role == "unit_manager" and unit is None:
        raise AccountError(mark("Vai trò unit_manager cần --unit MÃ_ĐƠN_VỊ."), "unit")
    if role == "community_helper" and (unit is None or unit.level != "commune"):
        raise AccountError(mark("Vai trò community_helper cần --unit MÃ_XÃ (một xã, phường)."),
                           "unit")
    user = find_by_identifier(identifier)
    if user is None and "@" in identifier:
        # An email names an account, never a roster record: HR can type anything as an
        # employee code, including someone's email (penetration test 2026-11).
        raise AccountError(mark("Không có tài khoản với email '%(email)s'. Với cán bộ chưa "
                                "có tài khoản, hãy dùng mã cán bộ."), "identifier",
                           email=identifier.strip())
    if user is None:
        official = db.session.scalar(
            select(Official).where(Official.employee_code == identifier.strip()))
        if official is None:
            raise AccountError(mark("Không tìm thấy tài khoản hay cán bộ '%(id)s'."),
                               "identifier", id=identifier)
        user = User(full_name=official.full_name, role="official", email=official.email)
        if official.email and find_by_identifier(official.email):
            user.email = None
        db.session.add(user)
        db.session.flush()
        official.user_id = user.id
    user.role = role
    user.unit = unit if role in ("unit_manager", "community_helper") else (user.unit if role in (
        "citizen", "business") else None)
    end_sessions(user)
    # A link issued before this grant must not set the password of what is now a
    # more powerful account: the person asks for a new one.
    if role in ("admin", "unit_manager", "province_reviewer"):
        db.session.execute(update(ActivationToken).where(
            ActivationToken.official_id.in_(
                select(Official.id).where(Official.user_id == user.id)),
            ActivationToken.used_at.is_(None)).values(used_at=utcnow()))
    db.session.flush()
    audit.record("role.grant", target=f"{user.full_name} ({identifier}): {role}", unit=unit)
    return user
