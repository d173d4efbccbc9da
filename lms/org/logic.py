"""Units: the tree, its materialised paths, and subtree scope."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, and_, func, or_, select, update

from lms.extensions import db
from lms.org.models import LEVELS, Official, Unit, UnitPeriod
from lms.util.text import fold
from lms.util.time import local_today


def create_unit(code: str, name: str, level: str, parent: Unit | None = None) -> Unit:
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}")
    unit = Unit(code=code, name=name, level=level, parent=parent)
    db.session.add(unit)
    db.session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    # One period for every date, as a unit of the plain units file.
    db.session.add(UnitPeriod(unit_id=unit.id, name=name, level=level,
                              parent_id=parent.id if parent else None))
    db.session.flush()
    return unit


def valid_on(valid_from, valid_to, day: date) -> ColumnElement[bool]:
    """SQL: the period [valid_from, valid_to] (None = open) contains ``day``."""
    return and_(or_(valid_from.is_(None), valid_from <= day),
                or_(valid_to.is_(None), valid_to >= day))


def exists_today(today: date) -> ColumnElement[bool]:
    """SQL: the unit exists on ``today`` (not merged, abolished or only planned)."""
    return valid_on(Unit.valid_from, Unit.valid_to, today)


def communes() -> list[Unit]:
    """Units a citizen or business may say they live or work in."""
    return list(
        db.session.scalars(select(Unit).where(Unit.level == "commune").order_by(Unit.name))
    )


def subtree_condition(unit: Unit, path_column=None) -> ColumnElement[bool]:
    """SQL for "in ``unit``'s subtree" as an indexed range on the materialised path.

    Paths are digits and "/", so every path below "/1/7/" sorts in
    ["/1/7/", "/1/70") ('0' follows '/'); the column uses the C collation on
    PostgreSQL so this holds there too.
    """
    column = Unit.path if path_column is None else path_column
    return and_(column >= unit.path, column < unit.path[:-1] + "0")


def is_within(unit_path: str, scope: Unit | None) -> bool:
    return scope is None or unit_path.startswith(scope.path)


def unit_by_code(code: str) -> Unit | None:
    return db.session.scalar(select(Unit).where(Unit.code == code))


def recompute_paths() -> int:
    """Rebuild every unit's path from parent links; returns how many changed."""
    rows = db.session.execute(select(Unit.id, Unit.parent_id, Unit.path)).all()
    parent = {row.id: row.parent_id for row in rows}
    old = {row.id: row.path for row in rows}
    new: dict[int, str] = {}

    def path_of(unit_id: int) -> str:
        if unit_id not in new:
            chain = []
            current: int | None = unit_id
            while current is not None and current not in new:
                chain.append(current)
                current = parent[current]
            prefix = new[current] if current is not None else "/"
            for node in reversed(chain):
                prefix = f"{prefix}{node}/"
                new[node] = prefix
        return new[unit_id]

    changes = [{"id": uid, "path": path_of(uid)} for uid in parent if path_of(uid) != old[uid]]
    if changes:
        db.session.execute(update(Unit), changes)
    return len(changes)


def ancestors(unit: Unit) -> list[Unit]:
    """The unit's ancestors from the root down (for breadcrumbs)."""
    ids = [int(part) for part in unit.path.strip("/").split("/")[:-1] if part]
    if not ids:
        return []
    found = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def children_with_counts(unit: Unit) -> list[tuple[Unit, int]]:
    """Child units with the number of active officials in each child's subtree."""
    from sqlalchemy.orm import aliased

    inner = aliased(Unit)
    counts = (
        select(Unit.id, func.count(Official.id))
        .select_from(Unit)
        .join(inner, inner.path.like(Unit.path.concat("%")))
        .join(Official, (Official.unit_id == inner.id) & (Official.status != "left"))
        .where(Unit.parent_id == unit.id)
        .group_by(Unit.id)
    )
    count_of = dict(db.session.execute(counts).tuples().all())
    children = db.session.scalars(
        select(Unit).where(Unit.parent_id == unit.id, exists_today(local_today()))
        .order_by(Unit.level, Unit.name))
    return [(child, count_of.get(child.id, 0)) for child in children]


def officials_in(unit: Unit, query: str = "", include_left: bool = False):
    """SELECT of the officials of ``unit``'s subtree, matching ``query`` without diacritics."""
    statement = (
        select(Official)
        .join(Unit, Unit.id == Official.unit_id)
        .where(subtree_condition(unit))
        .order_by(Unit.path, Official.sort_name, Official.id)  # Vietnamese name order
    )
    if not include_left:
        statement = statement.where(Official.status != "left")
    for word in fold(query).split()[:6]:
        statement = statement.where(
            Official.search_name.contains(word, autoescape=True)
            | Official.employee_code.contains(query.strip(), autoescape=True)
        )
    return statement


PER_PAGE = 50
MAX_PAGE = 1_000_000  # 50 million officials: past any roster
STATUS_FILTERS = ("overdue", "not_started", "in_progress", "done", "no_requirement")


class IdPage:
    """One page of officials from an ordered list of ids (same attributes as db.paginate)."""

    def __init__(self, ids: list[int], page: int, per_page: int) -> None:
        self.total = len(ids)
        self.pages = max((self.total + per_page - 1) // per_page, 1)
        self.page = min(max(page, 1), self.pages)
        chosen = ids[(self.page - 1) * per_page: self.page * per_page]
        found = {o.id: o for o in db.session.scalars(
            select(Official).where(Official.id.in_(chosen)))} if chosen else {}
        self.items = [found[i] for i in chosen]
        self.has_prev, self.has_next = self.page > 1, self.page < self.pages
        self.prev_num, self.next_num = self.page - 1, self.page + 1


def officials_page(unit: Unit, query: str, state: str, page_number: int, today: date):
    """One page of the subtree's officials (optionally only those whose overall
    status is ``state``) and the status of each official on the page."""
    from lms.learning.status import statuses  # learning builds on org, not the reverse
    listing = officials_in(unit, query)
    if state:
        # Status is computed, not stored: compute it for the subtree, then page.
        ids_query = listing.with_only_columns(Official.id)
        all_status = statuses(ids_query.order_by(None), today)
        ids = [i for i in db.session.scalars(ids_query) if all_status[i].overall == state]
        page = IdPage(ids, page_number, PER_PAGE)
    else:
        # Any page past the end is empty; the bound keeps OFFSET within every database's
        # integers (?page=10**30 would not fit).
        page = db.paginate(listing, page=min(page_number, MAX_PAGE), per_page=PER_PAGE,
                           error_out=False)
    page_ids = [o.id for o in page.items]
    status_of = statuses(page_ids, today) if page_ids else {}
    return page, status_of
