"""Queueing mail in the caller's transaction, and what admins and HR are told about
the outbox. These functions flush at most; the caller commits (or rolls back, and
then nothing is sent)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from typing import Any

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import DateTime, bindparam, case, delete, func, select, text, update

from lms.extensions import db
from lms.mail.models import OutboxMessage, UndeliverableAddress
from lms.mail.smtp import one_line
from lms.util.time import utcnow

KEY_MAX = 200
# Header lengths once encoded stay far below 998 (lms/mail/smtp.py does not fold them).
SUBJECT_MAX = 150
NAME_MAX = 120
# Headers a feature may add (List-Unsubscribe and the like); the ones the sender
# writes itself cannot be replaced.
_HEADER_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,60}$")
RESERVED_HEADERS = frozenset({"from", "to", "cc", "bcc", "subject", "date", "message-id",
                              "sender", "reply-to", "return-path", "content-type",
                              "content-transfer-encoding", "mime-version", "auto-submitted"})
_BREAKS = re.compile(r"[\r\n\x00]")


@dataclass
class Rendered:
    subject: str
    text: str
    html: str


def render(template: str, locale: str | None = None, **context: Any) -> Rendered:
    """``templates/mail/<template>.txt`` and ``.html`` in ``locale`` (Vietnamese by
    default). The text template sets the subject: ``{% set subject = _('…') %}``."""
    config = current_app.config
    locale = locale or config["BABEL_DEFAULT_LOCALE"]
    context = {"site_name": config["LMS_SITE_NAME"], "lang": locale,
               "issuing_body": config["LMS_ISSUING_BODY"],
               "base_url": config["LMS_BASE_URL"].rstrip("/"), **context}
    env = current_app.jinja_env
    with force_locale(locale):
        text = env.get_template(f"mail/{template}.txt").make_module(context)
        html = env.get_template(f"mail/{template}.html").render(context)
    subject = one_line(str(getattr(text, "subject", "")))
    if not subject:
        raise ValueError(f"mail/{template}.txt sets no subject")
    return Rendered(subject=subject, text=str(text).strip() + "\n", html=html)


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute link for a message: always on ``LMS_BASE_URL``, never on the Host
    a request came with (a forged Host must not put its own site in a reset link)."""
    base = current_app.config["LMS_BASE_URL"].rstrip("/")
    return base + current_app.url_map.bind("localhost").build(endpoint, values)


# The common shape (ASCII dot-atoms on both sides) is accepted without the full RFC
# 5322 parser, which costs ~0.1 ms an address: reminder runs check 150,000.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


def normalise_address(address: str | None) -> str:
    """One recipient address, lower case; anything else (a list, a name, a line
    break, no domain) is refused with ValueError."""
    address = (address or "").strip()
    if _PLAIN_ADDRESS.fullmatch(address):
        return address.lower()
    if not address or _BREAKS.search(address):
        raise ValueError(f"not one email address: {address!r}")
    try:
        parsed = Address(addr_spec=address)
    except (ValueError, IndexError) as error:
        raise ValueError(f"not one email address: {address!r} ({error})") from None
    if not parsed.domain or parsed.addr_spec != address:
        raise ValueError(f"not one email address: {address!r}")
    return address.lower()


def check_headers(headers: dict[str, str] | None) -> dict[str, str]:
    checked = {}
    for name, value in (headers or {}).items():
        if not _HEADER_NAME.match(name) or name.lower() in RESERVED_HEADERS:
            raise ValueError(f"header {name!r} cannot be set on a queued message")
        if _BREAKS.search(value):
            raise ValueError(f"header {name!r} holds a line break")
        checked[name] = value
    return checked


def queue(key: str, to: str, template: str, *, name: str | None = None,
          locale: str | None = None, headers: dict[str, str] | None = None,
          send_after: datetime | None = None, **context: Any) -> bool:
    """Put a message in the outbox, in the current transaction; True if queued.

    ``key`` says which event this message is about ("password-reset:42"): a message
    with that key already in the outbox (sent or not) means nothing is queued. The
    templates get ``name`` and ``context``; ``name`` also goes in the To header,
    flattened to one line.
    """
    if not key or len(key) > KEY_MAX:
        raise ValueError(f"an outbox key has 1 to {KEY_MAX} characters: {key!r}")
    address = normalise_address(to)
    extra = check_headers(headers)
    if db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.key == key)):
        return False  # the usual repeat: no rendering, no insert
    name = one_line(name)
    rendered = render(template, locale, name=name, **context)
    now = utcnow()
    values = {"key": key, "to_address": address, "to_name": name[:NAME_MAX],
              "subject": rendered.subject[:SUBJECT_MAX], "text_body": rendered.text,
              "html_body": rendered.html, "headers": json.dumps(extra, ensure_ascii=False),
              "created_at": now, "send_after": send_after or now, "attempts": 0}
    inserted = db.session.execute(_INSERT_IGNORING_DUPLICATES, values).scalar()
    return inserted is not None


