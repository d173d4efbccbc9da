"""Which courses each official must take, and by when.

A course's ``required_for`` rules (DESIGN.md) are matched against the
official's current attributes: a rule matches when all its keys match, a
course is required when any rule matches. The same rules exist twice, on
purpose: as SQL (for whole units at once) and in Python (for one page).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, insert, literal, or_, select, true

from lms.courses.models import Course
from lms.extensions import db
from lms.learning.models import Requirement
from lms.org.models import Official, Unit
from lms.util.sql import in_values


def rule_matches(rule: dict[str, Any], official: Official, unit_level: str) -> bool:
    if rule.get("audience") != "official":
        return False
    if "leaders" in rule and official.is_leader != rule["leaders"]:
        return False
    if "it_officers" in rule and official.is_it_officer != rule["it_officers"]:
        return False
    return not ("levels" in rule and unit_level not in rule["levels"])


def is_required(course: Course, official: Official, unit_level: str) -> bool:
    return any(rule_matches(rule, official, unit_level) for rule in course.required_for or [])


def rules_condition(rules: list[dict[str, Any]], leader=None, it_officer=None,
                    level_in: Callable[[list[str]], ColumnElement[bool]] | None = None,
                    ) -> ColumnElement[bool]:
    """SQL: true where any rule matches. By default over ``officials`` joined to
    ``units`` (today's values); the indicator passes an official period's columns
    and the units that had a level on its date."""
    leader = Official.is_leader if leader is None else leader
    it_officer = Official.is_it_officer if it_officer is None else it_officer
    level_in = level_in or (lambda levels: Unit.level.in_(levels))
    clauses = []
    for rule in rules:
        if rule.get("audience") != "official":
            continue
        parts: list[ColumnElement[bool]] = [true()]
        if "leaders" in rule:
            parts.append(leader.is_(bool(rule["leaders"])))
        if "it_officers" in rule:
            parts.append(it_officer.is_(bool(rule["it_officers"])))
        if "levels" in rule:
            parts.append(level_in(rule["levels"]))
        clauses.append(and_(*parts))
    return or_(*clauses) if clauses else false()


def courses_with_rules() -> list[Course]:
    return [c for c in db.session.scalars(_PUBLISHED_COURSES) if c.required_for]


_PUBLISHED_COURSES = select(Course).where(Course.is_published.is_(True)).order_by(Course.title)


def refresh_requirements(today: date, since: date | None = None,
                         unit_ids: Collection[int] | None = None) -> None:
    """Remember ``since`` (default today; the effective date of a dated roster change)
    as the start date of every newly matching (official, course), by today's values.

    One INSERT ... SELECT per course with rules: set-based, whatever the roster size.
    ``unit_ids`` limits it to the officials of those units (a roster file's: only
    officials it changed can newly match, and a province's file then costs the same
    in a national database as in its own).
    """
    since = since or today
    for course in courses_with_rules():
        already = exists().where(Requirement.official_id == Official.id,
                                 Requirement.course_id == course.id)
        chosen = (
            select(Official.id, literal(course.id), literal(since))
            .join(Unit, Unit.id == Official.unit_id)
            .where(Official.status != "left", rules_condition(course.required_for), ~already)
        )
        if unit_ids is not None:
            chosen = chosen.where(in_values(Official.unit_id, sorted(unit_ids)))
        db.session.execute(
            insert(Requirement).from_select(["official_id", "course_id", "since"], chosen)
        )
    db.session.flush()
