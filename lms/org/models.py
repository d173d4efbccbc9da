from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db
from lms.util.formatting import name_sort_key
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
    # The days the unit exists (both inclusive; None = open). name, level and parent
    # above are the values of today (or of the unit's last day once it has ended);
    # what they were on any date is in unit_periods.
    valid_from: Mapped[date | None]
    valid_to: Mapped[date | None]
    # How it ended: "merged" (into successor) or "abolished" (successor = its parent then).
    ended_by: Mapped[str | None] = mapped_column(String(10))
    successor_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))

    parent: Mapped[Unit | None] = relationship(remote_side="Unit.id", back_populates="children",
                                               foreign_keys=[parent_id])
    children: Mapped[list[Unit]] = relationship(back_populates="parent", order_by="Unit.name",
                                                foreign_keys=[parent_id])

    def exists_on(self, day: date) -> bool:
        return ((self.valid_from is None or self.valid_from <= day)
                and (self.valid_to is None or self.valid_to >= day))

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2

    def __repr__(self) -> str:
        return f"<Unit {self.code} {self.level}>"


class UnitPeriod(db.Model):
    """What a unit was called, its level and its parent from one date to another.

    Both ends inclusive; None means "since always" / "still". A unit's periods
    are contiguous and the last one ends with the unit (valid_to) or is open.
    """

    __tablename__ = "unit_periods"
    __table_args__ = (Index("ix_unit_periods_unit_id_valid_from", "unit_id", "valid_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    valid_from: Mapped[date | None]
    valid_to: Mapped[date | None]
    name: Mapped[str] = mapped_column(String(255))
    level: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))


class Official(db.Model):
    """A roster record kept by HR, whether or not the person ever logs in."""

    __tablename__ = "officials"
    __table_args__ = (
        Index("ix_officials_unit_id_status", "unit_id", "status"),
        # Lists of a unit's officials by name come out of this index already sorted,
        # so a province-wide export streams without sorting 100,000 rows first.
        Index("ix_officials_unit_id_full_name", "unit_id", "full_name"),
        # The same in Vietnamese order (given name, middle, family; a ă â … đ …).
        Index("ix_officials_unit_id_sort_name", "unit_id", "sort_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_code: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(255))
    # full_name folded (no diacritics, lower case) so HR can search "nguyen van"
    search_name: Mapped[str] = mapped_column(String(255), default="")
    # full_name as a key that sorts bytewise in Vietnamese order (name_sort_key): set on
    # every insert, by the roster import's updates and whenever full_name is assigned.
    sort_name: Mapped[str] = mapped_column(
        String(255).with_variant(String(255, collation="C"), "postgresql"),
        default=lambda context: name_sort_key(
            context.get_current_parameters().get("full_name") or ""))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    category: Mapped[str] = mapped_column(String(20))
    position: Mapped[str | None] = mapped_column(String(255))
    is_leader: Mapped[bool] = mapped_column(default=False)
    is_it_officer: Mapped[bool] = mapped_column(default=False)
    email: Mapped[str | None] = mapped_column(String(255), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default="active")
    left_on: Mapped[date | None]
    # Ngày tuyển dụng: not counted by the indicator before it.
    joined_on: Mapped[date | None]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit: Mapped[Unit] = relationship()
    user = relationship("User", back_populates="official")

    def __repr__(self) -> str:
        return f"<Official {self.employee_code}>"


# The attributes of an official that change over time (unit_id, category, ...):
# the columns of Official above hold today's values, official_periods every value
# with the dates it held.
PERIOD_FIELDS = ("unit_id", "category", "position", "is_leader", "is_it_officer", "status")


@event.listens_for(Official.full_name, "set")
def _keep_sort_name(target: Official, value: str | None, _old, _initiator) -> None:
    target.sort_name = name_sort_key(value or "")


class OfficialPeriod(db.Model):
    """An official's assignment from one date to another (both inclusive; None = open).

    An official's periods are contiguous and exactly one is open (valid_to None).
    A period with status "left" starts on the day they left.
    """

    __tablename__ = "official_periods"
    __table_args__ = (
        Index("ix_official_periods_official_id_valid_from", "official_id", "valid_from"),
        Index("ix_official_periods_unit_id_status", "unit_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id"))
    valid_from: Mapped[date | None]
    valid_to: Mapped[date | None]
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    category: Mapped[str] = mapped_column(String(20))
    position: Mapped[str | None] = mapped_column(String(255))
    is_leader: Mapped[bool] = mapped_column(default=False)
    is_it_officer: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(10), default="active")


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
