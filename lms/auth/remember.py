""""Ghi nhớ đăng nhập": a server-side token per remembered browser.

The cookie (``lms_remember``) carries a random selector and a random secret,
signed with SECRET_KEY (so rotating the key forgets every browser too); it holds
no user id. The row keeps only the secret's SHA-256. A browser without a session
presents the cookie; if the token is live it gets a new session and a new secret
(the token keeps its expiry: LMS_REMEMBER_DAYS after the sign-in, never more).

A secret that was already rotated away means two browsers hold the same cookie:
one of them is a copy. Every remembered browser of that user is then signed out.
The one exception is a browser's own requests racing each other (several tabs
opening at once): the secret just replaced, within ROTATION_GRACE, is refused
without that alarm. Like every module here these functions flush; callers commit.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, Signer
from sqlalchemy import delete, select, update

from lms.auth.models import REMEMBER_ROLES, RememberToken, User
from lms.extensions import db
from lms.util.time import utcnow
from lms.util.tokens import token_hash as _hash

COOKIE_NAME = "lms_remember"
ROTATION_GRACE = timedelta(seconds=30)
log = logging.getLogger("lms.auth")


def can_remember(user: User) -> bool:
    """Learners only: admins and HR officers are never remembered."""
    return user.role in REMEMBER_ROLES


def lifetime() -> timedelta:
    return timedelta(days=current_app.config["LMS_REMEMBER_DAYS"])



def _signer() -> Signer:
    return Signer(current_app.config["SECRET_KEY"], salt="lms.remember",
                  digest_method=hashlib.sha256)


def _cookie(selector: str, secret: str) -> str:
    return _signer().sign(f"{selector}.{secret}").decode()


def _parse(cookie: str) -> tuple[str, str] | None:
    try:
        value = _signer().unsign(cookie[:200]).decode()
    except (BadSignature, UnicodeError):
        return None
    selector, _, secret = value.partition(".")
    return (selector, secret) if selector and secret else None


# The names people recognise, most specific first: Cốc Cốc, Edge, Opera, Samsung and
# the in-app browsers all say "Chrome" and "Safari" too; Android says "Linux".
_BROWSERS = (("Zalo", "Zalo"), ("coc_coc", "Cốc Cốc"), ("CocCoc", "Cốc Cốc"),
             ("FBAV", "Facebook"), ("Edg", "Edge"), ("OPR/", "Opera"), ("Opera", "Opera"),
             ("SamsungBrowser", "Samsung Internet"), ("Firefox/", "Firefox"),
             ("FxiOS", "Firefox"), ("CriOS", "Chrome"), ("Chrome/", "Chrome"),
             ("Chromium", "Chromium"), ("Safari/", "Safari"))
_PLATFORMS = (("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"),
              ("Windows", "Windows"), ("CrOS", "ChromeOS"), ("Macintosh", "macOS"),
              ("Linux", "Linux"))


def describe_device(user_agent: str | None) -> tuple[str | None, str | None]:
    """(browser, platform) from a User-Agent, e.g. ("Chrome", "Android"); None if unknown."""
    agent = (user_agent or "")[:512]
    browser = next((name for mark, name in _BROWSERS if mark in agent), None)
    platform = next((name for mark, name in _PLATFORMS if mark in agent), None)
    return browser, platform


def issue(user: User, *, user_agent: str | None, address: str | None
          ) -> tuple[RememberToken, str]:
    """A new token for this browser, and the cookie value that redeems it."""
    now = utcnow()
    # Rows of expired tokens serve no purpose (a replayed one is refused either way).
    db.session.execute(delete(RememberToken).where(RememberToken.user_id == user.id,
                                                   RememberToken.expires_at < now))
    secret = secrets.token_urlsafe(32)
    browser, platform = describe_device(user_agent)
    token = RememberToken(
        user_id=user.id, selector=secrets.token_urlsafe(16), secret_hash=_hash(secret),
        session_version=user.session_version, issued_at=now, expires_at=now + lifetime(),
        last_used_at=now, browser=browser, platform=platform,
        last_address=(address or "")[:64] or None)
    db.session.add(token)
    db.session.flush()
    return token, _cookie(token.selector, secret)


@dataclass
class Redeemed:
    """What a presented cookie leads to: a user to sign in with a new cookie, or
    nobody (``clear``: the cookie is worthless and should be deleted)."""

    user: User | None = None
    token: RememberToken | None = None
    cookie: str | None = None
    clear: bool = True


def redeem(cookie: str, *, address: str | None) -> Redeemed:
    """Check a presented cookie and rotate its secret (see the module docstring)."""
    parsed = _parse(cookie)
    if parsed is None:
        return Redeemed()
    selector, secret = parsed
    token = db.session.scalar(select(RememberToken).where(RememberToken.selector == selector))
    now = utcnow()
    if token is None or token.revoked_at is not None or token.expires_at <= now:
        return Redeemed()
    presented = _hash(secret)
    if not hmac.compare_digest(presented, token.secret_hash):
        if (token.previous_secret_hash and token.rotated_at
                and hmac.compare_digest(presented, token.previous_secret_hash)
                and now - token.rotated_at <= ROTATION_GRACE):
            return Redeemed(clear=False)  # this browser's other request rotated it just now
        revoked = revoke_all(token.user_id)
        log.warning("remember-me cookie replayed after rotation: user=%s, %d remembered "
                    "browsers signed out", token.user_id, revoked)
        return Redeemed()
    user = db.session.get(User, token.user_id)
    if (user is None or not user.is_active or user.session_version != token.session_version
            or not can_remember(user)):
        token.revoked_at = now
        db.session.flush()
        return Redeemed()
    new_secret = secrets.token_urlsafe(32)
    # Compare-and-set: of two requests presenting the same secret, one rotates.
    rotated = db.session.execute(
        update(RememberToken)
        .where(RememberToken.id == token.id, RememberToken.secret_hash == token.secret_hash,
               RememberToken.revoked_at.is_(None))
        .values(secret_hash=_hash(new_secret), previous_secret_hash=token.secret_hash,
                rotated_at=now, last_used_at=now, last_address=(address or "")[:64] or None)
        .execution_options(synchronize_session=False))
    if rotated.rowcount != 1:
        return Redeemed(clear=False)  # the other request won; the browser has its cookie
    db.session.refresh(token)
    return Redeemed(user=user, token=token, cookie=_cookie(token.selector, new_secret),
                    clear=False)


def session_token(token_id: int, user: User) -> RememberToken | None:
    """The token a remembered session stands on, while it is still live."""
    token = db.session.get(RememberToken, token_id)
    if (token is None or token.user_id != user.id or token.revoked_at is not None
            or token.expires_at <= utcnow() or token.session_version != user.session_version):
        return None
    return token


def touch(token: RememberToken, address: str | None) -> None:
    """Note that the remembered browser is in use (the devices page shows it)."""
    token.last_used_at = utcnow()
    token.last_address = (address or "")[:64] or None
    db.session.flush()


def live_tokens(user: User) -> list[RememberToken]:
    """The browsers ``user`` is remembered on, most recently used first."""
    return list(db.session.scalars(
        select(RememberToken).where(RememberToken.user_id == user.id,
                                    RememberToken.revoked_at.is_(None),
                                    RememberToken.expires_at > utcnow(),
                                    RememberToken.session_version == user.session_version)
        .order_by(RememberToken.last_used_at.desc(), RememberToken.id.desc())))


def own_token(user: User, token_id: int) -> RememberToken | None:
    token = db.session.get(RememberToken, token_id)
    return token if token is not None and token.user_id == user.id else None


def revoke(token: RememberToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    db.session.flush()


def revoke_all(user_id: int) -> int:
    """Sign every remembered browser of the user out; how many there were."""
    result = db.session.execute(
        update(RememberToken)
        .where(RememberToken.user_id == user_id, RememberToken.revoked_at.is_(None))
        .values(revoked_at=utcnow()))
    return result.rowcount
