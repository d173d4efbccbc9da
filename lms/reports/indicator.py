"""The compliance indicator (DESIGN.md, "The indicator and the compliance report").

An active official is trained as of D when, for every course required of them
on D, they hold a completion (online or an external training record) dated on
or before D and still valid on D. An official with no required course is not
trained, and is counted apart (it points at a missing rule).

Everything is set-based: one aggregate query gives each unit's own counts for
one date, or for any number of dates; the roll-up over the tree is a pass over
~1,000 units in Python. Never a query per official or per unit. Each date is
read with the organisation of that date: the unit tree valid then and each
official's period then (lms.org.history).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from types import SimpleNamespace
from typing import Any

from flask import current_app, g, has_app_context
from flask_babel import gettext as _
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    and_,
    case,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import aliased

from lms.courses.models import Course
from lms.extensions import db
from lms.learning.evidence import counted_statuses
from lms.learning.models import Completion, ExternalTraining, Requirement
from lms.learning.requirements import courses_with_rules, rules_condition
from lms.org.history import STRUCTURES, UnitHistory, UnitState, valid_on
from lms.org.models import Official, OfficialPeriod, Unit
from lms.util.sql import ids_in
from lms.util.time import local_today

CYCLES = ("all", "year")
# Above this share of trained officials resting on declared (unverified) classroom
# records, the report warns (issue 18: one file took a commune from 46.9% to 100%).
DECLARED_WARNING_PERCENT = Decimal(30)


def percent(trained: int, total: int) -> Decimal:
    """Percent trained, rounded half up to one decimal; 0 where the total is 0."""
    if not total:
        return Decimal("0.0")
    return (Decimal(trained) * 100 / Decimal(total)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def target_for(level: str) -> Decimal:
    """100 unless configured (LMS_TARGET_PERCENT, LMS_TARGET_PERCENT_BY_LEVEL)."""
    cache = getattr(g, "_lms_targets", None) if has_app_context() else None
    if cache is None:
        cache = {}
        if has_app_context():
            g._lms_targets = cache
    if level not in cache:
        cache[level] = _target_for(level)
    return cache[level]


def _target_for(level: str) -> Decimal:
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
#
# Everything is read from the official periods valid on each date: the unit an
# official belonged to then and the attributes that decided their required
# courses then (DESIGN.md, "Which structure a report uses"). A unit's level on a
# date comes from the unit history, as the set of units that had each level.


class _Levels:
    """level_in(levels) for rules_condition: the units that had one of ``levels`` on
    a date, as an IN list of ids (the unit history is small and in memory)."""

    def __init__(self, history: UnitHistory, day: date, unit_id=OfficialPeriod.unit_id) -> None:
        self.unit_id = unit_id
        self.by_level: dict[str, list[int]] = {}
        for unit, state in history.tree_on(day).items():
            self.by_level.setdefault(state.level, []).append(unit)

    def __call__(self, levels: list[str]) -> ColumnElement[bool]:
        ids = sorted(i for level in levels for i in self.by_level.get(level, []))
        return ids_in(self.unit_id, ids) if ids else literal(False)


def _required(courses: list[Course], history: UnitHistory, day: date, period=OfficialPeriod
              ) -> dict[int, ColumnElement[bool]]:
    """Per course: the period's official had it required on ``day`` (``period``: where
    the period's unit_id, is_leader and is_it_officer are read; a subquery's ``c``)."""
    levels = _Levels(history, day, period.unit_id)
    return {c.id: rules_condition(c.required_for, period.is_leader, period.is_it_officer,
                                  levels) for c in courses}


def _windowless(course: Course, cycle: str) -> bool:
    """Any completion on or before the date counts (no validity window, no yearly cycle)."""
    return course.valid_days is None and cycle == "all"


def _done_flags(courses: list[Course], dates: list[date], cycle: str, officials):
    """Two grouped reads, online completions by account and classroom records by
    official (each in the order of its covering index, so nothing is sorted): per
    course the first completion date (courses without a window: enough for every
    date) or, for each date k, 1/0 for "holds a completion valid on date k"."""
    until = max(dates)

    def flags(table, key, course_ids):
        columns = [key.label("key")]
        for course in courses:
            if _windowless(course, cycle):
                columns.append(func.min(case((table.course_id == course.id,
                                              table.completed_on))).label(f"first_{course.id}"))
                continue
            for k, as_of in enumerate(dates):
                valid = and_(table.course_id == course.id, table.completed_on <= as_of,
                             table.completed_on >= window_start(course, as_of, cycle))
                columns.append(func.max(case((valid, 1), else_=0)).label(f"d{k}_{course.id}"))
        return select(*columns).where(table.completed_on <= until, course_ids).group_by(key)

    ids = [c.id for c in courses]
    online = flags(Completion, Completion.user_id, Completion.course_id.in_(ids))
    # Classroom records count by their review status (verified always, declared as
    # configured, rejected never): lms.learning.evidence.
    external = flags(ExternalTraining, ExternalTraining.official_id,
                     and_(ExternalTraining.course_id.in_(ids),
                          _counted_status(ExternalTraining.status)))
    if officials is not None:
        online = online.where(Completion.user_id.in_(
            select(Official.user_id).where(Official.id.in_(officials))))
        external = external.where(ExternalTraining.official_id.in_(officials))
    return online.subquery("done_online"), external.subquery("done_external")


def _bits_or(value) -> ColumnElement[int]:
    """Bitwise OR over a group: PostgreSQL's bit_or; elsewhere the sum of the distinct
    values, the same number when every value is 0 or one bit."""
    if db.engine.dialect.name == "postgresql":
        return func.bit_or(value)
    return func.sum(value.distinct())


def _row_mask(table, courses: list[Course], as_of: date, cycle: str, extra=None
              ) -> ColumnElement[int]:
    """One row's bit (bit i: ``courses[i]``) where it is valid on ``as_of``, else 0."""
    whens = []
    for i, course in enumerate(courses):
        valid = and_(table.course_id == course.id,
                     table.completed_on >= window_start(course, as_of, cycle))
        whens.append((valid if extra is None else and_(valid, extra),
                      literal(1 << i, BigInteger)))
    return case(*whens, else_=literal(0, BigInteger))