# INSERT … ON CONFLICT (key) DO NOTHING: two transactions queueing one key at once both
# succeed, and one row is written. The same SQL on SQLite (3.35+) and PostgreSQL; as
# text it is not compiled again for every message (reminders queue many).
_COLUMNS = ("key", "to_address", "to_name", "subject", "text_body", "html_body", "headers",
            "created_at", "send_after", "attempts")
_INSERT_SQL = (f"INSERT INTO outbox_messages ({', '.join(_COLUMNS)}) "
               f"VALUES ({', '.join(':' + c for c in _COLUMNS)}) "
               "ON CONFLICT (key) DO NOTHING")
_DATES = (bindparam("created_at", type_=DateTime()), bindparam("send_after", type_=DateTime()))
_INSERT_IGNORING_DUPLICATES = text(_INSERT_SQL + " RETURNING id").bindparams(*_DATES)
# The same without RETURNING, for lms.mail.bulk's executemany of a thousand rows.
INSERT_MANY_IGNORING_DUPLICATES = text(_INSERT_SQL).bindparams(*_DATES)


# --- what the outbox looks like --------------------------------------------------------

QUEUED = OutboxMessage.sent_at.is_(None) & OutboxMessage.failed_at.is_(None)


@dataclass
class OutboxStatus:
    queued: int = 0
    due: int = 0
    sent: int = 0
    failed: int = 0
    undeliverable: int = 0
    oldest_queued_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None


def outbox_status() -> OutboxStatus:
    """Counts for `mail status` (the whole table: a command, not a page)."""
    now = utcnow()
    queued, due, sent, failed, oldest = db.session.execute(select(
        func.sum(case((QUEUED, 1), else_=0)),
        func.sum(case((QUEUED & (OutboxMessage.send_after <= now), 1), else_=0)),
        func.sum(case((OutboxMessage.sent_at.is_not(None), 1), else_=0)),
        func.sum(case((OutboxMessage.failed_at.is_not(None), 1), else_=0)),
        func.min(case((QUEUED, OutboxMessage.created_at))),
    )).one()
    status = OutboxStatus(queued=queued or 0, due=due or 0, sent=sent or 0,
                          failed=failed or 0, oldest_queued_at=oldest)
    status.undeliverable = db.session.scalar(
        select(func.count()).select_from(UndeliverableAddress)) or 0
    status.last_error, status.last_error_at = _last_error()
    return status


def _last_error(where=None) -> tuple[str | None, datetime | None]:
    query = (select(OutboxMessage.last_error, OutboxMessage.last_attempt_at)
             .where(OutboxMessage.last_error.is_not(None))
             .order_by(OutboxMessage.last_attempt_at.desc(), OutboxMessage.id.desc()).limit(1))
    if where is not None:
        query = query.where(where)
    row = db.session.execute(query).first()
    return (row[0], row[1]) if row else (None, None)


@dataclass
class OutboxNotice:
    """What an admin page says about mail: not configured, or messages that keep
    failing to go out."""

    configured: bool
    queued: int
    waiting_with_error: int
    last_error: str | None
    last_error_at: datetime | None


def outbox_notice() -> OutboxNotice | None:
    """None when mail is configured and nothing waits after an error (queued rows
    only: the due index answers this without reading sent mail)."""
    configured = bool(current_app.config.get("LMS_SMTP_URL"))
    queued, with_error = db.session.execute(select(
        func.count(), func.sum(case((OutboxMessage.last_error.is_not(None), 1), else_=0)),
    ).where(QUEUED)).one()
    with_error = with_error or 0
    if configured and not with_error:
        return None
    error, at = _last_error(QUEUED) if with_error else (None, None)
    return OutboxNotice(configured=configured, queued=queued or 0,
                        waiting_with_error=with_error, last_error=error, last_error_at=at)


def undeliverable_among(addresses) -> set[str]:
    """Which of ``addresses`` the mail server refused for good (lower case)."""
    wanted = sorted({a.strip().lower() for a in addresses if a})
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        found.update(db.session.scalars(select(UndeliverableAddress.address).where(
            UndeliverableAddress.address.in_(wanted[start:start + 500]))))
    return found


def forget_address(address: str | None) -> None:
    """A deleted account's address leaves the outbox: unsent mail to it is dropped,
    sent rows keep only their key (so nothing is queued twice) and dates."""
    if not address:
        return
    address = address.strip().lower()
    db.session.execute(delete(OutboxMessage).where(OutboxMessage.to_address == address,
                                                   QUEUED))
    db.session.execute(update(OutboxMessage).where(OutboxMessage.to_address == address)
                       .values(to_address="", to_name="", text_body="", html_body="")
                       .execution_options(synchronize_session=False))
    db.session.execute(delete(UndeliverableAddress)
                       .where(UndeliverableAddress.address == address))
    db.session.flush()
