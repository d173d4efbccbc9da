"""Uploaded files waiting between their preview and the HR officer's confirmation.

A file is kept in the database (any app process can confirm it) for
``PENDING_HOURS``; each user keeps at most ``PENDING_PER_USER`` of them (a new
upload drops that user's oldest), and ``flask --app lms imports purge-pending``
deletes the expired ones of everybody. Without these, every preview that was never
confirmed stayed in ``pending_imports`` for ever. Flush, never commit.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from lms.extensions import db
from lms.org.models import PendingImport
from lms.util.time import utcnow

PENDING_HOURS = 24
PENDING_PER_USER = 5


class UploadExpired(Exception):
    """The file waited longer than ``PENDING_HOURS``; it has been deleted."""


def expiry_cutoff(now: datetime | None = None) -> datetime:
    """Files created before this have expired."""
    return (now or utcnow()) - timedelta(hours=PENDING_HOURS)


def stash_upload(user_id: int, kind: str, filename: str, data: bytes, options: str = "",
                 *, now: datetime | None = None) -> str:
    """Keep an uploaded file until its preview is confirmed; returns its token.

    The user's expired files and those beyond the newest ``PENDING_PER_USER - 1``
    are deleted first, so the user never has more than ``PENDING_PER_USER``.
    """
    now = now or utcnow()
    newest = (select(PendingImport.id)
              .where(PendingImport.user_id == user_id,
                     PendingImport.created_at >= expiry_cutoff(now))
              .order_by(PendingImport.created_at.desc(), PendingImport.id.desc())
              .limit(PENDING_PER_USER - 1))
    db.session.execute(delete(PendingImport).where(
        PendingImport.user_id == user_id, PendingImport.id.not_in(newest.scalar_subquery())))
    token = secrets.token_urlsafe(24)
    db.session.add(PendingImport(token=token, user_id=user_id, kind=kind,
                                 filename=filename[:255], content=data, options=options,
                                 created_at=now))
    db.session.flush()
    return token


def pending_upload(token: str, user_id: int, *,
                   now: datetime | None = None) -> PendingImport | None:
    """The user's file waiting under ``token``, or None.

    Raises :class:`UploadExpired` (after deleting the file) when it waited too long.
    """
    pending = db.session.scalar(select(PendingImport).where(
        PendingImport.token == token, PendingImport.user_id == user_id))
    if pending is not None and pending.created_at < expiry_cutoff(now):
        db.session.delete(pending)
        db.session.flush()
        raise UploadExpired(token)
    return pending


def purge_expired(now: datetime | None = None) -> int:
    """Delete every user's expired files; returns how many."""
    result = db.session.execute(
        delete(PendingImport).where(PendingImport.created_at < expiry_cutoff(now)))
    db.session.flush()
    return result.rowcount or 0