def _held_masks(courses: list[Course], as_of: date, cycle: str, evidence: bool, officials):
    """One date's holdings as two grouped reads, each a bit mask (bit i: ``courses[i]``)
    per key: online completions valid on ``as_of`` by account (``held``), counted
    classroom records valid on it by official (``held``; with ``evidence`` also
    ``verified``: the verified ones). One aggregate per key, not one per course: a
    national report groups ~10 million completions by ~2 million accounts."""

    def bits(table, extra=None) -> ColumnElement[int]:
        return _bits_or(_row_mask(table, courses, as_of, cycle, extra))

    ids = [c.id for c in courses]
    online = (select(Completion.user_id.label("key"), bits(Completion).label("held"))
              .where(Completion.course_id.in_(ids), Completion.completed_on <= as_of)
              .group_by(Completion.user_id))
    columns = [ExternalTraining.official_id.label("key"), bits(ExternalTraining).label("held")]
    if evidence:
        columns.append(bits(ExternalTraining, ExternalTraining.status == "verified")
                       .label("verified"))
    external = (select(*columns)
                .where(ExternalTraining.course_id.in_(ids),
                       ExternalTraining.completed_on <= as_of,
                       _counted_status(ExternalTraining.status))
                .group_by(ExternalTraining.official_id))
    if officials is not None:
        online = online.where(Completion.user_id.in_(
            select(Official.user_id).where(Official.id.in_(officials))))
        external = external.where(ExternalTraining.official_id.in_(officials))
    return online.subquery("held_online"), external.subquery("held_external")


class _Joined:
    """A grouped read's columns (``c.held``, ``c.verified``) as aggregates over the rows
    joined to each official in the statement itself (the "joined" way)."""

    def __init__(self, **columns: ColumnElement[int]) -> None:
        self.c = SimpleNamespace(**columns)


def _joined_statement(courses: list[Course], history: UnitHistory, as_of: date, cycle: str,
                      evidence: bool, unit_ids: Collection[int] | None):
    """One date of a subtree as joins only, no correlated sub-plan, so PostgreSQL runs it
    in parallel workers (docs/scaling.md). Two branches of one UNION ALL: the subtree's
    periods joined to their officials and each account's completions, and the same
    periods joined to their counted classroom records, each a row per record (an index
    range per official, through the covering indexes); grouped per period into bit masks
    (as ``_held_masks``), then summed per unit."""
    ids = [c.id for c in courses]
    zero = literal(0, BigInteger)
    period = [OfficialPeriod.id.label("period_id"), OfficialPeriod.unit_id.label("unit_id"),
              OfficialPeriod.is_leader.label("is_leader"),
              OfficialPeriod.is_it_officer.label("is_it_officer")]
    online = [_row_mask(Completion, courses, as_of, cycle).label("online"),
              zero.label("external")]
    external = [zero.label("online"),
                _row_mask(ExternalTraining, courses, as_of, cycle).label("external")]
    if evidence:
        online.append(zero.label("verified"))
        external.append(_row_mask(ExternalTraining, courses, as_of, cycle,
                                  ExternalTraining.status == "verified").label("verified"))
    rows = union_all(
        select(*period, *online).select_from(OfficialPeriod)
        .join(Official, Official.id == OfficialPeriod.official_id)
        .outerjoin(Completion, and_(Completion.user_id == Official.user_id,
                                    Completion.course_id.in_(ids),
                                    Completion.completed_on <= as_of))
        .where(_counted_on(as_of), _in_units(unit_ids)),
        select(*period, *external).select_from(OfficialPeriod)
        .join(ExternalTraining, and_(
            ExternalTraining.official_id == OfficialPeriod.official_id,
            ExternalTraining.course_id.in_(ids), ExternalTraining.completed_on <= as_of,
            _counted_status(ExternalTraining.status)))
        .where(_counted_on(as_of), _in_units(unit_ids)),
    ).subquery("held_rows")
    required = _required(courses, history, as_of, rows.c)
    held_online = _Joined(held=_bits_or(rows.c.online))
    held_external = _Joined(held=_bits_or(rows.c.external))
    if evidence:
        held_external.c.verified = _bits_or(rows.c.verified)
    any_required = or_(*required.values())
    trained = and_(any_required, *[
        or_(not_(required[c.id]), _has_bit(held_online.c.held, i),
            _has_bit(held_external.c.held, i)) for i, c in enumerate(courses)])
    if evidence:
        counted = _rests_on(courses, required, trained, as_of, cycle,
                            (held_online, held_external))
    else:
        counted = case((trained, 1), else_=0)
    per_official = (
        select(rows.c.unit_id, counted.label("counted"),
               case((not_(any_required), 1), else_=0).label("no_requirement"))
        .group_by(rows.c.period_id, rows.c.unit_id, rows.c.is_leader, rows.c.is_it_officer)
        .subquery("per_official"))
    return (select(per_official.c.unit_id, func.count(), func.sum(per_official.c.counted),
                   func.sum(per_official.c.no_requirement))
            .group_by(per_official.c.unit_id))


