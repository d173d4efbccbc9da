"""The compliance indicator (DESIGN.md, "The indicator and the compliance report").

An active official is trained as of D when, for every course required of them
on D, they hold a completion (online or an external training record) dated on
or before D and still valid on D. An official with no required course is not
trained, and is counted apart (it points at a missing rule).

Everything is set-based: one aggregate query gives each unit's own counts for
any number of dates; the roll-up over the tree is a pass over ~1,000 units in
Python. Never a query per official or per unit.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask import current_app
from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    func,
    literal,
    not_,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import aliased

from lms.courses.models import Course
from lms.extensions import db
from lms.learning.models import Completion, ExternalTraining, Requirement
from lms.learning.requirements import courses_with_rules, rules_condition
from lms.org.logic import subtree_condition
from lms.org.models import Official, Unit

CYCLES = ("all", "year")


def percent(trained: int, total: int) -> Decimal:
    """Percent trained, rounded half up to one decimal; 0 where the total is 0."""
    if not total:
        return Decimal("0.0")
    return (Decimal(trained) * 100 / Decimal(total)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def target_for(level: str) -> Decimal:
    """100 unless configured (LMS_TARGET_PERCENT, LMS_TARGET_PERCENT_BY_LEVEL)."""
    by_level = current_app.config.get("LMS_TARGET_PERCENT_BY_LEVEL", {})
    value = float(by_level.get(level, current_app.config.get("LMS_TARGET_PERCENT", 100)))
    return Decimal(int(value)) if value.is_integer() else Decimal(str(value))


def window_start(course: Course, as_of: date, cycle: str) -> date:
    """The earliest completion date that still counts for ``course`` on ``as_of``."""
    start = date.min
    if course.valid_days is not None:
        start = as_of - timedelta(days=course.valid_days)
    if cycle == "year":
        start = max(start, date(as_of.year, 1, 1))
    return start


# --- the query -----------------------------------------------------------------------


def _completions(course_ids: list[int], until: date, scope: Unit | None):
    """Every relevant completion as (official, course, date): online ones through
    the official's account, and external training records. Filters go inside
    each branch, so a district's report reads only its own officials' records.
    (No course filter on the online branch: SQLite then reads each learner's
    completions in one probe of the covering index instead of one per course.)"""
    online = (
        select(Official.id.label("official_id"), Completion.course_id.label("course_id"),
               Completion.completed_on.label("completed_on"))
        .join(Official, Official.user_id == Completion.user_id)
        .where(Completion.completed_on <= until)
    )
    external = (
        select(ExternalTraining.official_id, ExternalTraining.course_id,
               ExternalTraining.completed_on)
        .where(ExternalTraining.course_id.in_(course_ids), ExternalTraining.completed_on <= until)
    )
    if scope is not None:
        external = external.join(Official, Official.id == ExternalTraining.official_id)
        online = online.where(in_subtree(scope))
        external = external.where(in_subtree(scope))
    return union_all(online, external).subquery("completion_dates")


def in_subtree(scope: Unit) -> ColumnElement[bool]:
    """Officials of the subtree, phrased so the planner starts from the units' path
    range and reads officials by unit (not a scan of every official)."""
    return Official.unit_id.in_(select(Unit.id).where(subtree_condition(scope)))


def _done_flags(courses: list[Course], dates: list[date], cycle: str, scope: Unit | None):
    """Per official: 1/0 for "holds a valid completion of course c on date k"."""
    raw = _completions([c.id for c in courses], max(dates), scope)
    columns = [raw.c.official_id]
    for k, as_of in enumerate(dates):
        for course in courses:
            valid = and_(raw.c.course_id == course.id,
                         raw.c.completed_on <= as_of,
                         raw.c.completed_on >= window_start(course, as_of, cycle))
            columns.append(func.max(case((valid, 1), else_=0)).label(f"d{k}_{course.id}"))
    return select(*columns).group_by(raw.c.official_id).subquery("done")


def _holds(course: Course, as_of: date, cycle: str) -> ColumnElement[bool]:
    """The official holds a completion of ``course`` valid on ``as_of`` (online or
    external): two probes of covering indexes, no sort. Fastest for one date."""
    start = window_start(course, as_of, cycle)
    online = select(Completion.id).where(
        Completion.user_id == Official.user_id, Completion.course_id == course.id,
        Completion.completed_on >= start, Completion.completed_on <= as_of)
    external = select(ExternalTraining.id).where(
        ExternalTraining.official_id == Official.id, ExternalTraining.course_id == course.id,
        ExternalTraining.completed_on >= start, ExternalTraining.completed_on <= as_of)
    return or_(online.exists(), external.exists())


def _trained_exists(courses: list[Course], required: dict[int, ColumnElement[bool]],
                    as_of: date, cycle: str) -> ColumnElement[bool]:
    if not courses:
        return literal(False)
    return and_(or_(*required.values()),
                *[or_(not_(required[c.id]), _holds(c, as_of, cycle)) for c in courses])


def _active_on(as_of: date) -> ColumnElement[bool]:
    return or_(Official.status != "left", and_(Official.left_on.is_not(None),
                                                Official.left_on > as_of))


def _trained_on(k: int, courses: list[Course], required: dict[int, ColumnElement[bool]],
                done) -> ColumnElement[bool]:
    if not courses:
        return literal(False)
    satisfied = [or_(not_(required[c.id]), func.coalesce(done.c[f"d{k}_{c.id}"], 0) == 1)
                 for c in courses]
    return and_(or_(*required.values()), *satisfied)


def unit_counts(dates: list[date], cycle: str = "all",
                scope: Unit | None = None) -> dict[int, list[tuple[int, int, int]]]:
    """{unit_id: [(total, trained, no_requirement) for each date]}, units' own officials."""
    if cycle not in CYCLES:
        raise ValueError(f"cycle must be one of {CYCLES}")
    courses = courses_with_rules()
    required = {c.id: rules_condition(c.required_for) for c in courses}
    any_required = or_(*required.values()) if courses else literal(False)
    columns: list[Any] = [Official.unit_id]
    statement_from = select(Official).join(Unit, Unit.id == Official.unit_id)
    # One date (the report): EXISTS probes per required course are fastest. Several
    # dates (the 12-month trend): one pass computing per-official flags for all dates.
    done = _done_flags(courses, dates, cycle, scope) if courses and len(dates) > 1 else None
    for k, as_of in enumerate(dates):
        active = _active_on(as_of)
        if done is not None:
            trained = _trained_on(k, courses, required, done)
        else:
            trained = _trained_exists(courses, required, as_of, cycle)
        columns += [
            func.sum(case((active, 1), else_=0)),
            func.sum(case((and_(active, trained), 1), else_=0)),
            func.sum(case((and_(active, not_(any_required)), 1), else_=0)),
        ]
    statement = statement_from.with_only_columns(*columns)
    if done is not None:
        statement = statement.outerjoin(done, done.c.official_id == Official.id)
    if scope is not None:
        statement = statement.where(in_subtree(scope))
    statement = statement.group_by(Official.unit_id)
    result: dict[int, list[tuple[int, int, int]]] = {}
    for row in db.session.execute(statement):
        values = [int(v or 0) for v in row[1:]]
        result[row[0]] = [tuple(values[i:i + 3]) for i in range(0, len(values), 3)]
    return result


