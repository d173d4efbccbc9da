"""A consistent copy of the SQLite database while the app runs."""

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
    url = db.engine.url
    if url.get_backend_name() != "sqlite":
        raise click.ClickException(
            "backup copies the embedded SQLite database; for PostgreSQL use pg_dump "
            "(see README, 'Backups')."
        )
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
