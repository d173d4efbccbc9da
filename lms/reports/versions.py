"""Data versions: a number per "domain" that changes in the same transaction as
anything the domain's readers read (issue 12: the report page kept per process).

``data_versions`` holds one row per domain (``reports``: everything the compliance
report reads; ``units``: the unit history it is laid out on; ``learners``: whatever
a kept learner page reads that is not one learner's own rows, lms.learning.versions,
which also bumps each learner's own ``users.data_version`` at the same moment).
Whenever a transaction writes one of a domain's tables, the row gets ``version + 1``
and a new random ``token`` just before that transaction commits, in it, on the same
connection. A
reader that finds the (version, token) it knows may use what it computed from that
state: the data cannot have changed without the row changing with it, and a
rolled-back transaction leaves both the data and the row as they were.

Writes are seen where every write passes, the engine (``after_cursor_execute``): ORM
flushes, bulk ``session.execute(insert(...), rows)`` executemany, ``INSERT ... SELECT``
and textual SQL alike, whichever module wrote them. Each statement's target table is
read from its SQL text (``INSERT INTO t``, ``UPDATE t``, ``DELETE FROM t``...), so a
write cannot escape by its form. The bump itself waits for the commit (the engine's
``commit`` event, on the DBAPI connection just before its COMMIT): the row is locked
for the commit only, never for a long import, so learners finishing courses are not
queued behind it on PostgreSQL.

Only ``COPY`` through the driver's own cursor (bench.national's loader) passes
outside SQLAlchemy: such a loader must call :func:`bump` itself.
"""

from __future__ import annotations

import re
import secrets
import weakref
from typing import Any

from flask import g, has_app_context
from sqlalchemy import BigInteger, String, event, inspect, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.pool import Pool

from lms.extensions import db
from lms.learning import versions as learners

UNITS_TABLES = frozenset({"units", "unit_periods"})
# Everything lms.reports.indicator's compliance report reads (tests/reports/
# test_report_cache.py derives the list from the report's own SQL and fails when a
# table it reads is missing here), plus the requirements the untrained list reads.
REPORT_TABLES = UNITS_TABLES | frozenset({
    "officials", "official_periods", "completions", "external_trainings", "courses",
    "requirements", "training_classes"})
DOMAINS: dict[str, frozenset[str]] = {"reports": REPORT_TABLES, "units": UNITS_TABLES}
# Not a fixed list of tables: every table but those no learner page reads, and but a
# learner's own rows written by an ORM flush (lms.learning.versions attributes those).
LEARNERS = "learners"
ALL_DOMAINS = (*DOMAINS, LEARNERS)

_PENDING = "lms_data_versions_pending"  # connection.info: domains written, not yet bumped
_MEMO = "_lms_data_versions"  # g: the versions this request read
# The target of a write, wherever it stands in the statement (after a WITH, too).
_WRITE_TARGET = re.compile(
    r"\b(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|REPLACE\s+INTO|UPDATE|DELETE\s+FROM|"
    r"TRUNCATE(?:\s+TABLE)?|COPY)\s+(?:ONLY\s+)?(?:\"?\w+\"?\.)?\"?(\w+)\"?",
    re.IGNORECASE)


class DataVersion(db.Model):
    __tablename__ = "data_versions"

    domain: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    # New at every bump: a version number reused after a rollback or a restore from a
    # backup never matches what a process kept under the old one.
    token: Mapped[str] = mapped_column(String(32), default="")


@event.listens_for(DataVersion.__table__, "after_create")
def _one_row_per_domain(target, connection, **_kw) -> None:
    """db.create_all() (tests, `lms init-db`) starts with the rows the migration adds."""
    connection.execute(target.insert(), [
        {"domain": domain, "version": 0, "token": secrets.token_hex(16)}
        for domain in ALL_DOMAINS])


def written_domains(statement: str) -> set[str]:
    """The domains whose tables ``statement`` writes."""
    tables = {name.lower() for name in _WRITE_TARGET.findall(statement)}
    domains = {domain for domain, watched in DOMAINS.items() if tables & watched}
    if learners.learners_domain_written(tables):
        domains.add(LEARNERS)
    return domains


def _bump_sql(domain: str) -> str:
    # Literals only (a constant domain name and a hex token): the same text runs on the
    # bare DBAPI cursor of any driver, whatever its parameter style.
    return (f"UPDATE data_versions SET version = version + 1, "
            f"token = '{secrets.token_hex(16)}' WHERE domain = '{domain}'")


def _autocommit(conn: Connection) -> bool:
    return conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT"


@event.listens_for(Engine, "after_cursor_execute")
def _note_writes(conn: Connection, cursor, statement: str, _parameters, context,
                 _executemany) -> None:
    if (context is not None and context.compiled is not None
            and not (context.isinsert or context.isupdate or context.isdelete)
            and getattr(context.compiled.statement, "is_select", False)):
        return  # a compiled SELECT (most statements): no write
    if _DDL.match(statement):  # a migration: what _schema() found may have changed
        _SCHEMA.pop(conn.engine, None)
        _AVAILABLE.pop(conn.engine, None)
    domains = written_domains(statement)
    if not domains:
        return
    if LEARNERS in domains:
        learners.note_request_write()
    if _autocommit(conn):  # each statement commits on its own: bump right away
        _run_bump(conn, domains)
        return
    conn.info.setdefault(_PENDING, set()).update(domains)


