from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db
from lms.util.time import utcnow


class Course(db.Model):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The folder name under courses/: the course's stable identity.
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(255))
    summary: Mapped[str] = mapped_column(Text, default="")
    # Space-delimited, e.g. " official citizen ", so a LIKE finds one audience.
    audiences: Mapped[str] = mapped_column(String(64), default="")
    hours: Mapped[float] = mapped_column(default=1.0)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    competencies: Mapped[list[str]] = mapped_column(JSON, default=list)
    required_for: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    due_days: Mapped[int | None]
    valid_days: Mapped[int | None]
    # The checked quiz.yml, or None; attempts keep their own copy of what was asked.
    # Deferred: only opening a new attempt reads it; pages use the quiz_* columns.
    quiz: Mapped[dict[str, Any] | None] = mapped_column(JSON, deferred=True)
    # Title, summary, tags and lesson titles folded (no diacritics) for search
    # (read in WHERE clauses only, so never loaded).
    search_text: Mapped[str] = mapped_column(Text, default="", deferred=True)
    is_published: Mapped[bool] = mapped_column(default=True, index=True)
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    # When `courses sync` last changed the row (created, updated or unpublished):
    # the pages' Last-Modified, and part of their ETag.
    synced_at: Mapped[datetime] = mapped_column(default=utcnow)
    # What the catalogue and course pages show, computed at `courses sync` so that
    # no page loads the lessons or the quiz to count them.
    lesson_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # Questions each attempt asks (all of the quiz's, unless it draws from a pool).
    quiz_questions: Mapped[int] = mapped_column(default=0, server_default="0")  # 0: no quiz
    quiz_pass_percent: Mapped[int | None]
    quiz_max_attempts: Mapped[int] = mapped_column(default=0, server_default="0")  # 0: unlimited
    # The attempt rules (lms/learning/logic.py): the questions in the pool (more than
    # quiz_questions when an attempt draws a few), the wait after a failed attempt and
    # the time an attempt may take (0: none).
    quiz_pool_questions: Mapped[int] = mapped_column(default=0, server_default="0")
    quiz_cooldown_minutes: Mapped[int] = mapped_column(default=0, server_default="0")
    quiz_time_limit_minutes: Mapped[int] = mapped_column(default=0, server_default="0")
    # course.yml's reviewed_on (when the content was last checked against the law)
    # and sources (the documents it rests on: number, title, issued and effective as
    # ISO dates, url), shown on the course page.
    reviewed_on: Mapped[date | None]
    sources: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)

    lessons: Mapped[list[Lesson]] = relationship(
        back_populates="course", order_by="Lesson.position"
    )

    @property
    def has_quiz(self) -> bool:
        return self.quiz_questions > 0

    @property
    def source_list(self) -> list[dict[str, Any]]:
        """The sources with their dates as dates again (JSON keeps them as text)."""
        return [
            {**source, **{key: date.fromisoformat(source[key]) if source.get(key) else None
                          for key in ("issued", "effective")}}
            for source in self.sources or ()
        ]

    @property
    def audience_list(self) -> list[str]:
        return self.audiences.split()

    @property
    def active_lessons(self) -> list[Lesson]:
        return [lesson for lesson in self.lessons if lesson.is_active]

    def __repr__(self) -> str:
        return f"<Course {self.slug}>"


class Lesson(db.Model):
    __tablename__ = "lessons"
    __table_args__ = (UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    slug: Mapped[str] = mapped_column(String(100))
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(255))
    # Rendered and sanitised at sync time (a cache of the Markdown file). Deferred:
    # only the lesson page shows it, for one lesson.
    html: Mapped[str] = mapped_column(Text, default="", deferred=True)
    # A lesson removed from the folder keeps its history but no longer counts.
    is_active: Mapped[bool] = mapped_column(default=True)

    course: Mapped[Course] = relationship(back_populates="lessons")

    def __repr__(self) -> str:
        return f"<Lesson {self.slug}>"