def _has_bit(column, i: int) -> ColumnElement[bool]:
    return func.coalesce(column, 0).op("&")(literal(1 << i, BigInteger)) != 0


def _held_on(done, k: int, as_of: date, course: Course, cycle: str) -> ColumnElement[bool]:
    def held(sub) -> ColumnElement[bool]:
        if _windowless(course, cycle):
            column = sub.c[f"first_{course.id}"]
            return and_(column.is_not(None), column <= as_of)
        return func.coalesce(sub.c[f"d{k}_{course.id}"], 0) == 1

    online, external = done
    return or_(held(online), held(external))


def _counted_status(column) -> ColumnElement[bool]:
    statuses = counted_statuses()
    return column == statuses[0] if len(statuses) == 1 else column.in_(statuses)


def _holds_online(course: Course, as_of: date, cycle: str) -> ColumnElement[bool]:
    start = window_start(course, as_of, cycle)
    return select(Completion.id).where(
        Completion.user_id == Official.user_id, Completion.course_id == course.id,
        Completion.completed_on >= start, Completion.completed_on <= as_of).exists()


def _holds_external(course: Course, as_of: date, cycle: str,
                    status: ColumnElement[bool] | None = None) -> ColumnElement[bool]:
    """A classroom record of ``course`` valid on ``as_of`` whose status counts (or, with
    ``status``, meets that condition)."""
    start = window_start(course, as_of, cycle)
    return select(ExternalTraining.id).where(
        ExternalTraining.official_id == Official.id, ExternalTraining.course_id == course.id,
        ExternalTraining.completed_on >= start, ExternalTraining.completed_on <= as_of,
        _counted_status(ExternalTraining.status) if status is None else status).exists()


def _holds(course: Course, as_of: date, cycle: str) -> ColumnElement[bool]:
    """The official holds a completion of ``course`` valid on ``as_of`` (online or
    external): two probes of covering indexes, no sort. Fastest for one date."""
    return or_(_holds_online(course, as_of, cycle), _holds_external(course, as_of, cycle))


def _trained_exists(courses: list[Course], required: dict[int, ColumnElement[bool]],
                    as_of: date, cycle: str) -> ColumnElement[bool]:
    if not courses:
        return literal(False)
    return and_(or_(*required.values()),
                *[or_(not_(required[c.id]), _holds(c, as_of, cycle)) for c in courses])


def _trained_on(k: int, as_of: date, cycle: str, courses: list[Course],
                required: dict[int, ColumnElement[bool]], done) -> ColumnElement[bool]:
    if not courses:
        return literal(False)
    satisfied = [or_(not_(required[c.id]), _held_on(done, k, as_of, c, cycle))
                 for c in courses]
    return and_(or_(*required.values()), *satisfied)


def _counted_on(day) -> ColumnElement[bool]:
    """The period holds on ``day`` and the official was serving (not left)."""
    return and_(valid_on(OfficialPeriod.valid_from, OfficialPeriod.valid_to, day),
                OfficialPeriod.status == "active")


def _in_units(unit_ids: Collection[int] | None) -> ColumnElement[bool]:
    return literal(True) if unit_ids is None else ids_in(OfficialPeriod.unit_id,
                                                         sorted(unit_ids))


# What a trained official rests on, packed into one summable number (see _rests_on):
# the low bits count the trained, the next the verified, the high ones the declared. A
# unit's count stays below 2**20 (a million officials), so the fields never overlap.
_FIELD = 20
_VERIFIED = 1 << _FIELD
_DECLARED = 1 << (2 * _FIELD)
_MASK = _VERIFIED - 1


