from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db
from lms.util.time import utcnow


class OfflineDraw(db.Model):
    """The questions a learner's device shows for a course's quiz taken offline, drawn
    when the learner saved the course (``Tải khóa học để học offline``).

    One row per learner, course and quiz version (a hash of quiz.yml as synced): the
    device receives the questions' texts and choices only; the answers stay here and
    grade what the device sends back. ``round`` counts the draws of this row: once its
    answers are graded, saving the course again draws anew (a result page that shows
    the marks must not let the next offline attempt ask the same questions)."""

    __tablename__ = "offline_draws"
    __table_args__ = (UniqueConstraint("user_id", "course_id", "quiz_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    quiz_version: Mapped[str] = mapped_column(String(64))
    round: Mapped[int] = mapped_column(default=1)
    # As snapshot_questions() gives them (with answers): never sent to the device.
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    pass_percent: Mapped[int]
    drawn_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When answers of this round were graded (then the next save draws again).
    used_at: Mapped[datetime | None]


# What became of answers sent from a device: graded into an attempt, or refused (the
# quiz changed, the attempts are used up...) and kept with the reason for the learner.
SUBMISSION_STATUSES = ("graded", "refused")


class OfflineSubmission(db.Model):
    """Answers a device queued offline and sent when it was back online.

    ``client_id`` is generated on the device for each taken quiz: a retry of the same
    answers (lost response, two tabs syncing) finds this row and gets the first outcome,
    so an offline quiz is graded once."""

    __tablename__ = "offline_submissions"
    __table_args__ = (UniqueConstraint("user_id", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    client_id: Mapped[str] = mapped_column(String(64))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    quiz_version: Mapped[str] = mapped_column(String(64))
    round: Mapped[int]
    status: Mapped[str] = mapped_column(String(10))
    # Why it was refused (a marked message, translated when shown).
    reason: Mapped[str] = mapped_column(String(500), default="")
    # The answers as sent ([[field, value], ...]), kept for the learner when refused.
    answers: Mapped[list[list[str]] | None] = mapped_column(JSON)
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("quiz_attempts.id"))
    answered_at: Mapped[datetime | None]  # on the device, as it said
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
