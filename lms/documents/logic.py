"""Who issues and signs a unit's documents on a day, and the fixed words of the
state-document header (Decree 30/2020/NĐ-CP, Phụ lục I)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import select

from lms.documents.models import Signatory
from lms.extensions import db
from lms.org.models import Unit
from lms.util.formatting import place_date

# Quốc hiệu and tiêu ngữ: fixed by law, never translated.
QUOC_HIEU = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
TIEU_NGU = "Độc lập - Tự do - Hạnh phúc"


@dataclass(frozen=True)
class Letterhead:
    """The header and signature block of one unit's documents on one day.

    ``signer_name`` is empty where no signer is recorded: the paper leaves the
    space to sign and write the name by hand.
    """

    issuing_body: str
    place: str
    signer_title: str
    signer_name: str = ""
    parent_body: str | None = None
    authority: str | None = None

    def place_date(self, day: date | None) -> str:
        return place_date(self.place, day)

    @property
    def signer_lines(self) -> list[str]:
        """"KT. CHỦ TỊCH" / "PHÓ CHỦ TỊCH" (the authority line only where there is one)."""
        return [line for line in (self.authority, self.signer_title) if line]


def root_unit() -> Unit | None:
    return db.session.scalar(select(Unit).where(Unit.parent_id.is_(None))
                             .order_by(Unit.id).limit(1))


def signatory_on(unit_id: int, day: date) -> Signatory | None:
    """The unit's signer in force on ``day`` (its latest row from on or before it)."""
    return db.session.scalar(
        select(Signatory).where(Signatory.unit_id == unit_id, Signatory.valid_from <= day)
        .order_by(Signatory.valid_from.desc()).limit(1))


def letterhead(unit: Unit | None, day: date) -> Letterhead:
    """The unit's letterhead on ``day``: its recorded signer, or else the unit itself as
    issuing body (the province's from LMS_ISSUING_BODY) with a blank signature."""
    config = current_app.config
    unit = unit if unit is not None else root_unit()
    record = signatory_on(unit.id, day) if unit is not None else None
    if record is not None:
        return Letterhead(issuing_body=record.issuing_body, place=record.place,
                          signer_title=record.signer_title, signer_name=record.signer_name,
                          parent_body=record.parent_body, authority=record.authority)
    if unit is None or unit.parent_id is None:
        return Letterhead(issuing_body=config["LMS_ISSUING_BODY"],
                          place=config["LMS_PLACE_NAME"], signer_title="THỦ TRƯỞNG ĐƠN VỊ")
    # A department or office sits under a cơ quan chủ quản; a commune's UBND does not.
    parent_body = None
    if unit.level in ("department", "office", "other"):
        parent = unit.parent
        parent_body = (config["LMS_ISSUING_BODY"] if parent is None or parent.parent_id is None
                       else parent.name.upper())
    # A commune's documents are its People's Committee's ("UBND XÃ NGHI LỘC").
    body = unit.name.upper()
    if unit.level == "commune" and not body.startswith(("UBND", "ỦY BAN")):
        body = f"UBND {body}"
    return Letterhead(issuing_body=body, place=config["LMS_PLACE_NAME"],
                      signer_title="THỦ TRƯỞNG ĐƠN VỊ", parent_body=parent_body)


def letterhead_for_code(unit_code: str, day: date) -> Letterhead:
    unit = db.session.scalar(select(Unit).where(Unit.code == unit_code))
    return letterhead(unit, day)


def record_signatory(unit: Unit, valid_from: date, *, issuing_body: str, place: str,
                     signer_title: str, signer_name: str, parent_body: str | None = None,
                     authority: str | None = None) -> Signatory:
    """Record who signs from ``valid_from`` on (the same day again replaces that row;
    earlier rows stay, so documents dated before keep their signer). Flushes."""
    record = db.session.scalar(select(Signatory).where(
        Signatory.unit_id == unit.id, Signatory.valid_from == valid_from))
    if record is None:
        record = Signatory(unit_id=unit.id, valid_from=valid_from)
        db.session.add(record)
    record.issuing_body = issuing_body.strip()
    record.place = place.strip()
    record.signer_title = signer_title.strip()
    record.signer_name = signer_name.strip()
    record.parent_body = (parent_body or "").strip() or None
    record.authority = (authority or "").strip() or None
    db.session.flush()
    return record


def signatories(unit: Unit) -> list[Signatory]:
    return list(db.session.scalars(select(Signatory).where(Signatory.unit_id == unit.id)
                                   .order_by(Signatory.valid_from)))