def _rests_on(courses: list[Course], required: dict[int, ColumnElement[bool]],
              trained: ColumnElement[bool], as_of: date, cycle: str,
              done=None) -> ColumnElement[int]:
    """0 for an untrained official; for a trained one 1, plus _DECLARED if some required
    course is held only through a declared classroom record (no valid online
    completion, no valid verified record), else plus _VERIFIED if some required course
    is held only through a verified record (no valid online completion).

    One CASE, so ``trained`` is evaluated once per official; the category's probes run
    for trained officials only. As they hold every required course, "not online and no
    verified record" leaves a declared one: two probes a course at most. With ``done``
    (``_held_masks(..., evidence=True)``) the flags are read from its masks instead.
    """
    if done is None:
        not_online = {c.id: not_(_holds_online(c, as_of, cycle)) for c in courses}
        verified = {c.id: _holds_external(c, as_of, cycle,
                                          ExternalTraining.status == "verified")
                    for c in courses}
    else:
        online, external = done
        not_online = {c.id: not_(_has_bit(online.c.held, i)) for i, c in enumerate(courses)}
        verified = {c.id: _has_bit(external.c.verified, i) for i, c in enumerate(courses)}
    only_verified = or_(*[and_(required[c.id], not_online[c.id], verified[c.id])
                          for c in courses])
    whens = []
    if "declared" in counted_statuses():  # else nothing can rest on a declared record
        whens.append((or_(*[and_(required[c.id], not_online[c.id], not_(verified[c.id]))
                            for c in courses]), literal(1 + _DECLARED, BigInteger)))
    whens.append((only_verified, literal(1 + _VERIFIED, BigInteger)))
    return case((trained, case(*whens, else_=literal(1, BigInteger))),
                else_=literal(0, BigInteger))


# PostgreSQL's planner settings each way of reading one date runs with (docs/scaling.md).
_WAY_SETTINGS: dict[str, dict[str, str]] = {
    # A subtree's read must cost what its officials cost. The planner estimates a
    # province's periods from the whole country's average per unit (4x too many for
    # Nghệ An's small communes) and then prefers hashing every completion, classroom
    # record and official of the country (1.1 s) to ~100,000 index look-ups per table
    # (0.65 s in two workers). Without hash and merge joins it has only the plan the
    # way is written for; aggregates still hash.
    "joined": {"enable_hashjoin": "off", "enable_mergejoin": "off"},
    # Every unit: each grouped read streams in its covering index's order (accounts,
    # officials), grouped as it goes and merge-joined to the officials and periods in
    # that order, in one process. The planner expects a quarter of the accounts that
    # hold completions, hashes them (1.8 million groups, spilled to disk), builds each
    # join's hash table in one process, and has every parallel worker compute the
    # grouped reads again: 9-10 s on two cores against 6 s streamed, side by side.
    "grouped": {"enable_hashagg": "off", "enable_hashjoin": "off",
                "max_parallel_workers_per_gather": "0"},
}


@contextmanager
def _planner_settings(way: str) -> Iterator[None]:
    """On PostgreSQL, ``way``'s planner settings only while its statement runs
    (``set_config(..., true)``, then the previous values again, in the same
    transaction)."""
    settings = _WAY_SETTINGS.get(way)
    if not settings or db.engine.dialect.name != "postgresql":
        yield
        return
    names = list(settings)
    pairs = ", ".join(f"current_setting('{n}'), set_config('{n}', :s{i}, true)"
                      for i, n in enumerate(names))
    before = db.session.execute(text(f"SELECT {pairs}"),
                                {f"s{i}": settings[n] for i, n in enumerate(names)}).one()[::2]
    yield  # (if the statement fails, the transaction's rollback undoes the settings)
    restore = ", ".join(f"set_config('{n}', :v{i}, true)" for i, n in enumerate(names))
    db.session.execute(text(f"SELECT {restore}"), {f"v{i}": v for i, v in enumerate(before)})


def _one_date_way(whole: bool) -> str:
    """How one date is read: "probes" per official, "grouped" reads joined to the
    periods, or "joined" (``whole``: the report covers every unit of the database).

    Probes (an ``EXISTS`` per required course into the covering indexes) cost what
    the scope's officials cost: a province of 100,000 in a national database reads
    its own index ranges only. They are SQLite's way everywhere. On PostgreSQL they
    are correlated sub-plans, which never run in parallel workers: the national report
    was 2 million probes in a row on one core (25 s). For the whole database the
    holdings come instead from two grouped reads (``_held_masks``: completions by
    account, classroom records by official, one bit mask each), joined to the periods
    and summed per unit: one pass over each table, streamed in index order
    (``_WAY_SETTINGS``, docs/scaling.md). A subtree would pass over the whole country's
    records that way; it is read "joined" (``_joined_statement``): the same index
    look-ups as the probes, one range per official and table, written as joins, which
    PostgreSQL splits between parallel workers. All ways give the same counts
    (tests/reports/conftest.py runs each for every one-date report there).
    """
    if db.engine.dialect.name != "postgresql":
        return "probes"
    return "grouped" if whole else "joined"


