from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db
from lms.org.models import Unit
from lms.util.time import utcnow


class Signatory(db.Model):
    """Who signs a unit's documents, from a date on ("time is data").

    The row in force on a day is the unit's latest with ``valid_from`` on or before
    it: a certificate completed in March keeps March's signer after a new chairman
    is recorded in June, and a report as of a past date prints the signer of then.
    """

    __tablename__ = "signatories"
    __table_args__ = (UniqueConstraint("unit_id", "valid_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    valid_from: Mapped[date]
    # Tên cơ quan ban hành ("ỦY BAN NHÂN DÂN XÃ NGHI LỘC") and, above it, the
    # cơ quan chủ quản where there is one ("UBND TỈNH NGHỆ AN" above "SỞ NỘI VỤ").
    issuing_body: Mapped[str] = mapped_column(String(255))
    parent_body: Mapped[str | None] = mapped_column(String(255))
    # Địa danh: where the unit sits ("Nghệ An", "Nghi Lộc").
    place: Mapped[str] = mapped_column(String(100))
    # "KT. CHỦ TỊCH", "TM. ỦY BAN NHÂN DÂN" or none; then the title and the name.
    authority: Mapped[str | None] = mapped_column(String(100))
    signer_title: Mapped[str] = mapped_column(String(150))
    signer_name: Mapped[str] = mapped_column(String(150))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit: Mapped[Unit] = relationship()
