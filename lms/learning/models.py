from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.auth.models import User
from lms.courses.models import Course, Lesson
from lms.extensions import db
from lms.util.time import utcnow


class LessonProgress(db.Model):
    """A lesson marked done by a learner; once per learner and lesson."""

    __tablename__ = "lesson_progress"
    __table_args__ = (UniqueConstraint("user_id", "lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id"), index=True)
    completed_at: Mapped[datetime] = mapped_column(default=utcnow)

    lesson: Mapped[Lesson] = relationship()


class QuizAttempt(db.Model):
    """One try at a course's quiz: opened, then submitted and graded exactly once."""

    __tablename__ = "quiz_attempts"
    __table_args__ = (UniqueConstraint("user_id", "course_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    number: Mapped[int]
    # The questions as asked (order, choice order, answers): grading and the
    # result page never depend on later edits of quiz.yml.
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    pass_percent: Mapped[int]
    responses: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    correct_count: Mapped[int | None]
    score_percent: Mapped[float | None]
    passed: Mapped[bool] = mapped_column(default=False)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(index=True)

    user: Mapped[User] = relationship()
    course: Mapped[Course] = relationship()


class Completion(db.Model):
    """A permanent, dated record that a learner completed a course.

    ``sequence`` numbers a learner's completions of one course (a yearly
    refresher adds a second); the unique constraint makes a double submit
    record it once, whatever the timing.
    """

    __tablename__ = "completions"
    __table_args__ = (
        UniqueConstraint("user_id", "course_id", "sequence"),
        # Covers the indicator's reads: a learner's completions by course and date.
        Index("ix_completions_user_course_date", "user_id", "course_id", "completed_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    sequence: Mapped[int] = mapped_column(default=1)
    completed_on: Mapped[date] = mapped_column(index=True)
    completed_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("quiz_attempts.id"))
    score_percent: Mapped[float | None]
    # Public verification code printed on the certificate.
    code: Mapped[str] = mapped_column(String(20), unique=True)

    user: Mapped[User] = relationship()
    course: Mapped[Course] = relationship()


class ExternalTraining(db.Model):
    """A classroom training (lớp tập huấn) recorded by HR; counts as a completion."""

    __tablename__ = "external_trainings"
    __table_args__ = (UniqueConstraint("official_id", "course_id", "completed_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    completed_on: Mapped[date]
    source: Mapped[str] = mapped_column(String(255), default="")
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)

    course: Mapped[Course] = relationship()


class Requirement(db.Model):
    """Since when a course has been required of an official (for due dates).

    Whether a course is required is decided by the course's rules against the
    official's current attributes; this table only remembers when it first was.
    """

    __tablename__ = "requirements"

    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id"), primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), primary_key=True)
    since: Mapped[date]
