from __future__ import annotations

import hashlib
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from lms.audit import logic as audit
from lms.extensions import db
from lms.org.history import STRUCTURES
from lms.org.logic import unit_by_code
from lms.reports import exports, frozen, tokens
from lms.reports.indicator import (
    StructureError,
    compliance_report,
    untrained_officials,
)
from lms.reports.logic import ReportError, resolve
from lms.reports.models import ApiToken, FrozenReport

report_cli = AppGroup("report", help="The compliance report.")
tokens_cli = AppGroup("tokens", help="API tokens for the reporting system.")


def _request(unit_code: str, as_of: str | None, cycle: str, structure: str):
    try:
        return resolve(unit_code, as_of, cycle, None, None, structure)
    except ReportError as error:
        raise click.ClickException(error.message) from None


STRUCTURE_OPTION = click.option(
    "--structure", type=click.Choice(STRUCTURES), default="as-of",
    help="as-of: the units as they were on the date (default); current: restated into "
         "today's units through merges.")


@report_cli.command("compliance")
@click.option("--unit", "unit_code", required=True, help="Unit code (its whole subtree).")
@click.option("--as-of", "as_of", help="YYYY-MM-DD; default today.")
@click.option("--cycle", type=click.Choice(["all", "year"]), default="all",
              help="year: only completions dated in the calendar year of the date.")
@STRUCTURE_OPTION
@click.option("--format", "fmt", type=click.Choice(sorted(exports.FORMATS)), required=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
def compliance_command(unit_code: str, as_of: str | None, cycle: str, structure: str, fmt: str,
                       output: Path) -> None:
    """Write the compliance report of UNIT as CSV, XLSX or JSON."""
    request = _request(unit_code, as_of, cycle, structure)
    try:
        report = compliance_report(request.unit, request.as_of, request.cycle, structure,
                                   evidence=exports.FORMATS[fmt].shows_evidence)
    except StructureError as error:
        raise click.ClickException(str(error)) from None
    file = exports.ReportFile(
        report, request.unit.code, report.root.unit_name,
        current_app.config["LMS_ISSUING_BODY"],
        untrained=lambda: untrained_officials(request.unit, request.as_of, request.cycle,
                                              structure=structure))
    with output.open("wb") as handle:
        for chunk in exports.FORMATS[fmt].chunks(file):
            handle.write(chunk)
    audit.record("export", target=f"{fmt}: {request.unit.code} {request.as_of.isoformat()}",
                 unit=request.unit, detail={"format": fmt, "as_of": request.as_of,
                                            "cycle": request.cycle, "structure": structure,
                                            "file": str(output)})
    db.session.commit()
    root = report.root
    click.echo(f"{request.unit.code} as of {request.as_of} ({structure}): "
               f"{root.officials_trained}/{root.officials_total} trained "
               f"({root.percent_trained}%); written to {output}")
    if report.no_requirement:
        click.echo(f"Warning: {report.no_requirement} active official(s) have no required "
                   "course; check the courses' required_for rules.", err=True)


@report_cli.command("freeze")
@click.option("--unit", "unit_code", required=True, help="Unit code (its whole subtree).")
@click.option("--as-of", "as_of", required=True, help="YYYY-MM-DD.")
@click.option("--cycle", type=click.Choice(["all", "year"]), default="all")
@STRUCTURE_OPTION
def freeze_command(unit_code: str, as_of: str, cycle: str, structure: str) -> None:
    """Freeze (chốt số liệu) the report: store its figures and files; prints its id."""
    request = _request(unit_code, as_of, cycle, structure)
    try:
        record = frozen.freeze(request.unit, request.as_of, cycle, structure)
    except StructureError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(record.id)
    click.echo(f"Frozen {record.unit_code} as of {record.as_of} ({cycle}, {structure}): "
               f"{record.officials_trained}/{record.officials_total} trained. "
               f"SHA-256 csv {record.csv_sha256}, xlsx {record.xlsx_sha256}, "
               f"json {record.json_sha256}", err=True)


frozen_cli = AppGroup("frozen", help="Frozen reports (chốt số liệu).")
report_cli.add_command(frozen_cli)


@frozen_cli.command("list")
@click.option("--unit", "unit_code", help="Only this unit's frozen reports.")
def frozen_list_command(unit_code: str | None) -> None:
    """List frozen reports: id, unit, as-of, cycle, structure, frozen at, by, superseded."""
    ids = None
    if unit_code:
        unit = unit_by_code(unit_code)
        if unit is None:
            raise click.ClickException(f"no unit with code {unit_code}")
        ids = [unit.id]
    click.echo("id\tunit\tas_of\tcycle\tstructure\tfrozen_at\tby\tsuperseded_by")
    for record in frozen.frozen_for(ids):
        click.echo(f"{record.id}\t{record.unit_code}\t{record.as_of}\t{record.cycle}\t"
                   f"{record.structure}\t{frozen.frozen_at_text(record)}\t"
                   f"{record.frozen_by_label}\t{record.superseded_by_id or ''}")


@frozen_cli.command("get")
@click.argument("frozen_id", type=int)
@click.option("--format", "fmt", type=click.Choice(sorted(exports.FORMATS)), required=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
def frozen_get_command(frozen_id: int, fmt: str, output: Path) -> None:
    """Write the stored bytes of a frozen report unchanged."""
    record = db.session.get(FrozenReport, frozen_id)
    if record is None:
        raise click.ClickException(f"no frozen report {frozen_id}")
    data = record.data(fmt)
    if hashlib.sha256(data).hexdigest() != record.sha256(fmt):
        raise click.ClickException(f"frozen report {frozen_id}: the stored {fmt} does not match "
                                   "its SHA-256; restore it from a backup")
    output.write_bytes(data)
    frozen.record_download(record, fmt)
    db.session.commit()
    click.echo(f"{output} ({len(data)} bytes, SHA-256 {record.sha256(fmt)})")


@tokens_cli.command("create")
@click.option("--unit", "unit_code", required=True)
@click.option("--name", required=True, help="Who uses it, e.g. 'Hệ thống báo cáo tỉnh'.")
def create_token_command(unit_code: str, name: str) -> None:
    """Create an API token scoped to UNIT's subtree; it is shown once."""
    unit = unit_by_code(unit_code)
    if unit is None:
        raise click.ClickException(f"no unit with code {unit_code}")
    record, token = tokens.create_token(unit, name)
    db.session.commit()
    click.echo(f"Token {record.id} for {unit.code} ({name}). Keep it secret; it is not shown "
               "again:")
    click.echo(token)


@tokens_cli.command("list")
def list_tokens_command() -> None:
    """List API tokens (never the tokens themselves)."""
    for record in db.session.scalars(select(ApiToken).order_by(ApiToken.id)):
        state = f"revoked {record.revoked_at:%Y-%m-%d}" if record.revoked_at else "active"
        used = f"last used {record.last_used_at:%Y-%m-%d %H:%M}" if record.last_used_at else \
            "never used"
        click.echo(f"{record.id}\t{record.unit.code}\t{record.name}\t{state}\t{used}")


@tokens_cli.command("revoke")
@click.argument("token_id", type=int)
def revoke_token_command(token_id: int) -> None:
    """Revoke a token: it stops working at once."""
    if tokens.revoke(token_id) is None:
        raise click.ClickException(f"no token {token_id}")
    db.session.commit()
    click.echo(f"Token {token_id} revoked.")
