"""Citizens' coverage per commune, and the roll-up by the units above.

A citizen of a commune (an account with the citizen role whose commune it is) is
**reached** when they completed a course for citizens online or attended an
in-person class. Coverage = reached ÷ the commune's adult population of the latest
year imported; the target is LMS_COVERAGE_TARGET_PERCENT (80 unless configured).

Set-based: the communes of a subtree, their reached citizens, their latest population
and their teams' activity are four statements however many communes and citizens
there are; the roll-up is summed in memory from the communes' rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask import current_app
from sqlalchemy import and_, func, or_, select, union

from lms.auth.models import User
from lms.community.models import ClassAttendance, CommunePopulation, CommunityClass, TeamMember
from lms.courses.models import Course
from lms.extensions import db
from lms.learning.models import Completion
from lms.org.models import Unit
from lms.util.time import local_today

HEADERS = ["Mã đơn vị", "Tên đơn vị", "Cấp", "Mã đơn vị cấp trên", "Số xã, phường",
           "Dân số trưởng thành", "Năm số liệu dân số", "Nguồn số liệu",
           "Người dân đã tiếp cận", "Trong đó: học trực tuyến", "Trong đó: dự lớp trực tiếp",
           "Tỷ lệ bao phủ (%)", "Chỉ tiêu (%)", "Còn thiếu", "Thành viên tổ",
           "Lớp trực tiếp đã tổ chức"]
KEYS = ["unit_code", "unit_name", "level", "parent_code", "communes", "adults",
        "population_year", "population_source", "citizens_reached", "reached_online",
        "reached_in_class", "percent_reached", "target_percent", "citizens_remaining",
        "team_members", "classes_held"]


def percent(part: int, whole: int | None) -> Decimal:
    if not whole:
        return Decimal("0.0")
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def target_percent() -> Decimal:
    return Decimal(str(current_app.config.get("LMS_COVERAGE_TARGET_PERCENT", 80)))


@dataclass
class CoverageRow:
    unit_id: int
    unit_code: str
    unit_name: str
    level: str
    parent_code: str | None
    depth: int
    is_commune: bool
    communes: int = 0
    adults: int | None = None  # None: no figure imported (a roll-up: none of its communes)
    population_year: int | None = None
    population_source: str = ""
    reached_online: int = 0
    reached_in_class: int = 0
    citizens_reached: int = 0
    team_members: int = 0
    classes_held: int = 0
    target: Decimal = Decimal("80")
    communes_without_figure: int = 0

    @property
    def percent_reached(self) -> Decimal:
        return percent(self.citizens_reached, self.adults)

    @property
    def citizens_remaining(self) -> int | None:
        if self.adults is None:
            return None
        needed = (Decimal(self.adults) * self.target / 100).quantize(Decimal("1"), ROUND_HALF_UP)
        return max(int(needed) - self.citizens_reached, 0)

    @property
    def meets_target(self) -> bool:
        return self.adults is not None and self.percent_reached >= self.target

    def values(self) -> list[Any]:
        return [self.unit_code, self.unit_name, self.level, self.parent_code or "",
                self.communes, self.adults, self.population_year, self.population_source,
                self.citizens_reached, self.reached_online, self.reached_in_class,
                self.percent_reached, self.target, self.citizens_remaining,
                self.team_members, self.classes_held]

    def as_json(self) -> dict[str, Any]:
        data = dict(zip(KEYS, self.values(), strict=True))
        data["percent_reached"] = float(self.percent_reached)
        data["target_percent"] = float(self.target)
        data["parent_code"] = self.parent_code
        data["population_source"] = self.population_source or None
        return data


@dataclass
class Coverage:
    root: Unit | None
    as_of: date
    target: Decimal
    rows: list[CoverageRow] = field(default_factory=list)  # roll-ups before their communes

    @property
    def total(self) -> CoverageRow | None:
        return self.rows[0] if self.rows else None


def _reached_people(as_of: date):
    """Who was reached online and who in a class, on or before ``as_of``."""
    online = (select(Completion.user_id.label("user_id"))
              .join(Course, Course.id == Completion.course_id)
              .where(Course.audiences.contains(" citizen "), Completion.completed_on <= as_of))
    in_class = (select(ClassAttendance.user_id.label("user_id"))
                .join(CommunityClass, CommunityClass.id == ClassAttendance.class_id)
                .where(CommunityClass.held_on <= as_of))
    return online, in_class


def coverage(scope: Unit | None, as_of: date | None = None) -> Coverage:
    """Coverage of the communes of ``scope``'s subtree (the province when None), one
    row for the scope (or the province), one for each unit between it and its communes
    that holds communes, and one for each commune."""
    as_of = as_of or local_today()
    target = target_percent()
    alive = or_(Unit.valid_to.is_(None), Unit.valid_to >= as_of)
    in_scope = Unit.path.startswith(scope.path) if scope is not None else True
    units = list(db.session.execute(
        select(Unit.id, Unit.code, Unit.name, Unit.level, Unit.parent_id, Unit.path)
        .where(alive, in_scope).order_by(Unit.path)))
    communes = {u.id: u for u in units if u.level == "commune"}
    commune_ids = select(Unit.id).where(Unit.level == "commune", alive, in_scope)

    # Reached citizens by commune, split by how (one statement).
    online, in_class = _reached_people(as_of)
    people = union(online, in_class).subquery()
    online_ids = online.subquery()
    class_ids = in_class.subquery()
    reached = {row.unit_id: row for row in db.session.execute(
        select(User.unit_id,
               func.count(func.distinct(User.id)).label("reached"),
               func.count(func.distinct(online_ids.c.user_id)).label("online"),
               func.count(func.distinct(class_ids.c.user_id)).label("in_class"))
        .select_from(User)
        .join(people, people.c.user_id == User.id)
        .outerjoin(online_ids, online_ids.c.user_id == User.id)
        .outerjoin(class_ids, class_ids.c.user_id == User.id)
        .where(User.role == "citizen", User.unit_id.in_(commune_ids))
        .group_by(User.unit_id))}

    # The latest population figure of each commune (one statement).
    latest = (select(CommunePopulation.unit_id, func.max(CommunePopulation.year).label("year"))
              .where(CommunePopulation.unit_id.in_(commune_ids))
              .group_by(CommunePopulation.unit_id).subquery())
    population = {p.unit_id: p for p in db.session.scalars(
        select(CommunePopulation).join(latest, and_(
            latest.c.unit_id == CommunePopulation.unit_id,
            latest.c.year == CommunePopulation.year)))}

    # The teams: members and classes held (one statement each).
    members = dict(db.session.execute(
        select(TeamMember.unit_id, func.count()).where(
            TeamMember.left_at.is_(None), TeamMember.unit_id.in_(commune_ids))
        .group_by(TeamMember.unit_id)).all())
    classes = dict(db.session.execute(
        select(CommunityClass.unit_id, func.count())
        .where(CommunityClass.unit_id.in_(commune_ids), CommunityClass.held_on <= as_of)
        .group_by(CommunityClass.unit_id)).all())

    by_id = {u.id: u for u in units}
    root_depth = (scope.path.count("/") - 2) if scope is not None else 0
    rows: dict[int, CoverageRow] = {}

    def row_for(unit) -> CoverageRow:
        if unit.id not in rows:
            parent = by_id.get(unit.parent_id)
            rows[unit.id] = CoverageRow(
                unit.id, unit.code, unit.name, unit.level, parent.code if parent else None,
                unit.path.count("/") - 2 - root_depth, unit.level == "commune", target=target)
        return rows[unit.id]

    for commune in communes.values():
        path_ids = [int(part) for part in commune.path.strip("/").split("/")]
        counted = reached.get(commune.id)
        figure = population.get(commune.id)
        for unit_id in path_ids:
            unit = by_id.get(unit_id)
            if unit is None:  # above the scope
                continue
            row = row_for(unit)
            row.communes += 1
            if counted is not None:
                row.citizens_reached += counted.reached
                row.reached_online += counted.online
                row.reached_in_class += counted.in_class
            row.team_members += members.get(commune.id, 0)
            row.classes_held += classes.get(commune.id, 0)
            if figure is not None:
                row.adults = (row.adults or 0) + figure.adults
                if row.is_commune:
                    row.population_year = figure.year
                    row.population_source = figure.source
            else:
                row.communes_without_figure += 1
    ordered = sorted(rows.values(), key=lambda r: by_id[r.unit_id].path)
    if scope is None:
        # The province as a whole: one total above its units.
        total = CoverageRow(0, "", "", "province", None, -1, False, target=target)
        for row in ordered:
            if row.depth == 0:
                total.communes += row.communes
                total.citizens_reached += row.citizens_reached
                total.reached_online += row.reached_online
                total.reached_in_class += row.reached_in_class
                total.team_members += row.team_members
                total.classes_held += row.classes_held
                total.communes_without_figure += row.communes_without_figure
                if row.adults is not None:
                    total.adults = (total.adults or 0) + row.adults
        if len([r for r in ordered if r.depth == 0]) != 1:
            ordered.insert(0, total)
    return Coverage(scope, as_of, target, ordered)


@dataclass
class MemberActivity:
    member: TeamMember
    classes_held: int
    people_reached: int


def team_activity(unit: Unit) -> list[MemberActivity]:
    """Each current member of the commune's team with the classes they held and the
    distinct people who attended them (one statement)."""
    held = (select(CommunityClass.helper_id.label("helper_id"),
                   func.count(func.distinct(CommunityClass.id)).label("classes"),
                   func.count(func.distinct(ClassAttendance.user_id)).label("people"))
            .outerjoin(ClassAttendance, ClassAttendance.class_id == CommunityClass.id)
            .where(CommunityClass.unit_id == unit.id)
            .group_by(CommunityClass.helper_id).subquery())
    rows = db.session.execute(
        select(TeamMember, func.coalesce(held.c.classes, 0), func.coalesce(held.c.people, 0))
        .outerjoin(held, held.c.helper_id == TeamMember.user_id)
        .where(TeamMember.unit_id == unit.id, TeamMember.left_at.is_(None))
        .order_by(TeamMember.team_role.desc(), TeamMember.full_name))
    return [MemberActivity(member, classes, people) for member, classes, people in rows]


def team_activity_rows(scope: Unit | None) -> list[dict[str, Any]]:
    """Every current member of the teams of a subtree with their activity, for the
    exports (one statement)."""
    held = (select(CommunityClass.helper_id.label("helper_id"),
                   func.count(func.distinct(CommunityClass.id)).label("classes"),
                   func.count(func.distinct(ClassAttendance.user_id)).label("people"))
            .outerjoin(ClassAttendance, ClassAttendance.class_id == CommunityClass.id)
            .group_by(CommunityClass.helper_id).subquery())
    query = (select(Unit.code, Unit.name, TeamMember.full_name, TeamMember.team_role,
                    func.coalesce(held.c.classes, 0), func.coalesce(held.c.people, 0))
             .join(Unit, Unit.id == TeamMember.unit_id)
             .outerjoin(held, held.c.helper_id == TeamMember.user_id)
             .where(TeamMember.left_at.is_(None)))
    if scope is not None:
        query = query.where(Unit.path.startswith(scope.path))
    return [{"unit_code": code, "unit_name": name, "full_name": full_name, "team_role": role,
             "classes_held": classes, "people_reached": people}
            for code, name, full_name, role, classes, people in db.session.execute(
                query.order_by(Unit.path, TeamMember.full_name))]
