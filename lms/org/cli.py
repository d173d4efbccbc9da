from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import force_locale

from lms.auth import activation
from lms.auth import logic as auth
from lms.extensions import db
from lms.org import pending
from lms.org.imports import ImportResult, run_import
from lms.org.logic import unit_by_code

units_cli = AppGroup("units", help="The units tree.")
officials_cli = AppGroup("officials", help="The officials roster.")
training_cli = AppGroup("training", help="External (classroom) training records.")
imports_cli = AppGroup("imports", help="Files uploaded in the web UI, waiting for confirmation.")
CHANGES_SHOWN = 100


def _run(kind: str, file: Path, dry_run: bool, show_all: bool, **options) -> None:
    # CLI users are admins reading English messages; the web UI speaks Vietnamese.
    with force_locale("en"):
        result = run_import(kind, file.name, file.read_bytes(), dry_run=dry_run, **options)
        _report(result, dry_run, show_all)


def _report(result: ImportResult, dry_run: bool, show_all: bool) -> None:
    if not result.ok:
        db.session.rollback()
        for message in result.errors:
            click.echo(message)
        if result.error_count > len(result.errors):
            click.echo(f"... and {result.error_count - len(result.errors)} more errors")
        click.echo(f"{result.error_count} error(s): nothing was imported.", err=True)
        raise SystemExit(1)
    shown = result.changes if show_all else result.changes[:CHANGES_SHOWN]
    for change in shown:
        click.echo(f"row {change.row}: {change.describe()}" if change.row else change.describe())
    if len(shown) < len(result.changes):
        click.echo(f"... and {len(result.changes) - len(shown)} more changes (--show-all)")
    if dry_run:
        db.session.rollback()
        click.echo(f"Dry run, nothing changed. Would import {result.rows} row(s): "
                   f"{result.summary()}.")
    else:
        db.session.commit()
        click.echo(f"Imported {result.rows} row(s): {result.summary()}.")


def import_command(group: AppGroup, name: str = "import"):
    """The FILE argument and the options every import shares."""

    def decorate(function):
        for option in (
            click.option("--show-all", is_flag=True,
                         help="List every change, not only the first 100."),
            click.option("--dry-run", is_flag=True,
                         help="Show what would change; change nothing."),
            click.argument("file", type=click.Path(exists=True, dir_okay=False,
                                                   path_type=Path)),
        ):
            function = option(function)
        return group.command(name)(function)

    return decorate


@import_command(units_cli)
def import_units_command(file: Path, dry_run: bool, show_all: bool) -> None:
    """Import units (CSV or XLSX: code, name, level, parent_code)."""
    _run("units", file, dry_run, show_all)


@import_command(units_cli, "change")
def change_units_command(file: Path, dry_run: bool, show_all: bool) -> None:
    """Apply dated unit changes (effective_on, action, unit_code, name, level,
    parent_code, into_code): create, rename, move, merge, abolish."""
    _run("unit_changes", file, dry_run, show_all)


@units_cli.command("refresh")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="Default: today.")
def refresh_command(today) -> None:
    """Bring today's values up to date with dated changes whose day has come (run daily)."""
    from lms.learning.requirements import refresh_requirements
    from lms.org.history import apply_current
    from lms.util.time import local_today

    day = today.date() if today else local_today()
    units, officials = apply_current(day)
    refresh_requirements(day)
    db.session.commit()
    click.echo(f"{units} unit(s) and {officials} official(s) brought up to {day.isoformat()}.")


@import_command(officials_cli)
@click.option("--deactivate-missing", is_flag=True,
              help="Mark active officials of the file's units who are not in it as left.")
@click.option("--effective", type=click.DateTime(["%Y-%m-%d"]),
              help="YYYY-MM-DD: the day the file's changes take effect (default today).")
@click.option("--correct", is_flag=True,
              help="Rewrite the period valid on --effective instead of starting a new one "
                   "(a correction of history; named in the audit log).")
def import_officials_command(file: Path, dry_run: bool, show_all: bool,
                             deactivate_missing: bool, effective, correct: bool) -> None:
    """Import the officials roster (CSV or XLSX, columns in DESIGN.md)."""
    _run("officials", file, dry_run, show_all, deactivate_missing=deactivate_missing,
         effective=effective.date() if effective else None, correct=correct)


@import_command(training_cli)
def import_training_command(file: Path, dry_run: bool, show_all: bool) -> None:
    """Import external training records (employee_code, course, completed_on, source)."""
    _run("training", file, dry_run, show_all)


@imports_cli.command("purge-pending")
def purge_pending_command() -> None:
    """Delete uploads previewed but not confirmed within 24 hours (run daily)."""
    deleted = pending.purge_expired()
    db.session.commit()
    click.echo(f"Deleted {deleted} expired pending upload(s) "
               f"(older than {pending.PENDING_HOURS} hours).")


@officials_cli.command("invite")
@click.option("--unit", "unit_code", required=True, help="Unit code; its whole subtree.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
def invite_command(unit_code: str, output: Path) -> None:
    """Write one-time activation links (valid 7 days) for officials without a password."""
    unit = unit_by_code(unit_code)
    if unit is None:
        raise click.ClickException(f"no unit with code {unit_code}")
    invitations = activation.invite(activation.officials_without_password(unit), unit=unit)
    base = current_app.config["LMS_BASE_URL"].rstrip("/")
    activation.write_invitations(output, invitations, base)
    db.session.commit()
    click.echo(f"{len(invitations)} activation link(s) written to {output}")


def grant_command_factory(users_cli) -> None:
    @users_cli.command("grant")
    @click.argument("identifier")
    @click.argument("role")
    @click.option("--unit", "unit_code", help="The unit a unit_manager manages (with subtree).")
    def grant(identifier: str, role: str, unit_code: str | None) -> None:
        """Give ROLE (admin, unit_manager, official, citizen, business) to IDENTIFIER."""
        unit = None
        if unit_code:
            unit = unit_by_code(unit_code)
            if unit is None:
                raise click.ClickException(f"no unit with code {unit_code}")
        try:
            user = auth.grant_role(identifier, role, unit)
        except auth.AccountError as error:
            db.session.rollback()
            raise click.ClickException(error.message) from None
        db.session.commit()
        scope = f" of {unit.code} and its subtree" if role == "unit_manager" else ""
        click.echo(f"{user.full_name} ({user.email or identifier}) is now {role}{scope}.")