@event.listens_for(Engine, "commit")
def _bump_before_commit(conn: Connection) -> None:
    _forget_memo()
    domains = conn.info.pop(_PENDING, None) or set()
    if domains or learners.has_pending(conn):
        _run_bump(conn, domains)


def _run_bump(conn: Connection, domains: set[str]) -> None:
    # On the bare DBAPI cursor: in the transaction being committed, without going
    # through SQLAlchemy's statement events again.
    dbapi_connection = conn.connection.dbapi_connection
    if _failed(conn, dbapi_connection):
        learners.forget_pending(conn)
        return  # PostgreSQL will roll it all back: nothing to bump
    cursor = dbapi_connection.cursor()
    try:
        tables, learner_column = _schema(conn, cursor)
        if tables:
            # The learners' own rows first, then one domain row at a time, always in
            # the same order: two committing writers queue on the first row, never
            # hold one each.
            if learner_column:
                domains = domains | learners.bump_learners(conn, cursor, domains)
            else:
                learners.forget_pending(conn)
            for domain in sorted(domains):
                if domain in ALL_DOMAINS:
                    cursor.execute(_bump_sql(domain))
        else:
            learners.forget_pending(conn)
    finally:
        cursor.close()


def _failed(conn: Connection, dbapi_connection) -> bool:
    """A PostgreSQL transaction an error has aborted (its COMMIT rolls back)."""
    if conn.dialect.name != "postgresql":
        return False
    info = getattr(dbapi_connection, "info", None)
    status = getattr(info, "transaction_status", None)
    return status is not None and getattr(status, "name", "") == "INERROR"


_SCHEMA: weakref.WeakKeyDictionary[Engine, tuple[bool, bool]] = weakref.WeakKeyDictionary()
_AVAILABLE: weakref.WeakKeyDictionary[Engine, bool] = weakref.WeakKeyDictionary()
_DDL = re.compile(r"^\s*(?:CREATE|ALTER|DROP)\s", re.IGNORECASE)


def _schema(conn: Connection, cursor) -> tuple[bool, bool]:
    """(whether the database has data_versions, migration 0019; whether users has
    data_version, 0020): not while older migrations write their data. Asked until
    both are there, then once per engine, and again after any schema change."""
    engine = conn.engine
    known = _SCHEMA.get(engine)
    if known is not None:
        return known
    if conn.dialect.name == "sqlite":
        cursor.execute("SELECT (SELECT count(*) FROM sqlite_master WHERE type = 'table' "
                       "AND name = 'data_versions'), (SELECT count(*) FROM "
                       "pragma_table_info('users') WHERE name = 'data_version')")
    elif conn.dialect.name == "postgresql":
        cursor.execute("SELECT to_regclass('data_versions') IS NOT NULL, EXISTS (SELECT 1 "
                       "FROM information_schema.columns WHERE table_schema = "
                       "current_schema() AND table_name = 'users' "
                       "AND column_name = 'data_version')")
    else:
        return True, True
    tables, column = (bool(value) for value in cursor.fetchone())
    if tables and column:
        _SCHEMA[engine] = (True, True)
    return tables, column


@event.listens_for(Engine, "rollback")
def _forget_on_rollback(conn: Connection) -> None:
    _forget_memo()
    conn.info.pop(_PENDING, None)
    learners.forget_pending(conn)


@event.listens_for(Pool, "checkin")
def _forget_on_checkin(_dbapi_connection, record) -> None:
    """A connection back in the pool has rolled back whatever it had not committed."""
    if record is not None:
        record.info.pop(_PENDING, None)
        record.info.pop(learners.PENDING, None)


def bump(*domains: str) -> None:
    """For a writer that bypasses SQLAlchemy (COPY): the domains change with the
    session's transaction."""
    named = set(domains or ALL_DOMAINS)
    # A domain's tables are read by every domain sharing them (units: reports too), and
    # learner pages read them all.
    touched = {other for name in named - {LEARNERS} for other, tables in DOMAINS.items()
               if tables & DOMAINS[name]} | {LEARNERS}
    db.session.connection().info.setdefault(_PENDING, set()).update(touched)


def uncommitted_writes() -> bool:
    """Whether the session's transaction has written a watched table it has not
    committed yet (what it reads now may never be committed: keep nothing)."""
    connection = db.session.connection()
    return bool(connection.info.get(_PENDING))


def read_versions() -> dict[str, Any]:
    """{domain: (version, token)} as committed (one small statement); empty when the
    table has no rows, or no table (a database not yet at migration 0019, asked once
    per process): then nothing may be kept.

    Read once per request (remembered in ``g`` until this thread commits or rolls
    back), however many kept things the request uses."""
    memo = g.get(_MEMO) if has_app_context() else None
    if memo is not None:
        return memo
    versions = _read_versions()
    if has_app_context():
        setattr(g, _MEMO, versions)
    return versions


def _forget_memo() -> None:
    if has_app_context():
        g.pop(_MEMO, None)


def _read_versions() -> dict[str, Any]:
    engine = db.engine
    if engine not in _AVAILABLE:
        _AVAILABLE[engine] = inspect(engine).has_table(DataVersion.__tablename__)
    if not _AVAILABLE[engine]:
        return {}
    return {domain: (version, token) for domain, version, token in db.session.execute(
        select(DataVersion.domain, DataVersion.version, DataVersion.token))}
