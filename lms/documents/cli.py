"""`flask --app lms documents signer …`: who signs a unit's certificates and reports."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

from lms.documents import logic
from lms.extensions import db
from lms.org.logic import unit_by_code
from lms.util.formatting import date_vi
from lms.util.time import local_today

documents_cli = AppGroup("documents", help="Official documents: issuing bodies and signers.")


def _unit(code: str):
    unit = unit_by_code(code)
    if unit is None:
        raise click.ClickException(f"Không có đơn vị mã {code!r}.")
    return unit


@documents_cli.command("signer")
@click.argument("unit_code")
@click.option("--title", "signer_title", required=True,
              help='Chức vụ người ký, e.g. "CHỦ TỊCH" or "PHÓ CHỦ TỊCH".')
@click.option("--name", "signer_name", required=True, help="Họ và tên người ký.")
@click.option("--authority", default=None,
              help='Thẩm quyền ký above the title: "KT. CHỦ TỊCH", "TM. ỦY BAN NHÂN DÂN".')
@click.option("--body", "issuing_body", default=None,
              help="Tên cơ quan ban hành (default: the unit's name in capitals).")
@click.option("--parent-body", default=None, help="Cơ quan chủ quản, printed above it.")
@click.option("--place", default=None, help='Địa danh (default LMS_PLACE_NAME, "Nghệ An").')
@click.option("--from", "valid_from", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="YYYY-MM-DD: signs documents dated from this day on (default today).")
def signer_command(unit_code: str, signer_title: str, signer_name: str, authority: str | None,
                   issuing_body: str | None, parent_body: str | None, place: str | None,
                   valid_from) -> None:
    """Record who signs UNIT's documents from a date on. Documents dated earlier keep
    the signer of their date."""
    unit = _unit(unit_code)
    day: date = valid_from.date() if valid_from else local_today()
    current = logic.letterhead(unit, day)
    record = logic.record_signatory(
        unit, day, issuing_body=issuing_body or current.issuing_body,
        place=place or current.place, signer_title=signer_title, signer_name=signer_name,
        parent_body=parent_body if parent_body is not None else current.parent_body,
        authority=authority)
    db.session.commit()
    click.echo(f"{unit.code}: {record.signer_title} {record.signer_name} ký từ "
               f"{date_vi(record.valid_from)} ({record.issuing_body}).")


@documents_cli.command("signers")
@click.argument("unit_code")
def signers_command(unit_code: str) -> None:
    """List UNIT's signers over time."""
    unit = _unit(unit_code)
    rows = logic.signatories(unit)
    if not rows:
        click.echo(f"{unit.code}: chưa ghi người ký (văn bản để trống chỗ ký).")
    for row in rows:
        click.echo("\t".join([date_vi(row.valid_from), row.issuing_body,
                              " / ".join(filter(None, [row.authority, row.signer_title])),
                              row.signer_name, row.place]))
