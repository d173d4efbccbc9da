"""Where each official stands on each required course, set-based.

Used by the unit pages (a page of officials, or a whole subtree when HR
filters by status) and by "Khóa học của tôi". A completion counts when it is
online (through the official's account) or an external training record, and
is valid today.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Select, bindparam, select

from lms.courses.models import Course, Lesson
from lms.extensions import db
from lms.learning.evidence import counted_statuses
from lms.learning.logic import is_valid_on
from lms.learning.models import (
    Completion,
    ExternalTraining,
    LessonProgress,
    QuizAttempt,
    Requirement,
)
from lms.learning.requirements import courses_with_rules, rule_matches
from lms.org.models import Official, Unit

STATES = ("overdue", "not_started", "in_progress", "done")  # worst first


@dataclass
class CourseStatus:
    course: Course
    due_on: date | None
    state: str  # done | in_progress | not_started | overdue
    completed_on: date | None = None
    source: str | None = None  # None for online, else the training's source


@dataclass
class OfficialStatus:
    official_id: int
    courses: list[CourseStatus]

    @property
    def overall(self) -> str:
        """The worst state over required courses; "no_requirement" when there is none."""
        if not self.courses:
            return "no_requirement"
        return min((c.state for c in self.courses), key=STATES.index)


@dataclass(frozen=True)
class _Reads:
    """The statements :func:`statuses` runs, over one way of naming the officials."""

    officials: Select
    since: Select
    completions: Select
    external: Select
    lessons_started: Select
    quizzes_started: Select


def _reads(among) -> _Reads:
    """``among(column)``: the condition that ``column`` holds one of the officials' ids."""
    users = select(Official.user_id).where(among(Official.id))
    return _Reads(
        officials=select(Official.id, Official.user_id, Official.is_leader,
                         Official.is_it_officer, Unit.level)
        .join(Unit, Unit.id == Official.unit_id).where(among(Official.id)),
        since=select(Requirement.official_id, Requirement.course_id, Requirement.since)
        .where(among(Requirement.official_id)),
        completions=select(Completion.user_id, Completion.course_id, Completion.completed_on)
        .where(Completion.user_id.in_(users)),
        # as the indicator counts them (rejected never; declared as configured)
        external=select(ExternalTraining.official_id, ExternalTraining.course_id,
                        ExternalTraining.completed_on, ExternalTraining.source)
        .where(among(ExternalTraining.official_id),
               ExternalTraining.status.in_(bindparam("counted", expanding=True))),
        lessons_started=select(LessonProgress.user_id, Lesson.course_id)
        .join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .where(LessonProgress.user_id.in_(users)).distinct(),
        quizzes_started=select(QuizAttempt.user_id, QuizAttempt.course_id)
        .where(QuizAttempt.user_id.in_(users)).distinct(),
    )


# For a list of ids ("my courses", a page of officials): built once, so a request
# neither builds these statements nor works out their cache keys again.
_LISTED = _reads(lambda column: column.in_(bindparam("ids", expanding=True)))


def statuses(official_ids: Select | Sequence[int], today: date) -> dict[int, OfficialStatus]:
    """Statuses of the officials ``official_ids``: a list of ids, or a SELECT of ids
    (a whole subtree, without sending its ids back to the database)."""
    if isinstance(official_ids, Select):
        ids = official_ids.subquery()
        reads, params = _reads(lambda column: column.in_(select(ids))), {}
    else:
        reads, params = _LISTED, {"ids": list(official_ids)}
    officials = db.session.execute(reads.officials, params).all()
    courses = courses_with_rules()
    result: dict[int, OfficialStatus] = {}
    if not officials:
        return result
    user_of = {o.id: o.user_id for o in officials if o.user_id}

    since = {(r.official_id, r.course_id): r.since
             for r in db.session.execute(reads.since, params)}
    done: dict[tuple[int, int], list[tuple[date, str | None]]] = defaultdict(list)
    for row in db.session.execute(reads.completions, params):
        done[(row.user_id, row.course_id, "u")].append((row.completed_on, None))
    for row in db.session.execute(reads.external,
                                  {**params, "counted": list(counted_statuses())}):
        done[(row.official_id, row.course_id, "o")].append((row.completed_on, row.source))
    started = set(db.session.execute(reads.lessons_started, params).tuples())
    started |= set(db.session.execute(reads.quizzes_started, params).tuples())

    for official in officials:
        shim = _Attributes(official.is_leader, official.is_it_officer)
        course_statuses = []
        for course in courses:
            if not any(rule_matches(r, shim, official.level) for r in course.required_for):
                continue
            start = since.get((official.id, course.id), today)
            due = start + timedelta(days=course.due_days) if course.due_days else None
            user_id = user_of.get(official.id)
            records = done.get((official.id, course.id, "o"), []) + (
                done.get((user_id, course.id, "u"), []) if user_id else [])
            valid = [r for r in records if is_valid_on(r[0], course.valid_days, today)]
            if valid:
                completed_on, source = max(valid, key=lambda r: r[0])
                course_statuses.append(CourseStatus(course, due, "done", completed_on, source))
            elif due is not None and today > due:
                course_statuses.append(CourseStatus(course, due, "overdue"))
            elif user_id and (user_id, course.id) in started:
                course_statuses.append(CourseStatus(course, due, "in_progress"))
            else:
                course_statuses.append(CourseStatus(course, due, "not_started"))
        result[official.id] = OfficialStatus(official.id, course_statuses)
    return result


@dataclass
class _Attributes:
    is_leader: bool
    is_it_officer: bool
