"""Recording and reading audit events; callers commit with their own change."""

from __future__ import annotations

import getpass
import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import func, select

from lms.audit import labels
from lms.audit.models import AuditEvent
from lms.extensions import db
from lms.org.logic import subtree_condition
from lms.org.models import Unit
from lms.util.time import local_midnight_utc

# The actions and what the log shows for each: lms/audit/labels.py (the registry; the
# log's filter offers every action registered there).
ACTION_LABELS = labels.ACTION_LABELS


def record(action: str, *, target: str = "", unit: Unit | None = None,
           detail: dict[str, Any] | None = None, actor_label: str | None = None) -> AuditEvent:
    """Add an event for the signed-in user (web) or the operator (CLI)."""
    actor_id = None
    address = None
    label = actor_label
    if has_request_context():
        address = request.remote_addr
        if current_user.is_authenticated:
            actor_id = current_user.id
            label = label or _describe(current_user)
    event = AuditEvent(action=action, target=target[:255], unit_id=unit.id if unit else None,
                       detail=json.dumps(detail or {}, ensure_ascii=False, default=str),
                       actor_id=actor_id, actor_label=(label or _operator())[:255],
                       address=address)
    db.session.add(event)
    return event


def _operator() -> str:
    """Who ran a command on the server (no web user there)."""
    try:
        return f"CLI ({getpass.getuser()})"
    except (KeyError, OSError):
        return "CLI"


def _describe(user) -> str:
    contact = user.email or user.phone or ""
    return f"{user.full_name} <{contact}>" if contact else user.full_name


@dataclass
class AuditFilter:
    action: str = ""
    actor: str = ""
    unit: Unit | None = None
    start: date | None = None
    end: date | None = None


def events(filters: AuditFilter, page: int, per_page: int = 50):
    """A page of matching events, newest first (Flask-SQLAlchemy pagination)."""
    query = select(AuditEvent)
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.actor:
        query = query.where(func.lower(AuditEvent.actor_label).contains(filters.actor.lower()))
    if filters.unit is not None:
        query = query.where(AuditEvent.unit_id.in_(
            select(Unit.id).where(subtree_condition(filters.unit))))
    if filters.start:
        query = query.where(AuditEvent.at >= local_midnight_utc(filters.start))
    if filters.end:
        query = query.where(AuditEvent.at < local_midnight_utc(filters.end + timedelta(days=1)))
    query = query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    return db.paginate(query, page=page, per_page=per_page, error_out=False)
