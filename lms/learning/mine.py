""""Khóa học của tôi": every course of the learner in one list, the most urgent first.

Courses required of an official (lms/learning/status.py) and those the learner has
started or completed (:func:`lms.learning.logic.learning_overview`) are merged, one
entry per course, and sorted: overdue (the longest overdue first), then those with a
due date (the soonest first), then those in progress, then required ones not started,
then those done. The statements are those of the two sources, however many courses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from lms.courses.models import Course
from lms.learning.logic import LearningOverview, Progress, learning_overview
from lms.learning.models import Completion

# The order of the groups on the page (see the module docstring).
GROUPS = ("overdue", "due", "in_progress", "not_started", "done")


@dataclass
class MyCourse:
    course: Course
    group: str  # one of GROUPS
    progress: Progress | None  # None for a course done (nothing left to do)
    due_on: date | None = None
    days_overdue: int = 0
    completion: Completion | None = None  # the online completion (a certificate)
    completed_on: date | None = None
    source: str | None = None  # a classroom training's source, when done that way
    required: bool = False

    @property
    def percent(self) -> int:
        if self.group == "done":
            return 100
        return self.progress.percent if self.progress is not None else 0

    @property
    def started(self) -> bool:
        return self.progress is not None and self.progress.started


def _sort_key(entry: MyCourse) -> tuple[Any, ...]:
    rank = GROUPS.index(entry.group)
    if entry.group in ("overdue", "due"):
        return rank, entry.due_on, entry.course.title
    if entry.group == "done":
        return rank, -(entry.completed_on or date.min).toordinal(), entry.course.title
    return rank, entry.course.title


def my_courses(user, required: list | None, today: date,
               overview: LearningOverview | None = None) -> list[MyCourse]:
    """The learner's courses, the most urgent first. ``required`` is the official's
    list of :class:`lms.learning.status.CourseStatus` (None for other learners)."""
    required = required or []
    if overview is None:
        overview = learning_overview(user, also=[status.course for status in required])
    in_progress = {course.id: progress for course, progress in overview.in_progress}
    completed = {course.id: completion for course, completion in overview.completed}
    entries: dict[int, MyCourse] = {}
    for status in required:
        course = status.course
        progress = in_progress.get(course.id) or overview.others.get(course.id)
        if status.state == "done":
            entries[course.id] = MyCourse(
                course, "done", None, status.due_on, completion=completed.get(course.id),
                completed_on=status.completed_on, source=status.source, required=True)
        elif status.state == "overdue":
            entries[course.id] = MyCourse(course, "overdue", progress, status.due_on,
                                          (today - status.due_on).days, required=True)
        elif status.due_on is not None:
            entries[course.id] = MyCourse(course, "due", progress, status.due_on,
                                          required=True)
        else:
            group = "in_progress" if progress is not None and progress.started else \
                "not_started"
            entries[course.id] = MyCourse(course, group, progress, required=True)
    for course, progress in overview.in_progress:
        entries.setdefault(course.id, MyCourse(course, "in_progress", progress))
    for course, completion in overview.completed:
        entries.setdefault(course.id, MyCourse(course, "done", None, completion=completion,
                                               completed_on=completion.completed_on))
    return sorted(entries.values(), key=_sort_key)
