"""One-time activation links on which an official chooses a password."""

from __future__ import annotations

import csv
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, or_, select, update

from lms.audit import logic as audit
from lms.auth.logic import AccountError, set_password
from lms.auth.models import ActivationToken, User
from lms.extensions import db
from lms.org.logic import subtree_condition
from lms.org.models import Official, Unit
from lms.util.i18n import mark
from lms.util.text import neutralise
from lms.util.time import to_local, utcnow
from lms.util.tokens import token_hash as _hash

VALID_FOR = timedelta(days=7)



def officials_without_password(unit: Unit) -> list[Official]:
    """Active officials of ``unit``'s subtree who cannot sign in yet."""
    return list(db.session.scalars(
        select(Official)
        .join(Unit, Unit.id == Official.unit_id)
        .outerjoin(User, User.id == Official.user_id)
        .where(subtree_condition(unit), Official.status != "left",
               or_(Official.user_id.is_(None), User.password_hash.is_(None)))
        .order_by(Unit.path, Official.sort_name, Official.id)  # Vietnamese name order
    ))


def live_links(official_ids: list[int]) -> dict[int, datetime]:
    """Officials among ``official_ids`` holding a link that still works (unused, not
    expired), with its expiry: what a new link for them would stop."""
    found: dict[int, datetime] = {}
    now = utcnow()
    for start in range(0, len(official_ids), 500):
        for official_id, expires_at in db.session.execute(
            select(ActivationToken.official_id, func.max(ActivationToken.expires_at))
            .where(ActivationToken.official_id.in_(official_ids[start:start + 500]),
                   ActivationToken.used_at.is_(None), ActivationToken.expires_at >= now)
            .group_by(ActivationToken.official_id)
        ):
            found[official_id] = expires_at
    return found


def not_activated_among(official_ids: list[int]) -> set[int]:
    """Which of these officials cannot sign in yet (no account, or no password): the
    same rule as officials_without_password, for one page of a roster in one query."""
    if not official_ids:
        return set()
    return set(db.session.scalars(
        select(Official.id).outerjoin(User, User.id == Official.user_id)
        .where(Official.id.in_(official_ids),
               or_(Official.user_id.is_(None), User.password_hash.is_(None)))))


@dataclass
class Invitation:
    official: Official
    token: str
    expires_at: datetime


def invite(officials: list[Official], created_by: User | None = None,
           unit: Unit | None = None) -> list[Invitation]:
    """A fresh link for each official; earlier unused links stop working. ``unit``
    (the unit whose officials are invited) files the audit event under it."""
    now = utcnow()
    ids = [o.id for o in officials]
    for start in range(0, len(ids), 500):
        db.session.execute(
            update(ActivationToken)
            .where(ActivationToken.official_id.in_(ids[start:start + 500]),
                   ActivationToken.used_at.is_(None))
            .values(used_at=now)
        )
    invitations = []
    for official in officials:
        token = secrets.token_urlsafe(32)
        db.session.add(ActivationToken(
            official_id=official.id, token_hash=_hash(token), expires_at=now + VALID_FOR,
            created_by_id=created_by.id if created_by else None))
        invitations.append(Invitation(official, token, now + VALID_FOR))
    db.session.flush()
    if officials:
        codes = [o.employee_code for o in officials]
        audit.record("activation.create", target=f"{len(codes)} link(s)",
                     detail={"officials": codes[:50], "count": len(codes)},
                     unit=unit or (officials[0].unit if len(officials) == 1 else None))
    return invitations


class ActivationError(AccountError):
    """An activation link cannot be used (the message is translated when read)."""


def find_token(token: str) -> ActivationToken:
    record = db.session.scalar(
        select(ActivationToken).where(ActivationToken.token_hash == _hash(token or "")))
    if record is None:
        raise ActivationError(mark("Đường dẫn kích hoạt không đúng. Hãy kiểm tra lại hoặc "
                                   "xin đường dẫn mới từ bộ phận tổ chức cán bộ."))
    if record.used_at is not None:
        raise ActivationError(mark("Đường dẫn này đã được dùng hoặc đã được thay bằng đường "
                                   "dẫn mới. Nếu bạn đã đặt mật khẩu, hãy đăng nhập."))
    if record.expires_at < utcnow():
        raise ActivationError(mark("Đường dẫn đã hết hạn (sau 7 ngày). Hãy xin đường dẫn "
                                   "mới từ bộ phận tổ chức cán bộ."))
    return record


def activate(token: str, password: str) -> User:
    """Use the link once: choose the password and get the official's account."""
    record = find_token(token)
    official = db.session.get(Official, record.official_id)
    if official is None or official.status == "left":
        raise ActivationError(mark("Hồ sơ cán bộ này không còn hoạt động."))
    claimed = db.session.execute(
        update(ActivationToken)
        .where(ActivationToken.id == record.id, ActivationToken.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise ActivationError(mark("Đường dẫn này đã được dùng."))
    user = official.user
    if user is None:
        email_taken = official.email and db.session.scalar(
            select(User.id).where(User.email == official.email))
        user = User(full_name=official.full_name, role="official",
                    email=None if email_taken else official.email)
        db.session.add(user)
        db.session.flush()
        official.user_id = user.id
    set_password(user, password)
    audit.record("activation.use", target=official.employee_code, unit=official.unit,
                 actor_label=f"{official.full_name} ({official.employee_code})")
    return user


def write_invitations(target, invitations, base_url: str) -> None:
    """CSV (UTF-8 with BOM, for Excel) of one activation link per official."""
    handle = target.open("w", encoding="utf-8-sig", newline="") if isinstance(
        target, Path) else target
    writer = csv.writer(handle)
    writer.writerow(["Mã cán bộ", "Họ và tên", "Đơn vị", "Email", "Đường dẫn kích hoạt",
                     "Hết hạn (giờ Việt Nam)"])
    for invitation in invitations:
        official = invitation.official
        writer.writerow([neutralise(value) for value in (
            official.employee_code, official.full_name, official.unit.name,
            official.email or "", f"{base_url}/activate/{invitation.token}",
            to_local(invitation.expires_at).strftime("%d/%m/%Y %H:%M"))])
    if isinstance(target, Path):
        handle.close()
