from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from lms.audit import logic as audit
from lms.extensions import db
from lms.org.logic import unit_by_code
from lms.reports import exports, tokens
from lms.reports.indicator import compliance_report, untrained_officials
from lms.reports.logic import ReportError, resolve
from lms.reports.models import ApiToken

report_cli = AppGroup("report", help="The compliance report.")
tokens_cli = AppGroup("tokens", help="API tokens for the reporting system.")


@report_cli.command("compliance")
@click.option("--unit", "unit_code", required=True, help="Unit code (its whole subtree).")
@click.option("--as-of", "as_of", help="YYYY-MM-DD; default today.")
@click.option("--cycle", type=click.Choice(["all", "year"]), default="all",
              help="year: only completions dated in the calendar year of the date.")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "json"]), required=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
def compliance_command(unit_code: str, as_of: str | None, cycle: str, fmt: str,
                       output: Path) -> None:
    """Write the compliance report of UNIT as CSV, XLSX or JSON."""
    try:
        request = resolve(unit_code, as_of, cycle, None, None)
    except ReportError as error:
        raise click.ClickException(error.message) from None
    report = compliance_report(request.unit, request.as_of, request.cycle)
    if fmt == "json":
        output.write_text(json.dumps(exports.report_json(report, request.unit.code),
                                     ensure_ascii=False, indent=2), "utf-8")
    elif fmt == "csv":
        with output.open("w", encoding="utf-8", newline="") as handle:
            for chunk in exports.csv_stream(exports.report_values(report), exports.HEADERS):
                handle.write(chunk)
    else:
        output.write_bytes(exports.xlsx_bytes(
            report, request.unit.name, current_app.config["LMS_ISSUING_BODY"],
            untrained_officials(request.unit, request.as_of, request.cycle),
            "theo năm" if request.cycle == "year" else "lũy kế"))
    audit.record("export", target=f"{fmt}: {request.unit.code} {request.as_of.isoformat()}",
                 unit=request.unit, detail={"format": fmt, "as_of": request.as_of,
                                            "cycle": request.cycle, "file": str(output)})
    db.session.commit()
    root = report.root
    click.echo(f"{request.unit.code} as of {request.as_of}: {root.officials_trained}/"
               f"{root.officials_total} trained ({root.percent_trained}%); written to {output}")
    if report.no_requirement:
        click.echo(f"Warning: {report.no_requirement} active official(s) have no required "
                   "course; check the courses' required_for rules.", err=True)


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
