"""API tokens: created once, stored hashed, scoped to a unit, revocable."""

from __future__ import annotations

import secrets

from sqlalchemy import select

from lms.audit import logic as audit
from lms.extensions import db
from lms.org.models import Unit
from lms.reports.models import ApiToken
from lms.util.time import utcnow
from lms.util.tokens import token_hash as _hash

PREFIX = "lms_"



def create_token(unit: Unit, name: str) -> tuple[ApiToken, str]:
    """The stored record and the token itself (shown to the admin once, never again)."""
    token = PREFIX + secrets.token_urlsafe(32)
    record = ApiToken(name=name, unit_id=unit.id, token_hash=_hash(token))
    db.session.add(record)
    db.session.flush()
    audit.record("token.create", target=f"token {record.id}: {name}", unit=unit)
    return record, token


def authenticate(token: str | None) -> ApiToken | None:
    if not token:
        return None
    record = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash(token)))
    if record is None or record.revoked_at is not None:
        return None
    record.last_used_at = utcnow()
    audit.record("token.use", target=f"token {record.id}: {record.name}", unit=record.unit,
                 actor_label=f"API token {record.id}: {record.name}")
    return record


def revoke(token_id: int) -> ApiToken | None:
    record = db.session.get(ApiToken, token_id)
    if record is not None and record.revoked_at is None:
        record.revoked_at = utcnow()
        audit.record("token.revoke", target=f"token {record.id}: {record.name}",
                     unit=record.unit)
    return record