# --- the report ----------------------------------------------------------------------


@dataclass
class ReportRow:
    unit_id: int
    unit_code: str
    unit_name: str
    level: str
    parent_code: str | None
    depth: int
    officials_total: int = 0
    officials_trained: int = 0
    no_requirement: int = 0
    own_total: int = 0
    own_trained: int = 0
    target_percent: Decimal = Decimal(100)

    @property
    def percent_trained(self) -> Decimal:
        return percent(self.officials_trained, self.officials_total)

    @property
    def officials_remaining(self) -> int:
        return self.officials_total - self.officials_trained

    @property
    def meets_target(self) -> bool:
        return self.officials_total > 0 and self.percent_trained >= self.target_percent

    def as_json(self) -> dict[str, Any]:
        return {
            "unit_code": self.unit_code,
            "unit_name": self.unit_name,
            "level": self.level,
            "parent_code": self.parent_code,
            "officials_total": self.officials_total,
            "officials_trained": self.officials_trained,
            "percent_trained": float(self.percent_trained),
            "target_percent": float(self.target_percent),
            "officials_remaining": self.officials_remaining,
        }


@dataclass
class ComplianceReport:
    as_of: date
    cycle: str
    root: ReportRow
    rows: list[ReportRow] = field(default_factory=list)  # the root first, tree order

    @property
    def no_requirement(self) -> int:
        return self.root.no_requirement


def _tree(scope: Unit | None) -> tuple[list[Unit], Unit]:
    statement = select(Unit)
    if scope is not None:
        statement = statement.where(subtree_condition(scope))
    units = list(db.session.scalars(statement))
    if scope is None:
        roots = [u for u in units if u.parent_id is None]
        if not roots:
            raise LookupError("no units yet")
        scope = roots[0]
    return units, scope


