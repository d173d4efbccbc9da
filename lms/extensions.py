"""Unbound Flask extensions, bound to the app in :func:`lms.create_app`."""

from __future__ import annotations

import re
import sqlite3

from blinker import Namespace
from flask import current_app, request, session
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_dict

# Stable constraint names so Alembic can alter and drop them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Logins(LoginManager):
    """Flask-Login's manager, doing less on a visitor's request: it does not hash the
    address and browser (session protection's identifier) for an empty session, which
    Flask-Login computes first and then does not check, and it looks no further than a
    session without an account."""

    def _session_protection_failed(self) -> bool:
        if not session:
            return False
        return super()._session_protection_failed()

    def _load_user(self) -> None:
        """A session naming no account is a visitor's: nothing to protect or load.
        (Flask-Login would go on to its own remember-me cookie, which lms never issues
        and lms.auth's user loader refuses, and to request headers, which lms does not
        sign in with.)"""
        if "_user_id" not in session:
            return self._update_request_context_with_user()
        return super()._load_user()


class Csrf(CSRFProtect):
    """Flask-WTF's CSRF protection, asking first whether the request's method is one it
    checks: Flask-WTF looks up the view's exemptions first, on every GET too."""

    def protect(self, apply_exemptions: bool = False) -> None:
        if request.method not in current_app.config["WTF_CSRF_METHODS"]:
            return
        super().protect(apply_exemptions)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = Logins()
csrf = Csrf()
babel = Babel()
# Limits are declared on the views that need them (login, registration, activation);
# storage comes from RATELIMIT_STORAGE_URI (memory:// by default, redis://… for workers).
limiter = Limiter(key_func=get_remote_address, default_limits=[])


# --- SQLite connections and transactions ------------------------------------------------
#
# The sqlite3 module opens transactions itself, and not in a way the session can rely on:
# it sends a deferred BEGIN before INSERT/UPDATE/DELETE only, so a SAVEPOINT sent outside
# such a transaction opens one of its own, and its RELEASE then commits everything (a
# "nested" transaction that commits the request's work early); and reads that decide a
# write are not part of the write's transaction. As SQLAlchemy's pysqlite documentation
# recommends, we take transaction control away from the driver (isolation_level=None)
# and send BEGIN ourselves:
#
# - Reads that come before a transaction's first write run in autocommit, each seeing
#   the latest committed data (as PostgreSQL's READ COMMITTED does). They never take or
#   wait for the write lock, so a long report, an export or an import preview does not
#   hold up anyone else.
# - The first write of a transaction (INSERT, UPDATE, DELETE, SAVEPOINT, DDL) is
#   preceded by BEGIN IMMEDIATE: the database's single write lock is taken (waiting up
#   to busy_timeout) before anything is written and held to COMMIT or ROLLBACK, so
#   savepoints nest and a migration is all or nothing.
# - Where a read decides a write (is the attempt still open? is the lesson already
#   done?), the code calls begin_write() before that read: BEGIN IMMEDIATE at once, so
#   the read and the write are one serialised transaction.
#
# Why not a BEGIN at the start of every transaction: a deferred BEGIN fails at once
# with "database is locked" (SQLITE_BUSY_SNAPSHOT, no waiting) when the transaction has
# read, another connection has committed since, and it then writes; and BEGIN IMMEDIATE
# everywhere would make every page, report, export and import preview hold the single
# write lock for as long as it runs (a 100,000-row preview: seconds), so that other
# requests time out. None of this applies to PostgreSQL: there row locks (a conditional
# UPDATE) and unique constraints pick the one winner.

