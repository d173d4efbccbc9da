"""Two-factor sign-in: time-based one-time codes (TOTP, RFC 6238) and recovery codes.

Admins, unit HR officers and province reviewers (``REQUIRED_ROLES``) see the personal
data of whole units (a reviewer: every declared record and scan of the province):
after the password they must set up an authenticator app, or enter its code,
before any other page opens (the gate is ``lms.account.views.require_second_factor``).
Everyone else may turn it on from "Tài khoản của tôi".

* The TOTP secret (160 random bits, ``pyotp.random_base32``) is stored encrypted
  with AES-256-GCM under a key derived from ``LMS_2FA_KEY`` (by default
  ``SECRET_KEY``) and bound to the user's id. It is shown only while being set up.
* A code is accepted in its own 30-second step and the next one (a code typed as it
  changed), and only for a step after the last one accepted: a code seen once, or an
  older one, is refused (a compare-and-set on ``last_step``, so two requests racing
  with the same code cannot both win). The server's clock decides, never the client's.
* Ten recovery codes, each usable once. Only a salted scrypt hash of each is kept
  (one random salt per set, so a typed code costs one hash, not ten); they are shown
  once, when made.

Like every module here these functions flush; callers commit.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
import time
from datetime import datetime, timedelta

import pyotp
import segno
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app, session
from markupsafe import Markup
from sqlalchemy import ForeignKey, String, delete, func, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash

from lms.audit import logic as audit
from lms.auth.logic import end_sessions
from lms.auth.models import User
from lms.extensions import db
from lms.util.time import utcnow

log = logging.getLogger("lms.auth")

REQUIRED_ROLES = ("admin", "unit_manager", "province_reviewer")
PERIOD = 30
DIGITS = 6
# The step before now is accepted too (a code typed as it changed, a phone clock a few
# seconds behind): a code lives 30 to 60 seconds, never a step ahead.
DRIFT_STEPS = 1
RECOVERY_CODES = 10
# 31 characters nobody misreads (no 0/o, 1/l/i): 10 of them are about 50 bits.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_LENGTH = 10
# A secret shown on the set-up page but never confirmed is replaced after this long.
SETUP_LIFETIME = timedelta(hours=1)

# The session key holding user.get_id() once this session has passed the second factor
# (or its account needs none); the version in it ends with the user's sessions.
SESSION_KEY = "two_factor"
# "Ghi nhớ đăng nhập" ticked at the password step: the browser is remembered only
# after the second factor, never before.
REMEMBER_KEY = "two_factor_remember"


class TwoFactor(db.Model):
    """A user's authenticator: set up (``confirmed_at``) or waiting for its first code."""

    __tablename__ = "two_factor"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    # "v1:" + base64(nonce + AES-GCM ciphertext); see encrypt_secret().
    secret_ciphertext: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    # The last time step whose code was accepted: that code, and older ones, are refused.
    last_step: Mapped[int | None]
    last_used_at: Mapped[datetime | None]
    # Hex salt of the current set of recovery codes.
    recovery_salt: Mapped[str | None] = mapped_column(String(64))


