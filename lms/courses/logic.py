"""Finding published courses for the catalogue."""

from __future__ import annotations

from datetime import datetime

from flask import abort
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import undefer

from lms.courses.loader import AUDIENCES
from lms.courses.models import Course, Lesson
from lms.extensions import db
from lms.util import recheck
from lms.util.text import fold


def catalogue(audience: str | None = None, query: str | None = None,
              limit: int | None = None) -> list[Course]:
    """Published courses for ``audience``, matching ``query`` without diacritics.

    One statement whatever the number of courses: what a card shows (lesson count,
    quiz) is on the course row, and the quiz and search text are not loaded.
    """
    statement = select(Course).where(Course.is_published.is_(True)).order_by(Course.title)
    if audience in AUDIENCES:
        statement = statement.where(Course.audiences.contains(f" {audience} "))
    for word in fold(query).split()[:10]:
        statement = statement.where(Course.search_text.contains(word, autoescape=True))
    if limit is not None:
        statement = statement.limit(limit)
    return list(db.session.scalars(statement))


CATALOGUE_VERSION = "lms_catalogue_version"


def catalogue_version() -> tuple[tuple[int, str], datetime | None]:
    """What anonymous course pages depend on: how many course rows there are and when
    `courses sync` last changed one (it stamps every course it creates, updates or
    unpublishes), and that time.

    Asked of the database at most once every LMS_CONTENT_CHECK_SECONDS per process
    (a sync in this process forgets the answer at once)."""
    return recheck.recent(CATALOGUE_VERSION, _catalogue_version)


def _catalogue_version() -> tuple[tuple[int, str], datetime | None]:
    count, latest = db.session.execute(
        select(func.count(Course.id), func.max(Course.synced_at))).one()
    return (count, str(latest)), latest


def forget_catalogue_version() -> None:
    """After a sync: the next page asks the database again."""
    recheck.forget(CATALOGUE_VERSION)


def published_course_or_404(slug: str) -> Course:
    course = db.session.scalar(_PUBLISHED_COURSE, {"slug": slug})
    if course is None:
        abort(404)
    return course


# Built once: every course, lesson and quiz request runs it first.
_PUBLISHED_COURSE = select(Course).where(Course.slug == bindparam("slug"),
                                         Course.is_published.is_(True))


def lesson_or_404(course: Course, slug: str) -> Lesson:
    for lesson in course.active_lessons:
        if lesson.slug == slug:
            return lesson
    abort(404)


def lesson_with_html_or_404(course: Course, slug: str) -> Lesson:
    """The active lesson ``slug`` of ``course`` with its rendered HTML: one statement,
    leaving the other lessons' HTML unread."""
    lesson = db.session.scalar(
        select(Lesson).options(undefer(Lesson.html))
        .where(Lesson.course_id == course.id, Lesson.slug == slug, Lesson.is_active.is_(True)))
    if lesson is None:
        abort(404)
    return lesson


def neighbours(course: Course, lesson: Lesson) -> tuple[Lesson | None, Lesson | None]:
    lessons = course.active_lessons
    index = lessons.index(lesson)
    previous = lessons[index - 1] if index > 0 else None
    following = lessons[index + 1] if index + 1 < len(lessons) else None
    return previous, following
