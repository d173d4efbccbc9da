"""Password reset and email verification links; they flush, the caller commits.

Every message goes through the outbox (lms.mail) in the caller's transaction, so a
request that fails (and rolls back) mails nothing.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from lms.account.logic import confirm_email_change
from lms.audit import logic as audit
from lms.auth.logic import check_password_policy, normalise_email, set_password
from lms.auth.models import User
from lms.extensions import db
from lms.mail import logic as mail
from lms.recovery.models import PASSWORD_RESET, VERIFY_EMAIL, EmailLink
from lms.util.time import utcnow
from lms.util.tokens import token_hash as _hash

RESET_VALID_FOR = timedelta(hours=1)
VERIFY_VALID_FOR = timedelta(days=7)
# Who verifies the address they registered with: people who signed themselves up.
SELF_REGISTERED = ("citizen", "business")

log = logging.getLogger("lms.auth")


class LinkError(Exception):
    """The link cannot be used; ``message`` is translated when shown."""

    def __init__(self, message) -> None:
        super().__init__(message)
        self.message = message



def _issue(user: User, purpose: str, email: str, valid_for: timedelta) -> tuple[EmailLink, str]:
    """A new link; the user's unused links of this purpose stop working."""
    now = utcnow()
    db.session.execute(
        update(EmailLink)
        .where(EmailLink.user_id == user.id, EmailLink.purpose == purpose,
               EmailLink.used_at.is_(None))
        .values(used_at=now).execution_options(synchronize_session=False))
    token = secrets.token_urlsafe(32)
    link = EmailLink(purpose=purpose, user_id=user.id, email=email, token_hash=_hash(token),
                     created_at=now, expires_at=now + valid_for)
    db.session.add(link)
    db.session.flush()
    return link, token


# --- "Quên mật khẩu" -------------------------------------------------------------------


def account_for_reset(email: str | None) -> User | None:
    """The account a reset link may be sent for: active, with this email and a
    password. An official who never chose one activates with HR's link instead (a
    reset link must not stand in for it: see grant_role)."""
    email = normalise_email(email)
    if not email:
        return None
    user = db.session.scalar(select(User).where(func.lower(User.email) == email))
    if user is None or not user.is_active or not user.password_hash or user.anonymised_at:
        return None
    return user


def request_password_reset(email: str | None, locale: str | None = None) -> bool:
    """Queue a reset link if ``email`` is an account's; True if one was queued. The
    caller answers the same either way."""
    user = account_for_reset(email)
    if user is None:
        log.info("password reset asked for an address with no account")
        return False
    link, token = _issue(user, PASSWORD_RESET, user.email, RESET_VALID_FOR)
    mail.queue(f"password-reset:{link.id}", user.email, "password_reset", name=user.full_name,
               locale=locale, link=mail.external_url("recovery.reset_password", token=token),
               valid_minutes=int(RESET_VALID_FOR.total_seconds() // 60))
    log.info("password reset link queued user=%s", user.id)
    return True


def find_link(token: str, purpose: str) -> tuple[EmailLink, User]:
    """The link and its account, or LinkError saying why it cannot be used."""
    link = db.session.scalar(select(EmailLink).where(
        EmailLink.token_hash == _hash(token or ""), EmailLink.purpose == purpose))
    if link is None:
        raise LinkError(_l("Đường dẫn không đúng. Hãy mở lại đường dẫn trong thư, hoặc xin "
                           "đường dẫn mới."))
    if link.used_at is not None:
        raise LinkError(_l("Đường dẫn này đã được dùng, hoặc đã có đường dẫn mới hơn thay "
                           "thế. Hãy dùng thư mới nhất, hoặc xin đường dẫn mới."))
    if link.expires_at < utcnow():
        raise LinkError(_l("Đường dẫn đã hết hạn. Hãy xin đường dẫn mới."))
    user = db.session.get(User, link.user_id)
    if user is None or not user.is_active or user.anonymised_at:
        raise LinkError(_l("Tài khoản này không còn hoạt động."))
    return link, user


def _use(link: EmailLink) -> None:
    """Spend the link, once: of two requests racing with it, one wins."""
    claimed = db.session.execute(
        update(EmailLink).where(EmailLink.id == link.id, EmailLink.used_at.is_(None))
        .values(used_at=utcnow()).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        raise LinkError(_l("Đường dẫn này đã được dùng."))


def reset_password(token: str, password: str) -> User:
    """Set the new password with a reset link: every session of the account ends
    (remembered browsers too), the link and any other reset link stop working, and
    the audit log has it. Raises LinkError or AccountError (a refused password leaves
    the link usable)."""
    link, user = find_link(token, PASSWORD_RESET)
    if normalise_email(user.email) != link.email:
        raise LinkError(_l("Email của tài khoản đã thay đổi sau khi gửi đường dẫn này. Hãy "
                           "xin đường dẫn mới."))
    check_password_policy(password)
    _use(link)
    set_password(user, password)  # ends every session: lms.auth.logic.end_sessions
    now = utcnow()
    db.session.execute(
        update(EmailLink).where(EmailLink.user_id == user.id,
                                EmailLink.purpose == PASSWORD_RESET,
                                EmailLink.used_at.is_(None))
        .values(used_at=now).execution_options(synchronize_session=False))
    if user.email_verified_at is None:
        user.email_verified_at = now  # following the link proved the address
    audit.record("password.reset", target=f"{user.full_name} <{user.email}>",
                 actor_label=f"{user.full_name} <{user.email}>", unit=user.unit)
    db.session.flush()
    log.info("password reset with an emailed link user=%s", user.id)
    return user


# --- verifying an address ---------------------------------------------------------------


def needs_verification(user) -> bool:
    """A self-registered account whose email no link has confirmed yet."""
    return bool(user.is_authenticated and user.role in SELF_REGISTERED and user.email
                and user.email_verified_at is None)


def send_verification(user: User, email: str | None = None, locale: str | None = None) -> bool:
    """Queue a verification link for ``email`` (default: the account's address)."""
    email = normalise_email(email or user.email)
    if not email:
        return False
    link, token = _issue(user, VERIFY_EMAIL, email, VERIFY_VALID_FOR)
    return mail.queue(f"verify-email:{link.id}", email, "verify_email", name=user.full_name,
                      locale=locale, link=mail.external_url("recovery.verify_email", token=token),
                      valid_days=VERIFY_VALID_FOR.days, new_address=email != user.email)


def verify_email(token: str) -> User:
    """Follow a verification link: the account's address (or the new address it is
    changing to, which then becomes its address) is confirmed now."""
    link, user = find_link(token, VERIFY_EMAIL)
    if link.email == normalise_email(user.email):
        _use(link)
    elif link.email == normalise_email(getattr(user, "pending_email", None)):
        _use(link)
        confirm_email_change(user, link.email)
    else:
        raise LinkError(_l("Đường dẫn này không còn dùng được: email của tài khoản đã thay "
                           "đổi."))
    user.email_verified_at = utcnow()
    db.session.flush()
    return user