def unit_counts(dates: list[date], cycle: str = "all", unit_ids: Collection[int] | None = None,
                history: UnitHistory | None = None, evidence: bool = False,
                way: str | None = None) -> dict[int, list[tuple[int, ...]]]:
    """{unit_id: [(total, trained, no_requirement) for each date]}: the officials whose
    period on each date places them in that unit (``unit_ids``: only those units).

    ``evidence`` (one date only: the report page and its exports) adds to each tuple how
    many of the trained rest on declared and on verified classroom records, in the same
    pass: the plain indicator's statement is unchanged without it.

    ``way`` chooses how a single date is read (default: _one_date_way(...)).
    """
    if cycle not in CYCLES:
        raise ValueError(f"cycle must be one of {CYCLES}")
    if evidence and len(dates) != 1:
        raise ValueError("the evidence split is computed for one date")
    history = history or UnitHistory.load()
    courses = courses_with_rules()
    result: dict[int, list[tuple[int, ...]]] = {}
    if len(dates) == 1 or not courses:
        # One date (the report): see _one_date_way for the two ways of reading it.
        way = _one_date_way(unit_ids is None) if way is None else way
        if not courses or len(courses) >= 63:
            way = "probes"  # nothing to hold, or more courses than a bit mask has bits
        for k, as_of in enumerate(dates):
            required = _required(courses, history, as_of)
            any_required = or_(*required.values()) if courses else literal(False)
            statement = (
                select(OfficialPeriod.unit_id, func.count())
                .select_from(OfficialPeriod)
                .join(Official, Official.id == OfficialPeriod.official_id)
                .where(_counted_on(as_of), _in_units(unit_ids))
                .group_by(OfficialPeriod.unit_id)
            )
            done = None
            if way == "joined":
                statement = _joined_statement(courses, history, as_of, cycle, evidence,
                                              unit_ids)
            elif way == "grouped":
                officials = None if unit_ids is None else select(
                    OfficialPeriod.official_id).where(_counted_on(as_of), _in_units(unit_ids))
                done = _held_masks(courses, as_of, cycle, evidence, officials)
                online, external = done
                statement = (statement
                             .outerjoin(online, online.c.key == Official.user_id)
                             .outerjoin(external, external.c.key == OfficialPeriod.official_id))
                trained = and_(or_(*required.values()), *[
                    or_(not_(required[c.id]), _has_bit(online.c.held, i),
                        _has_bit(external.c.held, i)) for i, c in enumerate(courses)])
            else:
                trained = _trained_exists(courses, required, as_of, cycle)
            if way != "joined":
                if evidence and courses:
                    counted = func.sum(_rests_on(courses, required, trained, as_of, cycle,
                                                 done))
                else:
                    counted = func.sum(case((trained, 1), else_=0))
                statement = statement.add_columns(
                    counted, func.sum(case((not_(any_required), 1), else_=0)))
            empty = (0, 0, 0, 0, 0) if evidence else (0, 0, 0)
            with _planner_settings(way):
                rows = db.session.execute(statement).all()
            for row in rows:
                per_date = result.setdefault(row[0], [empty] * len(dates))
                total, packed, no_req = int(row[1] or 0), int(row[2] or 0), int(row[3] or 0)
                if evidence:
                    per_date[k] = (total, packed & _MASK, no_req, packed >> (2 * _FIELD),
                                   (packed >> _FIELD) & _MASK)
                else:
                    per_date[k] = (total, packed, no_req)
        return result
    # Several dates (the 12-month trend): one pass over the periods that overlap the
    # dates, with per-official completion flags for every date; a period counts for
    # each date it holds on, under its own unit.
    officials = None if unit_ids is None else select(OfficialPeriod.official_id).where(
        _in_units(unit_ids))
    done = _done_flags(courses, dates, cycle, officials)
    online, external = done
    columns: list[Any] = [OfficialPeriod.unit_id]
    for k, as_of in enumerate(dates):
        required = _required(courses, history, as_of)
        counted = _counted_on(as_of)
        trained = _trained_on(k, as_of, cycle, courses, required, done)
        columns += [func.sum(case((counted, 1), else_=0)),
                    func.sum(case((and_(counted, trained), 1), else_=0)),
                    func.sum(case((and_(counted, not_(or_(*required.values()))), 1), else_=0))]
    overlapping = and_(or_(OfficialPeriod.valid_from.is_(None),
                           OfficialPeriod.valid_from <= max(dates)),
                       or_(OfficialPeriod.valid_to.is_(None),
                           OfficialPeriod.valid_to >= min(dates)),
                       OfficialPeriod.status == "active")
    statement = (
        select(*columns).select_from(OfficialPeriod)
        .join(Official, Official.id == OfficialPeriod.official_id)
        .outerjoin(online, online.c.key == Official.user_id)
        .outerjoin(external, external.c.key == OfficialPeriod.official_id)
        .where(overlapping, _in_units(unit_ids))
        .group_by(OfficialPeriod.unit_id)
    )
    for row in db.session.execute(statement):
        values = [int(v or 0) for v in row[1:]]
        per_date = result.setdefault(row[0], [(0, 0, 0)] * len(dates))
        for k in range(len(dates)):
            total, trained_count, no_req = values[3 * k:3 * k + 3]
            old = per_date[k]
            per_date[k] = (old[0] + total, old[1] + trained_count, old[2] + no_req)
    return result


