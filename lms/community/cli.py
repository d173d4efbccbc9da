"""`flask --app lms community ...`: population figures and the coverage report."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from lms.community import coverage as coverage_logic
from lms.community import exports
from lms.community.imports import import_population
from lms.extensions import db
from lms.org.logic import unit_by_code
from lms.reports.logic import ReportError, parse_as_of

community_cli = AppGroup("community", help="Commune teams and citizens' coverage.")


@community_cli.command("population")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check and show the changes, write nothing.")
def population_command(file: Path, dry_run: bool) -> None:
    """Import the adult population of communes (Mã đơn vị, Năm, Số người trưởng thành,
    Nguồn số liệu); all or nothing."""
    result = import_population(file.name, file.read_bytes(), dry_run=dry_run)
    for message in result.errors:
        click.echo(message, err=True)
    if not result.ok:
        db.session.rollback()
        raise click.ClickException(f"{result.error_count} error(s); nothing imported")
    for change in result.changes:
        click.echo(f"row {change.row}: {change.describe()}")
    if dry_run:
        db.session.rollback()
        click.echo(f"dry run: {result.rows} rows checked, nothing written")
        return
    db.session.commit()
    click.echo(f"{result.rows} rows imported")


@community_cli.command("coverage")
@click.option("--unit", "unit_code", help="Unit code (its whole subtree); default the province.")
@click.option("--as-of", "as_of", help="YYYY-MM-DD; default today.")
@click.option("--format", "fmt", type=click.Choice(sorted(exports.FORMATS)), required=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
def coverage_command(unit_code: str | None, as_of: str | None, fmt: str, output: Path) -> None:
    """Write citizens' coverage per commune (and roll-up) as CSV, XLSX or JSON."""
    unit = None
    if unit_code:
        unit = unit_by_code(unit_code)
        if unit is None:
            raise click.ClickException(f"unknown unit {unit_code!r}")
    try:
        day = parse_as_of(as_of)
    except ReportError as error:
        raise click.ClickException(error.message) from None
    report = coverage_logic.coverage(unit, day)
    file = exports.CoverageFile(report, unit.code if unit else "",
                                unit.name if unit else "Toàn tỉnh",
                                current_app.config["LMS_ISSUING_BODY"],
                                team=lambda: coverage_logic.team_activity_rows(unit))
    output.write_bytes(exports.FORMATS[fmt].render(file))
    click.echo(f"written {output}")
