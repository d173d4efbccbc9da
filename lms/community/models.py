"""A commune's team, the citizens its helpers register, the classes they hold, and the
commune's adult population (the denominator of coverage)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db
from lms.util.time import utcnow

# A member's role in the team; the words shown are in lms.community.logic.TEAM_ROLES.
TEAM_ROLES = ("leader", "deputy", "member")


class TeamMember(db.Model):
    """One person of a commune's team. ``unit_id`` is the commune's id (its name may
    change, the id stays). A member may be an official on the roster or a citizen with
    an account; ``user_id`` is the account that signs in as a helper, if any."""

    __tablename__ = "community_team_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    full_name: Mapped[str] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(20))
    team_role: Mapped[str] = mapped_column(String(10), default="member")
    official_id: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    left_at: Mapped[datetime | None]


class InPersonRegistration(db.Model):
    """A citizen registered by a helper while present: consent given in person and
    witnessed by the helper; a one-time code (its hash) lets them choose a password."""

    __tablename__ = "community_registrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    helper_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # Số định danh cá nhân (CCCD, 12 digits): optional, only to find the person again
    # on an attendance sheet.
    citizen_id: Mapped[str | None] = mapped_column(String(12), unique=True)
    consent_at: Mapped[datetime] = mapped_column(default=utcnow)
    consent_version: Mapped[str] = mapped_column(String(20))
    code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    code_expires_at: Mapped[datetime | None]
    activated_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CommunityClass(db.Model):
    """An in-person class a helper held: a course of the catalogue or a free topic."""

    __tablename__ = "community_classes"
    __table_args__ = (Index("ix_community_classes_unit_id_held_on", "unit_id", "held_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    held_on: Mapped[date]
    place: Mapped[str] = mapped_column(String(255))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id"))
    topic: Mapped[str | None] = mapped_column(String(255))
    helper_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    course = relationship("Course")
    attendance: Mapped[list[ClassAttendance]] = relationship(back_populates="community_class")


class ClassAttendance(db.Model):
    __tablename__ = "community_attendance"
    __table_args__ = (UniqueConstraint("class_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("community_classes.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)

    community_class: Mapped[CommunityClass] = relationship(back_populates="attendance")


class CommunePopulation(db.Model):
    """The adult population of a commune in a year, as imported (with its source).
    Every year is kept; coverage uses the latest year."""

    __tablename__ = "commune_populations"
    __table_args__ = (UniqueConstraint("unit_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    year: Mapped[int]
    adults: Mapped[int]
    source: Mapped[str] = mapped_column(String(255))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