# --- the report ----------------------------------------------------------------------


@dataclass
class Absorbed:
    unit_code: str
    unit_name: str
    on: date

    def as_json(self) -> dict[str, str]:
        return {"unit_code": self.unit_code, "unit_name": self.unit_name,
                "on": self.on.isoformat()}


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
    # Units merged into this one (shown on the page and in the exports).
    absorbed: list[Absorbed] = field(default_factory=list)
    # What the trained officials of the subtree rest on (compliance_report(evidence=True);
    # None until asked): a required course held only through a declared classroom record,
    # else one held only through a verified record; the rest are online.
    trained_declared: int | None = None
    trained_verified: int | None = None

    @property
    def percent_trained(self) -> Decimal:
        return percent(self.officials_trained, self.officials_total)

    @property
    def officials_remaining(self) -> int:
        return self.officials_total - self.officials_trained

    @property
    def meets_target(self) -> bool:
        return self.officials_total > 0 and self.percent_trained >= self.target_percent

    @property
    def trained_online(self) -> int | None:
        if self.trained_declared is None or self.trained_verified is None:
            return None
        return self.officials_trained - self.trained_declared - self.trained_verified

    @property
    def declared_percent(self) -> Decimal | None:
        """The share of the trained officials that rests on declared records."""
        if self.trained_declared is None:
            return None
        return percent(self.trained_declared, self.officials_trained)

    @property
    def declared_warning(self) -> bool:
        share = self.declared_percent
        return share is not None and share > DECLARED_WARNING_PERCENT

    def as_json(self) -> dict[str, Any]:
        shares = {} if self.trained_declared is None else {
            "trained_verified": self.trained_verified,
            "trained_declared": self.trained_declared,
            "trained_online": self.trained_online,
            "declared_percent": float(self.declared_percent),
        }
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
            "absorbed": [a.as_json() for a in self.absorbed],
            **shares,
        }


@dataclass
class ComplianceReport:
    as_of: date
    cycle: str
    root: ReportRow
    rows: list[ReportRow] = field(default_factory=list)  # the root first, tree order
    structure: str = "as-of"
    # Whether the rows carry their verified / declared / online split (evidence=True).
    has_evidence_shares: bool = False
    # Whether declared (unverified) classroom records counted (LMS_COUNT_DECLARED_TRAINING).
    declared_counted: bool = True

    @property
    def no_requirement(self) -> int:
        return self.root.no_requirement


class StructureError(LookupError):
    """The unit asked for has no tree in the structure asked for (translated message)."""


@dataclass
class _Layout:
    """The units of one report and where each official's unit of D is counted."""

    order: list[int]  # report rows, depth first
    states: dict[int, UnitState]  # name, level and parent shown for each row
    depth: dict[int, int]
    counted_in: dict[int, int]  # unit of D -> row (itself as-of; its successor restated)


def _layout(history: UnitHistory, root_id: int, tree_day: date, structure: str,
            today: date) -> _Layout:
    tree = history.tree_on(tree_day)
    children: dict[int | None, list[int]] = {}
    for unit_id, state in tree.items():
        children.setdefault(state.parent_id, []).append(unit_id)
    for siblings in children.values():
        siblings.sort(key=lambda u: (tree[u].level != "department", tree[u].level,
                                     tree[u].name, history.units[u].code))
    order, depth, stack = [], {root_id: 0}, [root_id]
    while stack:  # depth-first, parents before children
        unit_id = stack.pop()
        order.append(unit_id)
        for child in children.get(unit_id, []):
            depth[child] = depth[unit_id] + 1
        stack.extend(reversed(children.get(unit_id, [])))
    in_report = set(order)
    if structure == "as-of":
        counted_in = {u: u for u in order}
    else:
        counted_in = {}
        for unit_id in history.units:
            successor = history.successor(unit_id, today)
            if successor in in_report:
                counted_in[unit_id] = successor
    return _Layout(order, {u: tree[u] for u in order}, depth, counted_in)


def _root_id(history: UnitHistory, scope: Unit | None, day: date) -> int:
    if scope is not None:
        return scope.id
    roots = sorted((u for u, s in history.tree_on(day).items() if s.parent_id is None),
                   key=lambda u: history.units[u].code)
    if not roots:
        raise LookupError("no units yet")
    return roots[0]


