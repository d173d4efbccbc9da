"""The application shell: configuration, database settings, migrations, language."""

from __future__ import annotations

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, text

from lms import create_app
from lms.config import ConfigError, normalise_database_url
from lms.extensions import db
from tests.builders import load_roster, load_units, make_user
from tests.conftest import csrf_token, database_url, running_app


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("LMS_ENV", "production")
    with pytest.raises(ConfigError, match="SECRET_KEY must be set"):
        create_app()


def test_production_refuses_a_short_secret_key(monkeypatch):
    """Penetration test 2026-11: production started with SECRET_KEY=x."""
    monkeypatch.setenv("LMS_ENV", "production")
    for short in ("x", "a" * 31):
        monkeypatch.setenv("SECRET_KEY", short)
        with pytest.raises(ConfigError, match="at least 32 bytes"):
            create_app()


def test_production_cookies_are_secure(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    monkeypatch.setenv("LMS_ENV", "production")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'p.sqlite3'}")
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["LMS_REMEMBER_DAYS"] == 7  # lms_remember is Secure like the session
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["WTF_CSRF_TIME_LIMIT"] >= 3 * 3600  # a long quiz keeps its token


def test_postgres_urls_use_psycopg3():
    assert normalise_database_url("postgres://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert normalise_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


@pytest.mark.sqlite_only
def test_sqlite_runs_with_wal_foreign_keys_and_busy_timeout(app):
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 5000


def test_migrations_build_the_same_schema_as_the_models(tmp_path):
    """`flask db upgrade` on an empty database gives exactly the models' tables."""
    url = database_url(tmp_path / "migrated")
    (tmp_path / "migrated").mkdir()
    app = create_app({"LMS_ENV": "testing", "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        if db.engine.url.get_backend_name() == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade()
        engine = create_engine(url)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        engine.dispose()
        db.engine.dispose()
    assert diff == []


def test_the_latest_migration_goes_down_and_up_again_keeping_the_data(tmp_path, courses_dir):
    """A downgrade on a populated database works (SQLite rebuilds tables that other
    tables point at) and the data survives the round trip."""
    (tmp_path / "roundtrip").mkdir()
    with running_app(database_url(tmp_path / "roundtrip"), create_tables=False,
                     LMS_COURSES_DIR=str(courses_dir)):
        upgrade()
        load_units()
        load_roster([["CB1", "Nguyễn Văn An", "SNV", "công chức", "", "", "", "", "", "", ""]])
        make_user("citizen", email="dan@example.vn")
        db.session.remove()
        downgrade(revision="-1")
        upgrade()
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM users")).scalar() == 1
            assert conn.execute(text("SELECT count(*) FROM officials")).scalar() == 1
            if db.engine.url.get_backend_name() == "sqlite":
                assert conn.execute(text("PRAGMA foreign_key_check")).fetchall() == []
                assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_vietnamese_by_default_and_english_on_request(client):
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="vi">' in page and "Khóa học" in page
    client.post("/lang", data={"lang": "en", "next": "/courses/",
                               "csrf_token": csrf_token(client)})
    page = client.get("/courses/").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Courses" in page


def test_language_switch_does_not_redirect_off_site(client):
    response = client.post("/lang", data={"lang": "en", "next": "//evil.example",
                                          "csrf_token": csrf_token(client)})
    assert response.headers["Location"] == "/"


def test_errors_are_friendly_pages(client):
    response = client.get("/khong-co-trang-nay")
    assert response.status_code == 404
    assert "Không tìm thấy trang" in response.get_data(as_text=True)


def test_pages_use_only_local_assets(client, course):
    for url in ["/", "/courses/", "/courses/ky-nang-so-co-ban",
                "/courses/ky-nang-so-co-ban/lessons/bai-mo-dau", "/login", "/register"]:
        page = client.get(url).get_data(as_text=True)
        assert "http://" not in page.replace("http://localhost", "")
        assert "https://" not in page
        assert "<script>" not in page  # no inline scripts


def test_demo_command_loads_once_and_prints_logins(runner, course):
    result = runner.invoke(args=["demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "Demo loaded." in result.output
    assert "quantri@lms.example" in result.output and "password:" in result.output
    again = runner.invoke(args=["demo", "--if-empty"])
    assert "demo not loaded again" in again.output


@pytest.mark.sqlite_only
def test_backup_copies_the_sqlite_database(runner, app, tmp_path, course):
    target = tmp_path / "backup.sqlite3"
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    copy = create_engine(f"sqlite:///{target}")
    with copy.connect() as conn:
        assert conn.execute(text("SELECT slug FROM courses")).scalar() == "ky-nang-so-co-ban"
        assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    copy.dispose()


def test_the_suite_runs_on_the_database_it_was_given(app):
    expected = "postgresql" if os.environ.get("LMS_TEST_DATABASE_URL") else "sqlite"
    assert db.engine.url.get_backend_name() == expected


@pytest.mark.postgres_only
def test_backup_on_postgresql_points_at_pg_dump(runner, app, tmp_path):
    result = runner.invoke(args=["backup", str(tmp_path / "x")])
    assert result.exit_code == 1
    assert "pg_dump" in result.output


@pytest.mark.parametrize(("method", "url", "data"), [
    ("get", "/courses/?q=k%00", None), ("get", "/verify/AB%00", None),
    ("get", "/courses/ky%00", None), ("post", "/login", {"identifier": "a\x00@b.vn",
                                                        "password": "x"}),
])
def test_a_nul_character_anywhere_is_a_400(client, method, url, data):
    """PostgreSQL refuses NUL in text, so such a request was a 500 there (found by
    tests/test_fuzz.py); no parameter, field or path segment legitimately holds one."""
    if data is not None:
        data = {**data, "csrf_token": csrf_token(client, "/login")}
    response = getattr(client, method)(url, data=data)
    assert response.status_code == 400
    assert "Yêu cầu không hợp lệ" in response.get_data(as_text=True)