# Writers wait in turn: a request's transaction holds the lock for milliseconds, the
# write phase of a 100,000-row roster import for several seconds (~7 s on 2 cores).
SQLITE_BUSY_TIMEOUT_MS = 30_000  # so other writers wait for it rather than fail
_SQLITE_READS = frozenset({"SELECT", "PRAGMA", "EXPLAIN", "VALUES"})
_SQLITE_CONTROL = frozenset({"BEGIN", "COMMIT", "END", "ROLLBACK", "RELEASE"})
_DML = re.compile(r"\b(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """WAL for concurrent readers, enforced foreign keys, and waiting on locks."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Reports aggregate a whole province: keep pages and sort trees in memory.
        cursor.execute("PRAGMA cache_size=-65536")  # 64 MB
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.execute("PRAGMA mmap_size=268435456")
        cursor.close()
        # We send BEGIN (see above); the driver only passes statements on.
        dbapi_connection.isolation_level = None


def _sqlite_autocommit(connection) -> bool:
    """A connection asked for AUTOCOMMIT (SQLAlchemy then manages the driver itself)."""
    return connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT"


def _is_write(statement: str, context) -> bool:
    if context is not None and (context.isinsert or context.isupdate or context.isdelete
                                or context.isddl):
        return True
    words = statement.lstrip().split(None, 1)
    first = words[0].upper() if words else ""
    if first == "WITH":  # a CTE before a SELECT, or before an INSERT/UPDATE/DELETE
        return bool(_DML.search(statement))
    return bool(first) and first not in _SQLITE_READS and first not in _SQLITE_CONTROL


@event.listens_for(Engine, "before_cursor_execute")
def _sqlite_begin_before_first_write(conn, cursor, statement, _parameters, context,
                                     _executemany) -> None:
    if conn.dialect.name != "sqlite" or not isinstance(cursor, sqlite3.Cursor):
        return
    dbapi_connection = cursor.connection
    if dbapi_connection.in_transaction or _sqlite_autocommit(conn):
        return
    if _is_write(statement, context):
        dbapi_connection.execute("BEGIN IMMEDIATE")


def begin_write() -> None:
    """Take the write lock now, before the reads that decide a write (SQLite only).

    Reads after this call and the writes they lead to are one transaction that no
    other writer interleaves with; the lock is held until the session commits or
    rolls back. Does nothing on PostgreSQL, or when the transaction already writes.
    """
    connection = db.session.connection()
    if connection.dialect.name != "sqlite" or _sqlite_autocommit(connection):
        return
    dbapi_connection = connection.connection.dbapi_connection
    if isinstance(dbapi_connection, sqlite3.Connection) and not dbapi_connection.in_transaction:
        dbapi_connection.execute("BEGIN IMMEDIATE")


def commit_keeping_loaded() -> None:
    """Commit, leaving the objects the session loaded as they are instead of expiring
    them: for a transaction that added rows the caller has in hand and changed none of
    what it read before (opening a quiz attempt), so that the page rendered next does
    not read it all again. Anything the commit itself changed (a version bumped) is
    read afresh by the next request."""
    session = db.session()
    expiring = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expiring


# --- One-row reads on the driver's cursor -------------------------------------------------

# Announces each statement a OneRowRead runs (the engine's cursor events do not see it):
# tests that count a page's statements listen to both.
bare_statement = Namespace().signal("bare-statement")


class OneRowRead:
    """A fixed SELECT of at most one row, run on the driver's own cursor.

    For the busiest lookups (certificate verification, each signed-in request's
    account, :class:`OneRowObject`): a pooled connection, no
    SQLAlchemy Connection, transaction or result objects around the driver's cursor,
    which cost twice the statement itself on a small page. The statement is built with
    SQLAlchemy from the tables and compiled once per engine, so its SQL and parameter
    style are the dialect's. Values come back as the driver gives them (SQLite: dates
    as ISO text), so the caller converts what it uses.
    """

    def __init__(self, statement) -> None:
        self.statement = statement
        # Per kind of database and driver, not per engine: holding engines here would
        # keep every app's connection pool alive (tests make one app each).
        self._compiled: dict[tuple[str, str, str], tuple[str, tuple[str, ...] | None]] = {}

    def _sql(self, engine: Engine) -> tuple[str, tuple[str, ...] | None]:
        dialect = engine.dialect
        kind = (dialect.name, dialect.driver, dialect.paramstyle)
        found = self._compiled.get(kind)
        if found is None:
            compiled = self.statement.compile(dialect=dialect)
            names = tuple(compiled.positiontup) if compiled.positional else None
            found = self._compiled[kind] = (compiled.string, names)
        return found

    def one_or_none(self, **params) -> tuple | None:
        engine = db.engine
        sql, names = self._sql(engine)
        arguments = tuple(params[name] for name in names) if names is not None else params
        bare_statement.send(sql)
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(sql, arguments)
                return cursor.fetchone()
            finally:
                cursor.close()
        finally:
            connection.close()  # back to the pool


class OneRowObject(OneRowRead):
    """A mapped object of at most one row, read as :class:`OneRowRead` reads, and made a
    persistent object of the request's session as if the ORM had loaded it: the row's
    values converted as the ORM converts them (the column types' result processors),
    no attribute history, later changes flushed as updates. The caller makes sure the
    session does not hold that object already."""

    def __init__(self, model, where) -> None:
        table = model.__table__
        super().__init__(select(*table.columns).where(where))
        mapper = model.__mapper__
        self.model = model
        self.keys = tuple(mapper.get_property_by_column(column).key
                          for column in table.columns)
        self.columns = tuple(table.columns)
        self._processors: dict[tuple[str, str], tuple] = {}

    def load(self, **params):
        row = self.one_or_none(**params)
        if row is None:
            return None
        dialect = db.engine.dialect
        kind = (dialect.name, dialect.driver)
        processors = self._processors.get(kind)
        if processors is None:
            processors = self._processors[kind] = tuple(
                column.type.dialect_impl(dialect).result_processor(dialect, None)
                for column in self.columns)
        instance = self.model.__mapper__.class_manager.new_instance()
        # As the ORM's loader fills an object: into its dict, then committed (by
        # make_transient_to_detached), so no value counts as a change.
        instance_dict(instance).update(
            (key, process(value) if process else value)
            for key, process, value in zip(self.keys, processors, row, strict=True))
        make_transient_to_detached(instance)
        db.session.add(instance)
        return instance
