"""The organisation over time (DESIGN.md, "Organisation over time").

Units and officials keep their values with the dates they held: ``unit_periods``
(name, level, parent) and ``official_periods`` (unit, category, position, leader,
IT officer, status). Both ends of a period are inclusive and None means open
("since always" / "still"). The columns of ``units`` and ``officials`` hold
today's values, so the pages about today read one row; :func:`apply_current`
brings them up to date after a dated change and each day (planned changes).

The unit history of a whole province is ~1,000 units and a few thousand
periods: it is read once per report into a :class:`UnitHistory` and walked in
Python. Official periods (100,000s) stay in SQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select, update

from lms.extensions import db
from lms.org.logic import recompute_paths, valid_on
from lms.org.models import PERIOD_FIELDS, Official, OfficialPeriod, Unit, UnitPeriod
from lms.org.signals import officials_left

STRUCTURES = ("as-of", "current")


def covers(valid_from: date | None, valid_to: date | None, day: date) -> bool:
    return (valid_from is None or valid_from <= day) and (valid_to is None or valid_to >= day)


def day_before(day: date) -> date:
    return day - timedelta(days=1)


@dataclass
class UnitState:
    """One period of a unit, in memory."""

    valid_from: date | None
    valid_to: date | None
    name: str
    level: str
    parent_id: int | None
    id: int | None = None  # the stored period's id (None: not written yet)


@dataclass
class UnitRecord:
    id: int
    code: str
    valid_from: date | None
    valid_to: date | None
    ended_by: str | None
    successor_id: int | None
    periods: list[UnitState] = field(default_factory=list)

    def exists_on(self, day: date) -> bool:
        return covers(self.valid_from, self.valid_to, day)

    def state_on(self, day: date) -> UnitState | None:
        for period in self.periods:
            if covers(period.valid_from, period.valid_to, day):
                return period
        return None

    @property
    def last(self) -> UnitState:
        return self.periods[-1]


def _sort_key(day: date | None) -> date:
    return day or date.min


class UnitHistory:
    """Every unit with its periods: the tree of any date, successors through merges."""

    def __init__(self, records: Iterable[UnitRecord]) -> None:
        self.units: dict[int, UnitRecord] = {r.id: r for r in records}
        self.by_code = {r.code: r for r in self.units.values()}
        for record in self.units.values():
            record.periods.sort(key=lambda p: _sort_key(p.valid_from))

    @classmethod
    def read(cls) -> UnitHistory:
        """A fresh copy from the database (to change: see UnitEditor)."""
        records = {
            unit_id: UnitRecord(unit_id, code, valid_from, valid_to, ended_by, successor_id)
            for unit_id, code, valid_from, valid_to, ended_by, successor_id in
            db.session.execute(select(Unit.id, Unit.code, Unit.valid_from, Unit.valid_to,
                                      Unit.ended_by, Unit.successor_id)).tuples()
        }
        for period_id, unit_id, valid_from, valid_to, name, level, parent_id in \
                db.session.execute(select(
                    UnitPeriod.id, UnitPeriod.unit_id, UnitPeriod.valid_from,
                    UnitPeriod.valid_to, UnitPeriod.name, UnitPeriod.level,
                    UnitPeriod.parent_id)).tuples():
            records[unit_id].periods.append(UnitState(
                valid_from, valid_to, name, level, parent_id, period_id))
        return cls(records.values())

    @classmethod
    def load(cls) -> UnitHistory:
        """The history as the database holds it now, shared read-only within a process:
        reports read it on every page, and it changes only when a units import or a
        unit change writes new periods (which changes the count or the newest id)."""
        # A fingerprint of everything read below, in one cheap aggregate: any import or
        # change of units moves at least one of these figures.
        stamp = tuple(db.session.execute(select(
            func.count(UnitPeriod.id), func.max(UnitPeriod.id),
            func.sum(func.length(UnitPeriod.name) * UnitPeriod.id),
            func.sum(UnitPeriod.parent_id * UnitPeriod.id), func.sum(UnitPeriod.unit_id),
            func.count(UnitPeriod.valid_from), func.max(UnitPeriod.valid_from),
            func.count(UnitPeriod.valid_to), func.max(UnitPeriod.valid_to),
            func.sum(func.length(UnitPeriod.level) * UnitPeriod.id),
            select(func.count(Unit.id), ).scalar_subquery(),
            select(func.count(Unit.valid_to)).scalar_subquery(),
            select(func.sum(Unit.successor_id)).scalar_subquery())).one())
        cache = current_app.extensions.setdefault("lms_unit_history", {})
        if cache.get("stamp") == stamp:
            return cache["history"]
        history = cls.read()
        cache.update(stamp=stamp, history=history)
        return history

    # --- one date's tree ---------------------------------------------------------------

    def tree_on(self, day: date) -> dict[int, UnitState]:
        """{unit_id: its state on ``day``} for the units that exist on ``day`` (remembered:
        callers must not change it)."""
        memo = self.__dict__.setdefault("_trees", {})
        if day in memo:
            return memo[day]
        tree = {}
        for record in self.units.values():
            if record.exists_on(day):
                state = record.state_on(day)
                if state is not None:
                    tree[record.id] = state
        if len(memo) > 64:
            memo.clear()
        memo[day] = tree
        return tree

    def subtree_on(self, root_id: int, day: date) -> list[int]:
        """The ids of ``root_id`` and its descendants on ``day``, depth first."""
        tree = self.tree_on(day)
        if root_id not in tree:
            return []
        children: dict[int | None, list[int]] = {}
        for unit_id, state in tree.items():
            children.setdefault(state.parent_id, []).append(unit_id)
        order, stack = [], [root_id]
        while stack:
            unit_id = stack.pop()
            order.append(unit_id)
            stack.extend(children.get(unit_id, []))
        return order

    def children_on(self, day: date) -> dict[int | None, list[int]]:
        children: dict[int | None, list[int]] = {}
        for unit_id, state in self.tree_on(day).items():
            children.setdefault(state.parent_id, []).append(unit_id)
        return children

    # --- successors --------------------------------------------------------------------

    def successor(self, unit_id: int, today: date) -> int:
        """The unit that carries ``unit_id`` on ``today``: itself while it exists, else
        the unit it was merged into (or, once abolished, its parent then), followed
        through further merges. Changes planned after today do not count."""
        seen = set()
        current = unit_id
        while current not in seen:
            seen.add(current)
            record = self.units[current]
            if record.valid_to is None or record.valid_to >= today:
                return current
            nxt = record.successor_id
            if nxt is None and record.periods:
                nxt = record.last.parent_id
            if nxt is None:
                return current
            current = nxt
        return current

    def absorbed(self, today: date) -> dict[int, list[tuple[UnitRecord, date]]]:
        """{unit: [(a unit merged into it, the day the merge took effect)]} for merges in
        effect on ``today`` (``date.max``: planned ones too)."""
        result: dict[int, list[tuple[UnitRecord, date]]] = {}
        for record in self.units.values():
            if (record.ended_by == "merged" and record.successor_id is not None
                    and record.valid_to is not None and record.valid_to < today):
                result.setdefault(record.successor_id, []).append(
                    (record, record.valid_to + timedelta(days=1)))
        for merged in result.values():
            merged.sort(key=lambda pair: (pair[1], pair[0].code))
        return result


# --- today's values in the units and officials rows ------------------------------------


def apply_current(today: date) -> tuple[int, int]:
    """Copy the periods valid on ``today`` into the units and officials rows (what
    every page about today reads), including planned changes whose day has come.
    Returns how many units and officials changed. Set-based; flushes."""
    history = UnitHistory.load()
    unit_rows = {row.id: row for row in db.session.execute(
        select(Unit.id, Unit.name, Unit.level, Unit.parent_id))}
    unit_changes = []
    for record in history.units.values():
        state = record.state_on(today) if record.exists_on(today) else None
        if state is None:  # ended (its last values) or not yet created (its first)
            if not record.periods:
                continue
            future = record.valid_from is not None and record.valid_from > today
            state = record.periods[0] if future else record.last
        row = unit_rows[record.id]
        if (row.name, row.level, row.parent_id) != (state.name, state.level, state.parent_id):
            unit_changes.append({"id": record.id, "name": state.name, "level": state.level,
                                 "parent_id": state.parent_id})
    if unit_changes:
        db.session.execute(update(Unit), unit_changes)
        db.session.flush()
        recompute_paths()

    # Officials: the period valid today (one who joins later keeps their first values).
    period_columns = [getattr(OfficialPeriod, name) for name in PERIOD_FIELDS]
    current_columns = [getattr(Official, name) for name in PERIOD_FIELDS]
    chosen = (
        select(Official.id, Official.left_on, *current_columns, OfficialPeriod.valid_from,
               *[c.label(f"p_{c.key}") for c in period_columns])
        .join(OfficialPeriod, OfficialPeriod.official_id == Official.id)
        .where(valid_on(OfficialPeriod.valid_from, OfficialPeriod.valid_to, today))
    )
    official_changes: list[dict[str, Any]] = []
    for row in db.session.execute(chosen):
        wanted = {name: getattr(row, f"p_{name}") for name in PERIOD_FIELDS}
        wanted["left_on"] = row.valid_from if wanted["status"] == "left" else None
        have = {name: getattr(row, name) for name in PERIOD_FIELDS}
        have["left_on"] = row.left_on
        if wanted != have:
            official_changes.append({"id": row.id, **wanted})
    for start in range(0, len(official_changes), 5000):
        db.session.execute(update(Official), official_changes[start:start + 5000])
    db.session.flush()
    left = [c["id"] for c in official_changes if c["status"] == "left"]
    if left:  # a leaving planned for today (lms.auth.leavers ends their roles)
        officials_left.send(None, official_ids=left)
    return len(unit_changes), len(official_changes)


def official_timeline(official_id: int) -> list[OfficialPeriod]:
    return list(db.session.scalars(
        select(OfficialPeriod).where(OfficialPeriod.official_id == official_id)
        .order_by(OfficialPeriod.valid_from.is_not(None), OfficialPeriod.valid_from)))


# --- changing the unit history (imports) ---------------------------------------------


class HistoryError(ValueError):
    """A change that the history cannot take; the message says why (translated)."""


class UnitEditor(UnitHistory):
    """A UnitHistory that records changes in memory and writes them at the end, so a
    whole file is checked before anything is stored. New units get negative ids
    until :meth:`save`."""

    def __init__(self, records: Iterable[UnitRecord]) -> None:
        super().__init__(records)
        self.dirty: set[int] = set()
        self._next_id = -1

    @classmethod
    def load(cls) -> UnitEditor:
        return cls(UnitHistory.read().units.values())

    def tree_on(self, day: date) -> dict[int, UnitState]:
        """Never remembered here: an editor's tree changes with every change."""
        self.__dict__.pop("_trees", None)
        return super().tree_on(day)

    def create(self, code: str, name: str, level: str, parent_id: int | None,
               day: date | None) -> UnitRecord:
        record = UnitRecord(self._next_id, code, day, None, None, None,
                            [UnitState(day, None, name, level, parent_id)])
        self._next_id -= 1
        self.units[record.id] = record
        self.by_code[code] = record
        self.dirty.add(record.id)
        return record

    def latest_start(self, record: UnitRecord) -> date | None:
        return record.last.valid_from if record.periods else record.valid_from

    def change(self, record: UnitRecord, day: date, **values: Any) -> None:
        """From ``day`` on, the unit's name/level/parent are ``values``. ``day`` must not
        lie before the start of its last period (checked by the caller)."""
        last = record.last
        if all(getattr(last, k) == v for k, v in values.items()):
            return
        if last.valid_from == day:
            for key, value in values.items():
                setattr(last, key, value)
        else:
            new = UnitState(day, last.valid_to, last.name, last.level, last.parent_id)
            for key, value in values.items():
                setattr(new, key, value)
            last.valid_to = day_before(day)
            record.periods.append(new)
        self.dirty.add(record.id)

    def end(self, record: UnitRecord, day: date, how: str, successor_id: int | None) -> None:
        """The unit's last day is the day before ``day``."""
        record.valid_to = day_before(day)
        record.ended_by, record.successor_id = how, successor_id
        record.periods[-1].valid_to = record.valid_to
        self.dirty.add(record.id)

    def save(self) -> dict[int, int]:
        """Write every changed unit and its periods; returns {temporary id: real id}."""
        real: dict[int, int] = {}
        for temp_id in sorted((i for i in self.dirty if i < 0), reverse=True):  # file order
            record = self.units[temp_id]
            unit = Unit(code=record.code, name=record.last.name, level=record.last.level,
                        path="/")
            db.session.add(unit)
            db.session.flush()
            real[temp_id] = unit.id
        for record in list(self.units.values()):
            if record.id < 0:
                del self.units[record.id]
                record.id = real[record.id]
                self.units[record.id] = record
        for record in self.units.values():
            for period in record.periods:
                if period.parent_id is not None and period.parent_id < 0:
                    period.parent_id = real[period.parent_id]
            if record.successor_id is not None and record.successor_id < 0:
                record.successor_id = real[record.successor_id]
        dirty = {real.get(i, i) for i in self.dirty}
        if dirty:
            db.session.execute(update(Unit), [
                {"id": i, "valid_from": self.units[i].valid_from,
                 "valid_to": self.units[i].valid_to, "ended_by": self.units[i].ended_by,
                 "successor_id": self.units[i].successor_id} for i in sorted(dirty)])
            db.session.execute(UnitPeriod.__table__.delete().where(
                UnitPeriod.unit_id.in_(sorted(dirty))))
            db.session.execute(UnitPeriod.__table__.insert(), [
                {"unit_id": i, "valid_from": p.valid_from, "valid_to": p.valid_to,
                 "name": p.name, "level": p.level, "parent_id": p.parent_id}
                for i in sorted(dirty) for p in self.units[i].periods])
        self.dirty.clear()
        db.session.flush()
        return real

    def cycle_on(self, unit_id: int, parent_id: int | None, day: date) -> list[str] | None:
        """The chain of codes if ``unit_id`` under ``parent_id`` makes a cycle on ``day``."""
        tree = self.tree_on(day)
        chain, current, seen = [self.units[unit_id].code], parent_id, {unit_id}
        while current is not None:
            chain.append(self.units[current].code)
            if current in seen:
                return chain
            seen.add(current)
            state = tree.get(current)
            current = state.parent_id if state is not None else None
        return None


@dataclass
class UnitStory:
    """What a unit's page says of its past and planned changes."""

    periods: list[tuple[UnitState, str | None]]  # each period with its parent's code
    ended: tuple[str, date, UnitRecord | None] | None  # how, from which day, successor
    absorbed: list[tuple[UnitRecord, date]]
    today: date

    @property
    def worth_showing(self) -> bool:
        return len(self.periods) > 1 or self.ended is not None or bool(self.absorbed) or any(
            p.valid_from is not None for p, _code in self.periods)


def unit_story(unit_id: int, today: date) -> UnitStory:
    history = UnitHistory.load()
    record = history.units[unit_id]
    periods = [(p, history.units[p.parent_id].code if p.parent_id in history.units else None)
               for p in record.periods]
    ended = None
    if record.valid_to is not None:
        successor = history.units.get(record.successor_id) if record.successor_id else None
        ended = (record.ended_by or "abolished", record.valid_to + timedelta(days=1), successor)
    absorbed = history.absorbed(date.max)  # planned merges too: the page marks them
    return UnitStory(periods, ended, absorbed.get(unit_id, []), today)
