"""Backup and restore on SQLite: back up, change things, restore, compare every table."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import select

from lms.auth.models import User
from lms.extensions import db
from tests.builders import load_roster, load_units, make_user

pytestmark = pytest.mark.sqlite_only


def snapshot(path) -> dict[str, list[tuple]]:
    connection = sqlite3.connect(path)
    try:
        tables = [name for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {table: sorted(connection.execute(f'SELECT * FROM "{table}"').fetchall(),
                              key=repr) for table in tables}
    finally:
        connection.close()


def test_backup_change_restore_gives_back_exactly_the_backed_up_data(app, runner, course,
                                                                    tmp_path):
    # Test databases come from create_all(); a real one was migrated, and restore
    # checks for Alembic's table to tell an lms database from any other file.
    db.session.execute(db.text("CREATE TABLE IF NOT EXISTS alembic_version "
                               "(version_num VARCHAR(32) PRIMARY KEY)"))
    db.session.commit()
    load_units()
    load_roster([["CB1", "Nguyễn Văn An", "SNV", "công chức", "", "", "", "", "", "", ""]])
    make_user("citizen", email="dan@example.vn")
    live = db.engine.url.database
    saved = tmp_path / "sao-luu.sqlite3"
    assert runner.invoke(args=["backup", str(saved)]).exit_code == 0
    before = snapshot(live)
    assert before["users"] and before["officials"] and before["courses"]

    # Life goes on after the backup: a new account, a renamed one.
    make_user("citizen", email="moi@example.vn")
    db.session.scalar(select(User).where(User.email == "dan@example.vn")).full_name = "Đổi tên"
    db.session.commit()
    assert snapshot(live) != before

    refused = runner.invoke(args=["restore", str(saved)])
    assert refused.exit_code == 1 and "--yes" in refused.output
    result = runner.invoke(args=["restore", str(saved), "--yes"])
    assert result.exit_code == 0, result.output
    assert snapshot(live) == before
    assert db.session.scalar(select(User).where(User.email == "moi@example.vn")) is None
    with sqlite3.connect(live) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_restore_refuses_a_damaged_or_foreign_file_and_changes_nothing(app, runner, tmp_path):
    make_user("citizen", email="dan@example.vn")
    live = db.engine.url.database
    before = snapshot(live)
    foreign = tmp_path / "khac.sqlite3"
    with sqlite3.connect(foreign) as connection:
        connection.execute("CREATE TABLE t (x)")
    result = runner.invoke(args=["restore", str(foreign), "--yes"])
    assert result.exit_code == 1 and "not an lms database" in result.output
    damaged = tmp_path / "hong.sqlite3"
    damaged.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    result = runner.invoke(args=["restore", str(damaged), "--yes"])
    assert result.exit_code == 1
    assert snapshot(live) == before