class RecoveryCode(db.Model):
    """One single-use recovery code; only its salted scrypt hash is stored."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]


class TwoFactorError(ValueError):
    """A code or password was wrong, or the step is not allowed; ``field`` names the form
    field to show it on."""

    def __init__(self, message: str, field: str = "code") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# --- who needs it --------------------------------------------------------------------


def required(user: User) -> bool:
    return user.role in REQUIRED_ROLES


def record_of(user: User) -> TwoFactor | None:
    return db.session.scalar(select(TwoFactor).where(TwoFactor.user_id == user.id))


def is_enabled(user: User) -> bool:
    record = record_of(user)
    return record is not None and record.confirmed_at is not None


def needed(user: User) -> bool:
    """Must this user pass a second factor to use a session?"""
    return required(user) or is_enabled(user)


# --- the secret, encrypted -------------------------------------------------------------


def _aead() -> AESGCM:
    material = current_app.config.get("LMS_2FA_KEY") or current_app.config["SECRET_KEY"]
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
               info=b"lms.two-factor.totp-secret.v1").derive(material.encode())
    return AESGCM(key)


def encrypt_secret(secret: str, user_id: int) -> str:
    nonce = os.urandom(12)
    sealed = _aead().encrypt(nonce, secret.encode(), f"user:{user_id}".encode())
    return "v1:" + base64.urlsafe_b64encode(nonce + sealed).decode()


def decrypt_secret(value: str, user_id: int) -> str | None:
    """The secret, or None when it cannot be read (another key, another user's row)."""
    version, _, body = value.partition(":")
    if version != "v1":
        return None
    try:
        raw = base64.urlsafe_b64decode(body.encode())
        return _aead().decrypt(raw[:12], raw[12:], f"user:{user_id}".encode()).decode()
    except (InvalidTag, ValueError):
        return None


# --- setting up ------------------------------------------------------------------------


def account_label(user: User) -> str:
    if user.email or user.phone:
        return user.email or user.phone
    return user.official.employee_code if user.official else f"user-{user.id}"


def provisioning_uri(user: User, secret: str) -> str:
    issuer = current_app.config["LMS_SITE_NAME"]
    return pyotp.TOTP(secret, digits=DIGITS, interval=PERIOD).provisioning_uri(
        name=account_label(user), issuer_name=issuer)


def qr_svg(uri: str, title: str) -> Markup:
    """The QR code as SVG markup for the page itself: drawn here, no image request,
    no inline style (the CSP forbids it)."""
    svg = segno.make(uri, error="m").svg_inline(border=4, title=title, svgclass="qr-code",
                                                lineclass=None, omitsize=True)
    return Markup(svg.replace("<svg ", '<svg role="img" ', 1))


def grouped(secret: str) -> str:
    """ "JBSWY3DPEHPK3PXP" → "JBSW Y3DP EHPK 3PXP", for typing into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def start_setup(user: User) -> str:
    """The secret to show on the set-up page: the one waiting for its first code if it
    is recent, else a new one. Refused once two-factor is on."""
    record = record_of(user)
    now = utcnow()
    if record is not None and record.confirmed_at is not None:
        raise TwoFactorError("Xác thực hai bước đã được bật.")
    if record is not None and now - record.created_at < SETUP_LIFETIME:
        secret = decrypt_secret(record.secret_ciphertext, user.id)
        if secret:
            return secret
    secret = pyotp.random_base32()  # 32 characters, 160 bits from `secrets`
    if record is None:
        record = TwoFactor(user_id=user.id, secret_ciphertext="")
        db.session.add(record)
    record.secret_ciphertext = encrypt_secret(secret, user.id)
    record.created_at = now
    record.last_step = None
    db.session.flush()
    return secret


def confirm_setup(user: User, code: str) -> list[str]:
    """Turn two-factor on with the first code from the app; the recovery codes, to be
    shown once. Every other session of the user ends (the caller restarts this one)."""
    record = record_of(user)
    if record is None or record.confirmed_at is not None:
        raise TwoFactorError("Hãy mở lại trang cài đặt để lấy mã QR mới.")
    if utcnow() - record.created_at >= SETUP_LIFETIME:
        raise TwoFactorError("Mã QR này đã quá 1 giờ. Hãy tải lại trang và quét mã mới.")
    if not _accept_totp(user, record, code):
        raise TwoFactorError("Mã không đúng. Hãy nhập 6 chữ số đang hiện trong ứng dụng "
                             "(kiểm tra giờ trên điện thoại).")
    record.confirmed_at = utcnow()
    codes = new_recovery_codes(user, record)
    _end_other_sessions(user)
    audit.record("twofactor.enable", target=_target(user), unit=user.unit)
    return codes


# --- checking a code ---------------------------------------------------------------------


def normalise(code: str | None) -> str:
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())[:64]


def _matching_step(secret: str, code: str, at: float) -> int | None:
    """The time step (``at`` in Unix seconds, the server's clock) whose code this is."""
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=PERIOD)
    current = int(at // PERIOD)
    for step in range(current, current - DRIFT_STEPS - 1, -1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _accept_totp(user: User, record: TwoFactor, code: str) -> bool:
    """Is ``code`` the app's code for a step not used before? Marks the step used."""
    code = normalise(code)
    if len(code) != DIGITS or not code.isdigit():
        return False
    secret = decrypt_secret(record.secret_ciphertext, user.id)
    if secret is None:
        log.error("two-factor secret of user=%s cannot be decrypted (LMS_2FA_KEY or "
                  "SECRET_KEY changed?): recovery codes or an admin reset still work", user.id)
        return False
    now = utcnow()
    step = _matching_step(secret, code, time.time())
    if step is None:
        return False
    # Compare-and-set: a step accepted once (or an older one) is never accepted again,
    # however many requests race with the same code.
    claimed = db.session.execute(
        update(TwoFactor)
        .where(TwoFactor.id == record.id,
               or_(TwoFactor.last_step.is_(None), TwoFactor.last_step < step))
        .values(last_step=step, last_used_at=now)
        .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        log.warning("two-factor code replayed user=%s step=%s", user.id, step)
        return False
    db.session.refresh(record)
    return True


def _recovery_hash(code: str, salt: str) -> str:
    # scrypt (ASVS 6.5.2: under 112 bits, a salted password hash), one per typed code.
    return hashlib.scrypt(code.encode(), salt=bytes.fromhex(salt), n=2**14, r=8, p=1,
                          dklen=32).hex()


def _accept_recovery(user: User, record: TwoFactor, code: str) -> bool:
    code = normalise(code)
    if len(code) != RECOVERY_LENGTH or not record.recovery_salt:
        return False
    typed = _recovery_hash(code, record.recovery_salt)
    unused = db.session.execute(select(RecoveryCode.id, RecoveryCode.code_hash).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))).all()
    match = None
    for code_id, stored in unused:  # compare with all, in constant time each
        if hmac.compare_digest(typed, stored):
            match = code_id
    if match is None:
        return False
    used = db.session.execute(
        update(RecoveryCode).where(RecoveryCode.id == match, RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow()).execution_options(synchronize_session=False))
    return used.rowcount == 1


def check_code(user: User, code: str) -> str | None:
    """``"totp"`` or ``"recovery"`` when the code is good (and now used up), else None."""
    record = record_of(user)
    if record is None or record.confirmed_at is None:
        return None
    if _accept_totp(user, record, code):
        return "totp"
    if _accept_recovery(user, record, code):
        audit.record("twofactor.recovery_used", target=_target(user), unit=user.unit,
                     detail={"remaining": remaining_recovery_codes(user)})
        return "recovery"
    return None


# --- recovery codes ----------------------------------------------------------------------


def _new_code() -> str:
    return "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))


def show_code(code: str) -> str:
    """ "abcdefghjk" → "abcde-fghjk" (the dash is optional when typing)."""
    return f"{code[:5]}-{code[5:]}"


def new_recovery_codes(user: User, record: TwoFactor | None = None) -> list[str]:
    """Ten new codes, replacing every earlier one; returned once, stored as hashes."""
    record = record or record_of(user)
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    record.recovery_salt = secrets.token_hex(16)
    codes = [_new_code() for _ in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(user_id=user.id,
                                    code_hash=_recovery_hash(code, record.recovery_salt))
                       for code in codes)
    db.session.flush()
    return [show_code(code) for code in codes]


def regenerate_recovery_codes(user: User, code: str) -> list[str]:
    if check_code(user, code) is None:
        raise TwoFactorError("Mã không đúng hoặc đã dùng.")
    codes = new_recovery_codes(user)
    audit.record("twofactor.recovery_codes", target=_target(user), unit=user.unit)
    return codes


def remaining_recovery_codes(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0


# --- turning it off ------------------------------------------------------------------------


def _remove(user: User) -> None:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(delete(TwoFactor).where(TwoFactor.user_id == user.id))
    db.session.flush()


def disable(user: User, password: str, code: str) -> None:
    """Turn two-factor off: the password and a code (or recovery code) are both needed.
    Every other session ends. Admins and HR officers must set it up again at once."""
    if not is_enabled(user):
        raise TwoFactorError("Xác thực hai bước đang tắt.")
    if not user.password_hash or not check_password_hash(user.password_hash, password or ""):
        raise TwoFactorError("Mật khẩu không đúng.", "password")
    if check_code(user, code) is None:
        raise TwoFactorError("Mã không đúng hoặc đã dùng.")
    _remove(user)
    _end_other_sessions(user)
    audit.record("twofactor.disable", target=_target(user), unit=user.unit)


def reset(user: User) -> bool:
    """An admin's (or the operator's) reset for someone who lost their phone and codes:
    the second factor is removed and every session of theirs ends; admins and HR
    officers set it up again at their next sign-in. Whether there was one to remove."""
    had = record_of(user) is not None
    _remove(user)
    end_sessions(user)
    audit.record("twofactor.reset", target=_target(user), unit=user.unit,
                 detail={"had_two_factor": had})
    return had


def _end_other_sessions(user: User) -> None:
    """A factor changed: other sessions and remembered browsers end (ASVS 7.4.3); the
    caller restarts this browser's session with start_session()."""
    end_sessions(user)


def _target(user: User) -> str:
    contact = user.email or user.phone
    return f"{user.full_name} ({contact})" if contact else f"{user.full_name} (user {user.id})"


# --- the session ---------------------------------------------------------------------------


def passed(user: User) -> bool:
    """Has this session passed the second factor (or needs none) as this user?"""
    return session.get(SESSION_KEY) == user.get_id()


def mark_passed(user: User) -> None:
    session[SESSION_KEY] = user.get_id()


def forget() -> None:
    session.pop(SESSION_KEY, None)


def enable_known_secret(user: User, secret: str) -> None:
    """Two-factor on with ``secret``, without the set-up page: the demo's published key
    (``flask demo``, never on a real server) and the tests' authenticator."""
    record = record_of(user)
    if record is None:
        record = TwoFactor(user_id=user.id, secret_ciphertext="")
        db.session.add(record)
    record.secret_ciphertext = encrypt_secret(secret, user.id)
    record.created_at = utcnow()
    record.confirmed_at = record.confirmed_at or utcnow()
    db.session.flush()
