from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship, validates

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
    # The questions as asked (the ones drawn from a pool, their order, choice order,
    # answers): grading and the result page never depend on later edits of quiz.yml.
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # Their ids in the same order, set with ``questions``: a pool's next draw reads
    # which questions a learner's attempts showed, and those lists are a few bytes
    # where the questions (texts, choices, answers) are kilobytes per attempt.
    question_ids: Mapped[list[str] | None] = mapped_column(JSON)
    pass_percent: Mapped[int]
    responses: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    correct_count: Mapped[int | None]
    score_percent: Mapped[float | None]
    passed: Mapped[bool] = mapped_column(default=False)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    # With a time limit: when the answers are due. An attempt submitted late counts as
    # submitted at its deadline; after the grace for the network its answers are not
    # accepted (responses stays None: graded as unanswered). See lms/learning/logic.py.
    deadline: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None] = mapped_column(index=True)

    user: Mapped[User] = relationship()
    course: Mapped[Course] = relationship()

    @validates("questions")
    def _keep_question_ids(self, _key: str, questions: list[dict[str, Any]] | None):
        self.question_ids = None if questions is None else [q["id"] for q in questions]
        return questions


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


# The evidence status of a classroom record (lms/review): "declared" by a unit's HR (every
# import), "verified" or "rejected" (with a reason) by the province. Rejected records never
# count; declared ones count unless LMS_COUNT_DECLARED_TRAINING is off.
TRAINING_STATUSES = ("declared", "verified", "rejected")


class TrainingClass(db.Model):
    """A classroom training (lớp tập huấn) as HR declared it: who organised it, the
    decision that opened it or its class list, its dates, and optionally a scan.

    Records of the training import point to it (found or created by reference and
    organiser); the province reviews its records in one action. The scan's bytes are
    deferred: lists never load them.
    """

    __tablename__ = "training_classes"
    __table_args__ = (UniqueConstraint("reference", "organiser"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Số quyết định mở lớp / danh sách lớp, and Đơn vị tổ chức, as the file gave them.
    reference: Mapped[str] = mapped_column(String(100))
    organiser: Mapped[str] = mapped_column(String(255))
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    # Who declared it (the import that created it; None from the command line).
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The attached scan (PDF, PNG or JPEG, its kind decided by its content).
    evidence: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    evidence_sha256: Mapped[str | None] = mapped_column(String(64))
    evidence_filename: Mapped[str | None] = mapped_column(String(255))
    evidence_mimetype: Mapped[str | None] = mapped_column(String(50))
    evidence_size: Mapped[int | None]
    evidence_at: Mapped[datetime | None]
    evidence_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    @property
    def has_evidence(self) -> bool:
        return self.evidence_sha256 is not None


class ExternalTraining(db.Model):
    """A classroom training (lớp tập huấn) recorded by HR; counts as a completion while
    its status allows (see TRAINING_STATUSES)."""

    __tablename__ = "external_trainings"
    __table_args__ = (
        UniqueConstraint("official_id", "course_id", "completed_on"),
        # The indicator's probes read the status with the date: index only.
        Index("ix_external_trainings_counted", "official_id", "course_id", "completed_on",
              "status"),
        # The review queue: declared records by class.
        Index("ix_external_trainings_status_class", "status", "training_class_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    completed_on: Mapped[date]
    source: Mapped[str] = mapped_column(String(255), default="")
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    training_class_id: Mapped[int | None] = mapped_column(ForeignKey("training_classes.id"),
                                                          index=True)
    status: Mapped[str] = mapped_column(String(10), default="declared",
                                        server_default="declared")
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None]
    review_note: Mapped[str] = mapped_column(String(500), default="", server_default="")

    course: Mapped[Course] = relationship()
    training_class: Mapped[TrainingClass | None] = relationship()


class Requirement(db.Model):
    """Since when a course has been required of an official (for due dates).

    Whether a course is required is decided by the course's rules against the
    official's current attributes; this table only remembers when it first was.
    """

    __tablename__ = "requirements"

    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id"), primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), primary_key=True)
    since: Mapped[date]