def compliance_reports(scope: Unit | None, dates: list[date],
                       cycle: str = "all") -> list[ComplianceReport]:
    """The report for every date in ``dates`` from one aggregate query."""
    units, root = _tree(scope)
    counts = unit_counts(dates, cycle, scope if scope is not None else None)
    code_of = {u.id: u.code for u in units}
    if root.parent_id is not None:  # the scope's own parent lies outside the subtree
        code_of[root.parent_id] = db.session.get(Unit, root.parent_id).code
    children: dict[int | None, list[Unit]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    for siblings in children.values():
        siblings.sort(key=lambda u: (u.level != "department", u.level, u.name))
    order: list[Unit] = []
    stack = [root]
    while stack:  # depth-first, parents before children
        unit = stack.pop()
        order.append(unit)
        stack.extend(reversed(children.get(unit.id, [])))
    base_depth = root.depth
    reports = []
    for k, as_of in enumerate(dates):
        rows = {u.id: ReportRow(
            unit_id=u.id, unit_code=u.code, unit_name=u.name, level=u.level,
            parent_code=code_of.get(u.parent_id) if u.parent_id else None,
            depth=u.depth - base_depth, target_percent=target_for(u.level)) for u in order}
        for unit_id, per_date in counts.items():
            if unit_id in rows:
                total, trained, no_req = per_date[k]
                row = rows[unit_id]
                row.own_total, row.own_trained = total, trained
                row.officials_total, row.officials_trained, row.no_requirement = (
                    total, trained, no_req)
        for unit in reversed(order):  # children before parents: add each to its parent
            if unit.id != root.id and unit.parent_id in rows:
                parent, row = rows[unit.parent_id], rows[unit.id]
                parent.officials_total += row.officials_total
                parent.officials_trained += row.officials_trained
                parent.no_requirement += row.no_requirement
        ordered = [rows[u.id] for u in order]
        reports.append(ComplianceReport(as_of, cycle, ordered[0], ordered))
    return reports


def compliance_report(scope: Unit | None, as_of: date, cycle: str = "all") -> ComplianceReport:
    return compliance_reports(scope, [as_of], cycle)[0]


def month_ends(as_of: date, months: int = 12) -> list[date]:
    """The last ``months`` month ends up to ``as_of`` (as_of itself last)."""
    ends = []
    current = as_of.replace(day=1) - timedelta(days=1)
    for _ in range(months - 1):
        ends.append(current)
        current = current.replace(day=1) - timedelta(days=1)
    return [*reversed(ends), as_of]


# --- untrained officials -------------------------------------------------------------


@dataclass
class MissingCourse:
    course: Course
    due_on: date | None
    overdue: bool


@dataclass
class UntrainedOfficial:
    official_id: int
    employee_code: str
    full_name: str
    unit_code: str
    unit_name: str
    position: str | None
    missing: list[MissingCourse]

    @property
    def overdue(self) -> bool:
        return any(m.overdue for m in self.missing)


def untrained_officials(scope: Unit | None, as_of: date, cycle: str = "all",
                        limit: int | None = None, offset: int = 0) -> Iterator[UntrainedOfficial]:
    """Active officials of the subtree not trained on ``as_of``, streamed in tree order.

    An official with no required course is listed with no missing course.
    """
    courses = courses_with_rules()
    required = {c.id: rules_condition(c.required_for) for c in courses}
    since = {c.id: aliased(Requirement, name=f"req_{c.id}") for c in courses}
    columns: list[Any] = [Official.id, Official.employee_code, Official.full_name,
                          Official.position, Unit.code, Unit.name]
    for course in courses:
        # "missing" = required and not held; computed in SQL so Python only formats.
        missing = and_(required[course.id], not_(_holds(course, as_of, cycle)))
        columns += [case((missing, 1), else_=0), since[course.id].since]
    statement = (
        select(*columns).select_from(Official).join(Unit, Unit.id == Official.unit_id)
        .where(_active_on(as_of), not_(_trained_exists(courses, required, as_of, cycle)))
    )
    for course in courses:
        alias = since[course.id]
        statement = statement.outerjoin(alias, and_(alias.official_id == Official.id,
                                                    alias.course_id == course.id))
    if scope is not None:
        statement = statement.where(in_subtree(scope))
    # Grouped by unit (in the order units were created, which follows the units file)
    # and by name: the order of an index, so nothing is sorted in memory.
    statement = statement.order_by(Official.unit_id, Official.full_name, Official.id)
    if limit is not None:
        statement = statement.limit(limit).offset(offset)
    result = db.session.execute(statement.execution_options(yield_per=2000))
    for row in result.tuples():
        missing = []
        for index, course in enumerate(courses):
            if row[6 + 2 * index]:
                start = row[7 + 2 * index] or as_of
                due = start + timedelta(days=course.due_days) if course.due_days else None
                missing.append(MissingCourse(course, due, due is not None and as_of > due))
        yield UntrainedOfficial(row[0], row[1], row[2], row[4], row[5], row[3], missing)
