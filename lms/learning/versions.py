"""What a learner's own pages depend on, as versions (issue 12: signed-in pages kept).

A signed-in learner's page (my courses, an open quiz) is kept per process under
(lms/http_cache.learner_page):

- ``users.data_version`` of that learner: it changes in the same transaction as any
  write the ORM makes to the learner's own rows (``PERSONAL_TABLES``: progress,
  attempts, completions, their official record, periods, classroom records,
  requirement dates, second factor, offline draws, the account row itself), and as
  any write committed by a request the learner made (their own actions always show);
- the ``learners`` row of ``data_versions`` (lms.reports.versions): every other write
  to a table a page may read (courses, units, requirements set by HR, any bulk or
  textual write, even to a personal table), i.e. every table but ``UNSEEN_TABLES``.

The ORM tells whose rows a flush writes (``after_flush``: the objects, with the old
value of a moved ``user_id``/``official_id``); the engine sees every statement
(lms.reports.versions._note_writes), and one made outside a flush (``session.execute``
of a bulk or textual write) cannot be attributed, so it changes the ``learners`` row.
Both bumps run just before the COMMIT, on its connection: a rollback bumps nothing.

Readers get the ``learners`` row at most once every LMS_CONTENT_CHECK_SECONDS per
process (as the catalogue's version): what an HR officer changes shows on learners'
kept pages within that time. A learner's own writes show at once (their row is read
with their account on every request).
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import g, has_app_context, has_request_context
from sqlalchemy import event, inspect
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import get_history

from lms.util import recheck

# Tables holding one learner's own rows, and the column naming them (an official's
# rows through the official's account).
PERSONAL_TABLES: dict[str, str] = {
    "users": "id", "lesson_progress": "user_id", "quiz_attempts": "user_id",
    "completions": "user_id", "officials": "user_id", "two_factor": "user_id",
    "offline_draws": "user_id", "offline_submissions": "user_id",
    "official_periods": "official_id", "external_trainings": "official_id",
    "requirements": "official_id",
}
# Tables no kept learner page reads (tests/learning/test_kept_pages.py checks it against
# the statements of those pages): writing them changes no version.
UNSEEN_TABLES = frozenset({
    "audit_events", "outbox_messages", "remember_tokens",
    "activation_tokens", "email_links", "recovery_codes", "api_tokens", "frozen_reports",
    "pending_imports", "undeliverable_addresses",
})
# More accounts than this in one transaction (an import through the ORM): the
# ``learners`` row changes instead of each account's.
MOST_ACCOUNTS = 1000

PENDING = "lms_learners_pending"  # connection.info: (account ids, official ids)
_MEMO = "lms_learners_version"  # lms.util.recheck
# True while the statements run are attributed to learners: a unit-of-work flush's (to
# its objects' learners, by ``_note_learners``) or one inside ``writing_for``.
_flushing: contextvars.ContextVar[bool] = contextvars.ContextVar("lms_flushing", default=False)


def in_flush() -> bool:
    """Whether the statement being run is attributed to the learners whose rows it
    writes (a flush, or ``writing_for``)."""
    return _flushing.get()


@contextmanager
def writing_for(session: Session, account_id: int) -> Iterator[None]:
    """Statements run inside write only ``account_id``'s own rows (in PERSONAL_TABLES),
    though the ORM cannot tell whose: a compare-and-set UPDATE, say. They change that
    learner's version, not the ``learners`` row every learner's kept pages depend on.
    A write to any other table still changes the ``learners`` row."""
    token = _flushing.set(True)
    try:
        yield
    finally:
        _flushing.reset(token)
    note_request_write()
    session.connection().info.setdefault(PENDING, (set(), set()))[0].add(account_id)


def learners_domain_written(tables: set[str]) -> bool:
    """Whether writing ``tables`` changes the ``learners`` row."""
    seen = tables - UNSEEN_TABLES
    if _flushing.get():
        seen -= PERSONAL_TABLES.keys()
    return bool(seen)


@event.listens_for(Session, "before_flush")
def _flush_starts(_session, _context, _instances) -> None:
    _flushing.set(True)


@event.listens_for(Session, "after_flush_postexec")
def _flush_ends(_session, _context) -> None:
    _flushing.set(False)


@event.listens_for(Session, "after_soft_rollback")
def _flush_failed(_session, _previous) -> None:
    _flushing.set(False)


@event.listens_for(Session, "after_flush")
def _note_learners(session: Session, _context) -> None:
    accounts: set[int] = set()
    officials: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        table = getattr(type(obj), "__tablename__", None)
        column = PERSONAL_TABLES.get(table)
        if column is None or (obj in session.dirty and not session.is_modified(obj)):
            continue
        history = get_history(obj, column)
        ids = {value for value in (*history.added, *history.unchanged, *history.deleted)
               if value is not None}
        (officials if column == "official_id" else accounts).update(ids)
    if accounts or officials:
        note_request_write()
        pending = session.connection().info.setdefault(PENDING, (set(), set()))
        pending[0].update(accounts)
        pending[1].update(officials)


def note_request_write() -> None:
    """This request wrote what a learner page reads: the pages it renders show data
    newer than the versions it began with, so none is kept."""
    if has_request_context():
        g.lms_learner_wrote = True


def _current_account() -> int | None:
    """The signed-in account of this request, if Flask-Login has loaded it (never
    loaded here: this runs inside a COMMIT)."""
    if not has_request_context():
        return None
    user = g.get("_login_user")
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    identity = inspect(user).identity
    return identity[0] if identity else None


def bump_learners(conn: Connection, cursor, domains: set[str]) -> set[str]:
    """Called by lms.reports.versions just before a COMMIT, with the domains the
    transaction wrote and a bare cursor in it: bump the accounts whose rows it wrote;
    return the domains to bump besides (``learners`` when there are too many)."""
    accounts, officials = conn.info.pop(PENDING, (set(), set()))
    if accounts or officials or domains:
        own = _current_account()
        if own is not None:
            accounts.add(own)
    extra: set[str] = set()
    if len(accounts) + len(officials) > MOST_ACCOUNTS:
        extra.add("learners")
    else:
        # Integers only, written as literals: the same text runs on any driver.
        if accounts:
            cursor.execute("UPDATE users SET data_version = data_version + 1 WHERE id IN ("
                           + ", ".join(str(int(n)) for n in sorted(accounts)) + ")")
        if officials:
            cursor.execute("UPDATE users SET data_version = data_version + 1 WHERE id IN ("
                           "SELECT user_id FROM officials WHERE id IN ("
                           + ", ".join(str(int(n)) for n in sorted(officials)) + "))")
    if "learners" in domains | extra and has_app_context():
        forget_learners_version()
    return extra


def has_pending(conn: Connection) -> bool:
    """Whether the transaction has written learners' own rows not yet committed."""
    return bool(conn.info.get(PENDING))


def forget_pending(conn: Connection) -> None:
    """The transaction rolled back: nothing it wrote counts, and no flush is running."""
    conn.info.pop(PENDING, None)
    _flushing.set(False)


def learners_version() -> Any:
    """The ``learners`` row of data_versions, asked at most once every
    LMS_CONTENT_CHECK_SECONDS per process; None when there is none (nothing kept)."""
    from lms.reports.versions import read_versions

    return recheck.recent(_MEMO, lambda: read_versions().get("learners"))


def forget_learners_version() -> None:
    recheck.forget(_MEMO)
