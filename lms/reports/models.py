from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db
from lms.org.models import Unit
from lms.reports.versions import DataVersion  # noqa: F401  (its table and write listeners)
from lms.util.time import utcnow


class ApiToken(db.Model):
    """A reporting system's key to the JSON API, scoped to one unit's subtree."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    # Only the SHA-256 of the token is stored; the token is shown once.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]

    unit: Mapped[Unit] = relationship()


class FrozenReport(db.Model):
    """A compliance report as submitted (Chốt số liệu): never edited or deleted.

    The exact bytes of each export are stored with their SHA-256, so a download
    years later is byte-identical; a newer freeze of the same unit, date, cycle
    and structure supersedes this one without removing it.
    """

    __tablename__ = "frozen_reports"
    __table_args__ = (Index("ix_frozen_reports_unit_id_as_of", "unit_id", "as_of"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    unit_code: Mapped[str] = mapped_column(String(64))
    unit_name: Mapped[str] = mapped_column(String(255))
    as_of: Mapped[date]
    cycle: Mapped[str] = mapped_column(String(10))
    structure: Mapped[str] = mapped_column(String(10))
    frozen_at: Mapped[datetime] = mapped_column(default=utcnow)
    frozen_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    frozen_by_label: Mapped[str] = mapped_column(String(255))
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("frozen_reports.id"))
    officials_total: Mapped[int]
    officials_trained: Mapped[int]
    # The report's rows as JSON text (the figures), and who was counted where
    # (zlib-compressed JSON) so a later live report can explain its differences.
    figures: Mapped[str] = mapped_column(Text)
    counted: Mapped[bytes] = mapped_column(LargeBinary)
    csv_data: Mapped[bytes] = mapped_column(LargeBinary)
    xlsx_data: Mapped[bytes] = mapped_column(LargeBinary)
    json_data: Mapped[bytes] = mapped_column(LargeBinary)
    csv_sha256: Mapped[str] = mapped_column(String(64))
    xlsx_sha256: Mapped[str] = mapped_column(String(64))
    json_sha256: Mapped[str] = mapped_column(String(64))

    unit: Mapped[Unit] = relationship()

    def data(self, fmt: str) -> bytes:
        return {"csv": self.csv_data, "xlsx": self.xlsx_data, "json": self.json_data}[fmt]

    def sha256(self, fmt: str) -> str:
        return {"csv": self.csv_sha256, "xlsx": self.xlsx_sha256, "json": self.json_sha256}[fmt]
