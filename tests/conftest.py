from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import event, text

from lms import create_app
from lms.config import normalise_database_url
from lms.courses.sync import sync_courses
from lms.extensions import bare_statement, db
from tests.builders import PASSWORD, make_user, write_course

CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
ON_POSTGRES = bool(os.environ.get("LMS_TEST_DATABASE_URL"))


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only: about the embedded SQLite database")
    config.addinivalue_line("markers", "postgres_only: about PostgreSQL deployments")


def pytest_collection_modifyitems(config, items):
    """Backend-specific tests are left out on the other backend (not skipped:
    CI treats a skip as a failure)."""
    other = "sqlite_only" if ON_POSTGRES else "postgres_only"
    kept = [item for item in items if other not in item.keywords]
    deselected = [item for item in items if other in item.keywords]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """With LMS_FAIL_ON_SKIP (set by .ci/run), a skipped test fails: a tier
    that cannot run in CI must not pass quietly."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("LMS_FAIL_ON_SKIP") and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"skipped in CI (LMS_FAIL_ON_SKIP is set): {reason}"


class Client(FlaskClient):
    """The fixture keeps one app context open so tests can use the database;
    in production every request has a fresh ``g``, so clear what requests
    cache there (Flask-Login's user, Flask-WTF's CSRF token) to keep two test
    browsers apart."""

    def open(self, *args, **kwargs):
        for name in list(g):
            g.pop(name)
        return super().open(*args, **kwargs)


@pytest.fixture(scope="session", autouse=True)
def compiled_translations():
    """`make` compiles the catalogues; a bare `pytest` run does it here."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in Path("lms/translations").glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as source:
                catalog = read_po(source)
            with mo.open("wb") as target:
                write_mo(target, catalog)


def database_url(tmp_path: Path) -> str:
    url = os.environ.get("LMS_TEST_DATABASE_URL")
    return normalise_database_url(url) if url else f"sqlite:///{tmp_path / 'test.sqlite3'}"


@pytest.fixture
def courses_dir(tmp_path: Path) -> Path:
    root = tmp_path / "courses"
    root.mkdir()
    return root


@contextmanager
def running_app(url: str, *, create_tables: bool = True, **settings: Any) -> Iterator[Flask]:
    """A test app on a fresh database (a new schema on PostgreSQL), inside its app
    context; ``settings`` override the defaults (e.g. rate limits, LMS_ENV)."""
    app = create_app({"LMS_ENV": "testing", "TESTING": True,
                      "SECRET_KEY": "test-secret-" + "0" * 32,  # production needs 32 bytes
                      "SQLALCHEMY_DATABASE_URI": url, **settings})
    app.test_client_class = Client
    with app.app_context():
        if db.engine.url.get_backend_name() == "postgresql":
            # A fresh schema per test: nothing leaks from one test to the next.
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        if create_tables:
            db.create_all()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app_settings() -> dict[str, Any]:
    """Extra settings for the ``app`` fixture; a test module may override this."""
    return {}


@pytest.fixture
def app(tmp_path: Path, courses_dir: Path, app_settings: dict[str, Any]):
    with running_app(database_url(tmp_path), LMS_COURSES_DIR=str(courses_dir),
                     **app_settings) as app:
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_token(client, path: str = "/") -> str:
    page = client.get(path).get_data(as_text=True)
    match = CSRF_INPUT.search(page)
    if match is None and path == "/":
        # Anonymous pages hold no token (their language switch needs none): a visitor's
        # browser has one from a page with a form, such as the sign-in page.
        match = CSRF_INPUT.search(client.get("/login").get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def post_form(client, url: str, data: dict | None = None, *, token_from: str = "/", **kwargs):
    """POST like a browser: with the CSRF token the site put in its page."""
    payload = dict(data or {})
    payload["csrf_token"] = csrf_token(client, token_from)
    return client.post(url, data=payload, **kwargs)


def login(client, identifier: str, password: str = PASSWORD):
    """Sign in through the form; an account that needs a second factor (admins and HR
    officers always) completes it with the tests' authenticator (TOTP_SECRET)."""
    response = post_form(client, "/login", {"identifier": identifier, "password": password},
                         token_from="/login")
    if response.status_code == 302:
        from lms.auth.logic import find_by_identifier
        from lms.auth.twofactor import needed

        user = find_by_identifier(identifier)
        if user is not None and needed(user):
            response = pass_second_factor(client, user, response.headers["Location"])
    return response


# The tests' authenticator app: the secret admins and HR officers "scanned".
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def enable_two_factor(user, secret: str = TOTP_SECRET) -> None:
    """Two-factor on for ``user`` with ``secret``, as the set-up page leaves it (the
    page itself is tested in tests/auth/test_twofactor.py)."""
    from lms.auth.twofactor import enable_known_secret

    enable_known_secret(user, secret)
    db.session.commit()


def pass_second_factor(client, user, after_login: str = "/my", secret: str = TOTP_SECRET):
    """The second step of signing in, with the app's current code."""
    import pyotp

    from lms.auth.twofactor import record_of

    enable_two_factor(user, secret)
    # A code is accepted once per 30-second step, and one test may sign the same
    # account in several times within a step: forget the step the last sign-in used.
    record_of(user).last_step = None
    db.session.commit()
    step = client.get(after_login)  # the gate sends the browser to the second step
    page = step.headers.get("Location", after_login) if step.status_code == 302 else after_login
    return post_form(client, page, {"code": pyotp.TOTP(secret).now()}, token_from=page)


@pytest.fixture
def course(app, courses_dir):
    """A synced two-lesson course with the default five-question quiz."""
    write_course(courses_dir)
    sync_courses(courses_dir)
    db.session.commit()
    from lms.courses.logic import published_course_or_404

    return published_course_or_404("ky-nang-so-co-ban")


@pytest.fixture
def citizen(app):
    return make_user("citizen", email="dan@example.vn", name="Trần Thị Bình")


@pytest.fixture
def citizen_client(client, citizen):
    response = login(client, "dan@example.vn")
    assert response.status_code == 302
    return client


@pytest.fixture
def admin(app):
    return make_user("admin", email="admin@example.vn", name="Quản trị")


@contextmanager
def statements(compact: bool = False) -> Iterator[list[str]]:
    """The SQL statements the engine runs inside the block, in order (``compact``: each
    on one line, runs of whitespace as one space)."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        seen.append(" ".join(statement.split()) if compact else statement)

    def record_bare(statement: str) -> None:  # lms/extensions.OneRowRead
        record(None, None, statement)

    event.listen(db.engine, "before_cursor_execute", record)
    bare_statement.connect(record_bare)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
        bare_statement.disconnect(record_bare)
