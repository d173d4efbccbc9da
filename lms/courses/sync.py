"""Loading checked course folders into the database (idempotent)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from lms.courses.loader import CheckResult, CourseSource, check_courses
from lms.courses.logic import forget_catalogue_version
from lms.courses.models import Course, Lesson
from lms.courses.rendering import render_markdown
from lms.extensions import db
from lms.learning.pools import questions_per_attempt
from lms.util.text import fold
from lms.util.time import utcnow


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    unpublished: list[str] = field(default_factory=list)
    check: CheckResult | None = None


class CourseProblems(Exception):
    def __init__(self, check: CheckResult) -> None:
        super().__init__(f"{len(check.problems)} problem(s) in the courses folder")
        self.check = check


def sync_courses(root: Path) -> SyncReport:
    """Make the database match ``root``. Nothing is written if any course has a problem."""
    check = check_courses(root)
    if not check.ok:
        raise CourseProblems(check)
    report = SyncReport(check=check)
    existing = {c.slug: c for c in db.session.scalars(select(Course))}
    # Every course this sync changes gets one stamp, later than any earlier sync's
    # (whatever the clocks of the machines that ran them): the newest stamp is the
    # catalogue's version, so it must move whenever a course changes.
    latest = max((c.synced_at for c in existing.values()), default=None)
    stamp = utcnow()
    if latest is not None and stamp <= latest:
        stamp = latest + timedelta(microseconds=1)
    for source in check.courses:
        course = existing.pop(source.slug, None)
        if course is None:
            course = Course(slug=source.slug)
            db.session.add(course)
            _apply(course, source, stamp)
            report.created.append(source.slug)
        elif course.content_hash != source.content_hash or not course.is_published:
            _apply(course, source, stamp)
            report.updated.append(source.slug)
        else:
            report.unchanged.append(source.slug)
    for course in existing.values():
        if course.is_published:
            course.is_published = False
            course.synced_at = stamp  # the catalogue changes: so do its validators
            report.unpublished.append(course.slug)
    db.session.flush()
    if report.created or report.updated or report.unpublished:
        forget_catalogue_version()
    return report


def _apply(course: Course, source: CourseSource, stamp: datetime) -> None:
    meta = source.meta
    course.title = meta["title"]
    course.summary = meta["summary"]
    course.audiences = " " + " ".join(meta["audiences"]) + " "
    course.hours = meta["hours"]
    course.tags = meta["tags"]
    course.competencies = meta["competencies"]
    course.required_for = meta["required_for"]
    course.due_days = meta["due_days"]
    course.valid_days = meta["valid_days"]
    course.reviewed_on = meta.get("reviewed_on")
    course.sources = [
        {**source, **{key: source[key].isoformat() if source.get(key) else None
                      for key in ("issued", "effective")}}
        for source in meta.get("sources") or ()
    ]
    course.quiz = source.quiz
    # What the pages show, so that none loads the quiz or the lessons to count them.
    course.lesson_count = len(source.lessons)
    quiz = source.quiz or {}
    course.quiz_questions = questions_per_attempt(quiz) if quiz else 0
    course.quiz_pass_percent = quiz.get("pass_percent")
    course.quiz_max_attempts = quiz.get("max_attempts", 0)
    course.quiz_pool_questions = len(quiz.get("questions", ()))
    course.quiz_cooldown_minutes = quiz.get("cooldown_minutes", 0)
    course.quiz_time_limit_minutes = quiz.get("time_limit_minutes", 0)
    course.is_published = True
    course.content_hash = source.content_hash
    course.synced_at = stamp
    course.search_text = fold(
        " ".join([meta["title"], meta["summary"], *meta["tags"],
                  *(lesson.title for lesson in source.lessons)])
    )
    by_slug = {lesson.slug: lesson for lesson in course.lessons}
    for lesson_source in source.lessons:
        lesson = by_slug.pop(lesson_source.slug, None)
        if lesson is None:
            lesson = Lesson(slug=lesson_source.slug, course=course)
            db.session.add(lesson)
        lesson.position = lesson_source.position
        lesson.title = lesson_source.title
        lesson.html = render_markdown(lesson_source.markdown, lesson_source.file.parent)
        lesson.is_active = True
    for gone in by_slug.values():
        gone.is_active = False