def compliance_reports(scope: Unit | None, dates: list[date], cycle: str = "all",
                       structure: str = "as-of", today: date | None = None,
                       history: UnitHistory | None = None, evidence: bool = False
                       ) -> list[ComplianceReport]:
    """The report for every date in ``dates`` (set-based: one aggregate query per call,
    or one per date for a single date).

    ``as-of``: each date's own tree, officials under their unit of that date.
    ``current`` (restated): today's tree, each official of the date counted under
    the unit that carries their unit of that date today, through merges.
    """
    if structure not in STRUCTURES:
        raise ValueError(f"structure must be one of {STRUCTURES}")
    today = today or local_today()
    history = history or UnitHistory.load()
    layouts: list[_Layout] = []
    for as_of in dates:
        tree_day = as_of if structure == "as-of" else today
        root_id = _root_id(history, scope, tree_day)
        record = history.units[root_id]
        if not record.exists_on(tree_day):
            raise StructureError(_absent(record, tree_day, structure))
        if structure == "current" and layouts:
            layouts.append(layouts[0])  # today's tree for every date
        else:
            layouts.append(_layout(history, root_id, tree_day, structure, today))
    wanted = set().union(*(layout.counted_in for layout in layouts))
    # Every unit of the history counts in this report (the whole province, restated; or
    # its one date): no filter at all reads faster than a list of every unit.
    everything = wanted >= history.units.keys() or (
        scope is None and structure == "as-of" and len(dates) == 1)
    counts = unit_counts(dates, cycle, None if everything else wanted, history, evidence)
    absorbed = history.absorbed(today if structure == "current" else max(dates) +
                                timedelta(days=1))
    reports = []
    for k, as_of in enumerate(dates):
        layout = layouts[k]
        shown_absorbed = history.absorbed(today if structure == "current"
                                          else as_of + timedelta(days=1)) if k else absorbed
        rows: dict[int, ReportRow] = {}
        for unit_id in layout.order:
            state = layout.states[unit_id]
            parent = state.parent_id
            rows[unit_id] = ReportRow(
                unit_id=unit_id, unit_code=history.units[unit_id].code, unit_name=state.name,
                level=state.level,
                parent_code=history.units[parent].code if parent is not None else None,
                depth=layout.depth[unit_id], target_percent=target_for(state.level),
                absorbed=[Absorbed(r.code, r.last.name, on)
                          for r, on in shown_absorbed.get(unit_id, [])])
        if evidence:
            for row in rows.values():
                row.trained_declared = row.trained_verified = 0
        for unit_id, per_date in counts.items():
            target = layout.counted_in.get(unit_id)
            if target is None:
                continue
            total, trained, no_req, *split = per_date[k]
            row = rows[target]
            row.own_total += total
            row.own_trained += trained
            row.no_requirement += no_req
            if evidence:
                row.trained_declared += split[0]
                row.trained_verified += split[1]
        for row in rows.values():
            row.officials_total, row.officials_trained = row.own_total, row.own_trained
        root_id = layout.order[0]
        for unit_id in reversed(layout.order):  # children before parents
            parent = layout.states[unit_id].parent_id
            if unit_id != root_id and parent in rows:
                rows[parent].officials_total += rows[unit_id].officials_total
                rows[parent].officials_trained += rows[unit_id].officials_trained
                rows[parent].no_requirement += rows[unit_id].no_requirement
                if evidence:
                    rows[parent].trained_declared += rows[unit_id].trained_declared
                    rows[parent].trained_verified += rows[unit_id].trained_verified
        ordered = [rows[u] for u in layout.order]
        reports.append(ComplianceReport(
            as_of, cycle, ordered[0], ordered, structure, has_evidence_shares=evidence,
            declared_counted="declared" in counted_statuses()))
    return reports


def _absent(record, day: date, structure: str) -> str:
    if record.valid_from is not None and record.valid_from > day:
        return _("Đơn vị %(c)s thành lập từ ngày %(d)s, chưa có vào ngày %(day)s. Hãy xem theo "
                 "cơ cấu hiện nay.", c=record.code, d=record.valid_from.strftime("%d/%m/%Y"),
                 day=day.strftime("%d/%m/%Y"))
    return _("Đơn vị %(c)s đã ngừng hoạt động từ ngày %(d)s. Hãy xem báo cáo của đơn vị tiếp "
             "nhận.", c=record.code,
             d=(record.valid_to + timedelta(days=1)).strftime("%d/%m/%Y"))


def compliance_report(scope: Unit | None, as_of: date, cycle: str = "all",
                      structure: str = "as-of", today: date | None = None,
                      evidence: bool = False) -> ComplianceReport:
    """The report of ``scope`` on ``as_of``; ``evidence`` also fills each row's split of
    its trained officials (verified / declared / online: the report page and the XLSX
    and JSON exports ask for it, the plain indicator does not pay for it)."""
    return compliance_reports(scope, [as_of], cycle, structure, today,
                              evidence=evidence)[0]


