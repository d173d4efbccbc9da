"""A consistent copy of the SQLite database while the app runs, and putting one back."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import click
from flask.cli import with_appcontext

from lms.extensions import db


@click.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(target: Path) -> None:
    """Copy the SQLite database to TARGET using SQLite's online backup."""
    url = _sqlite_url("backup copies the embedded SQLite database; for PostgreSQL use "
                      "pg_dump (see README, 'Backups').")
    if target.exists():
        raise click.ClickException(f"{target} exists; choose a new file name.")
    source = sqlite3.connect(url.database)
    try:
        destination = sqlite3.connect(target)
        with destination:
            source.backup(destination)
        destination.close()
    finally:
        source.close()
    click.echo(f"Backup written to {target}")


def _sqlite_url(message: str):
    url = db.engine.url
    if url.get_backend_name() != "sqlite":
        raise click.ClickException(message)
    return url


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Confirm replacing the current database.")
@with_appcontext
def restore_command(source: Path, yes: bool) -> None:
    """Replace the SQLite database with the backup SOURCE (stop the app first).

    SQLite's backup API writes the pages back, so the live database's WAL and
    shared-memory files stay consistent (copying the file over them does not)."""
    url = _sqlite_url("restore is for the embedded SQLite database; for PostgreSQL use "
                      "pg_restore (see README, 'Backups').")
    backup = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        check = backup.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise click.ClickException(f"{source} is damaged ({check}); nothing was changed.")
        if not backup.execute("SELECT 1 FROM sqlite_master WHERE name = 'alembic_version'"
                              ).fetchone():
            raise click.ClickException(f"{source} is not an lms database; nothing was changed.")
        if not yes:
            raise click.ClickException(f"This replaces {url.database} with {source}; "
                                       "stop the app, then run again with --yes.")
        db.session.remove()
        db.engine.dispose()
        live = sqlite3.connect(url.database)
        try:
            backup.backup(live)
        finally:
            live.close()
    finally:
        backup.close()
    click.echo(f"Restored {url.database} from {source}")
