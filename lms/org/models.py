from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db
from lms.util.time import utcnow

# A unit's level is data, not code: local government has changed levels before.
LEVELS = ("province", "department", "district", "commune", "office", "other")
CATEGORIES = ("can_bo", "cong_chuc", "vien_chuc", "nguoi_lao_dong")
STATUSES = ("active", "left")


class Unit(db.Model):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    level: Mapped[str] = mapped_column(String(16), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    # Materialised path of ids ("/1/7/42/"): a subtree is one indexed range scan.
    path: Mapped[str] = mapped_column(
        String(1024).with_variant(String(1024, collation="C"), "postgresql"),
        index=True,
        default="/",
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[Unit | None] = relationship(remote_side="Unit.id", back_populates="children")
    children: Mapped[list[Unit]] = relationship(back_populates="parent", order_by="Unit.name")

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2

    def __repr__(self) -> str:
        return f"<Unit {self.code} {self.level}>"


class Official(db.Model):
    """A roster record kept by HR, whether or not the person ever logs in."""

    __tablename__ = "officials"
    __table_args__ = (
        Index("ix_officials_unit_id_status", "unit_id", "status"),
        # Lists of a unit's officials by name come out of this index already sorted,
        # so a province-wide export streams without sorting 100,000 rows first.
        Index("ix_officials_unit_id_full_name", "unit_id", "full_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_code: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(255))
    # full_name folded (no diacritics, lower case) so HR can search "nguyen van"
    search_name: Mapped[str] = mapped_column(String(255), default="")
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    category: Mapped[str] = mapped_column(String(20))
    position: Mapped[str | None] = mapped_column(String(255))
    is_leader: Mapped[bool] = mapped_column(default=False)
    is_it_officer: Mapped[bool] = mapped_column(default=False)
    email: Mapped[str | None] = mapped_column(String(255), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default="active")
    left_on: Mapped[date | None]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit: Mapped[Unit] = relationship()
    user = relationship("User", back_populates="official")

    def __repr__(self) -> str:
        return f"<Official {self.employee_code}>"


class PendingImport(db.Model):
    """An uploaded file between its preview and the HR officer's confirmation.

    Kept in the database, not on one worker's disk, so any process can confirm it.
    """

    __tablename__ = "pending_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    options: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