def month_ends(as_of: date, months: int = 12) -> list[date]:
    """The last ``months`` month ends up to ``as_of`` (as_of itself last)."""
    ends = []
    current = as_of.replace(day=1) - timedelta(days=1)
    for _i in range(months - 1):
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


def _scope_layout(scope: Unit | None, as_of: date, structure: str, today: date
                  ) -> tuple[UnitHistory, _Layout | None]:
    """The report layout of ``scope`` on ``as_of`` in ``structure``; None where the unit
    has no tree in that structure (not yet created, or ended)."""
    history = UnitHistory.load()
    tree_day = as_of if structure == "as-of" else today
    root_id = _root_id(history, scope, tree_day)
    if not history.units[root_id].exists_on(tree_day):
        return history, None
    return history, _layout(history, root_id, tree_day, structure, today)


def untrained_officials(scope: Unit | None, as_of: date, cycle: str = "all",
                        limit: int | None = None, offset: int = 0, structure: str = "as-of",
                        today: date | None = None,
                        due_within: tuple[date, date] | None = None,
                        ) -> Iterator[UntrainedOfficial]:
    """Active officials of the subtree not trained on ``as_of``, streamed by unit and
    name, each under their unit of that date (as-of) or its successor (current).

    An official with no required course is listed with no missing course.
    ``due_within=(start, end)`` keeps only officials with a course whose due date
    falls in ``[start, end)`` (read in SQL from the requirement's start): the
    managers' digest asks for those who became overdue this week.
    """
    today = today or local_today()
    history, layout = _scope_layout(scope, as_of, structure, today)
    if layout is None:
        return
    shown = {u: (history.units[target].code, layout.states[target].name)
             for u, target in layout.counted_in.items()}
    courses = courses_with_rules()
    required = _required(courses, history, as_of)
    since = {c.id: aliased(Requirement, name=f"req_{c.id}") for c in courses}
    columns: list[Any] = [Official.id, Official.employee_code, Official.full_name,
                          OfficialPeriod.position, OfficialPeriod.unit_id]
    for course in courses:
        # "missing" = required and not held; computed in SQL so Python only formats.
        missing = and_(required[course.id], not_(_holds(course, as_of, cycle)))
        columns += [case((missing, 1), else_=0), since[course.id].since]
    statement = (
        select(*columns).select_from(OfficialPeriod)
        .join(Official, Official.id == OfficialPeriod.official_id)
        .where(_counted_on(as_of), _in_units(layout.counted_in),
               not_(_trained_exists(courses, required, as_of, cycle)))
    )
    for course in courses:
        alias = since[course.id]
        statement = statement.outerjoin(alias, and_(alias.official_id == Official.id,
                                                    alias.course_id == course.id))
    if due_within is not None:
        start, end = due_within
        statement = statement.where(or_(false(), *(
            and_(since[c.id].since >= start - timedelta(days=c.due_days),
                 since[c.id].since < end - timedelta(days=c.due_days))
            for c in courses if c.due_days)))
    statement = statement.order_by(OfficialPeriod.unit_id, Official.sort_name, Official.id)
    if limit is not None:
        statement = statement.limit(limit).offset(offset)
    result = db.session.execute(statement.execution_options(yield_per=2000))
    for row in result.tuples():
        missing = []
        for index, course in enumerate(courses):
            if row[5 + 2 * index]:
                start = row[6 + 2 * index] or as_of
                due = start + timedelta(days=course.due_days) if course.due_days else None
                missing.append(MissingCourse(course, due, due is not None and as_of > due))
        code, name = shown[row[4]]
        yield UntrainedOfficial(row[0], row[1], row[2], code, name, row[3], missing)


def counted_officials(scope: Unit | None, as_of: date, cycle: str = "all",
                      structure: str = "as-of", today: date | None = None
                      ) -> Iterator[tuple[int, int, int, bool]]:
    """(official, their unit on ``as_of``, the report row they count in, trained) for
    every official the report of ``scope`` counts: what a frozen report keeps so a
    later live report can say who changed and why."""
    today = today or local_today()
    history, layout = _scope_layout(scope, as_of, structure, today)
    if layout is None:
        return
    courses = courses_with_rules()
    required = _required(courses, history, as_of)
    trained = _trained_exists(courses, required, as_of, cycle)
    statement = (
        select(OfficialPeriod.official_id, OfficialPeriod.unit_id, case((trained, 1), else_=0))
        .join(Official, Official.id == OfficialPeriod.official_id)
        .where(_counted_on(as_of), _in_units(layout.counted_in))
        .order_by(OfficialPeriod.official_id)
    )
    for official_id, unit_id, flag in db.session.execute(
            statement.execution_options(yield_per=5000)):
        yield official_id, unit_id, layout.counted_in[unit_id], bool(flag)
