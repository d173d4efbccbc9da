"""Finding published courses for the catalogue."""

from __future__ import annotations

from flask import abort
from sqlalchemy import select

from lms.courses.loader import AUDIENCES
from lms.courses.models import Course, Lesson
from lms.extensions import db
from lms.util.text import fold


def catalogue(audience: str | None = None, query: str | None = None) -> list[Course]:
    """Published courses for ``audience``, matching ``query`` without diacritics."""
    statement = select(Course).where(Course.is_published.is_(True)).order_by(Course.title)
    if audience in AUDIENCES:
        statement = statement.where(Course.audiences.contains(f" {audience} "))
    for word in fold(query).split()[:10]:
        statement = statement.where(Course.search_text.contains(word, autoescape=True))
    return list(db.session.scalars(statement))


def published_course_or_404(slug: str) -> Course:
    course = db.session.scalar(
        select(Course).where(Course.slug == slug, Course.is_published.is_(True))
    )
    if course is None:
        abort(404)
    return course


def lesson_or_404(course: Course, slug: str) -> Lesson:
    for lesson in course.active_lessons:
        if lesson.slug == slug:
            return lesson
    abort(404)


def neighbours(course: Course, lesson: Lesson) -> tuple[Lesson | None, Lesson | None]:
    lessons = course.active_lessons
    index = lessons.index(lesson)
    previous = lessons[index - 1] if index > 0 else None
    following = lessons[index + 1] if index + 1 < len(lessons) else None
    return previous, following
