"""Two small files of the commune teams, read like the other imports (parse → scope →
diff → write, all or nothing, errors by row and column; lms/org/tabular.py):

- the attendance sheet of in-person classes: one row a person at a class
  (date, place, course or topic, phone number or ID number); rows with the same
  date, place and course/topic are one class;
- the adult population of communes: unit code, year, adults, source (each year is
  kept: a second file for the same year replaces that year's figure).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import insert, select, update

from lms.audit import logic as audit
from lms.auth.models import User
from lms.community import signals
from lms.community.logic import ClassPlan, find_course, people_of, person_key, write_class
from lms.community.models import ClassAttendance, CommunePopulation, CommunityClass
from lms.extensions import db
from lms.org.imports import Change, ImportResult, _Row, open_rows
from lms.org.logic import is_within
from lms.org.models import Unit
from lms.org.tabular import CellError, Column, parse_date, text
from lms.util.time import local_today, utcnow

ATTENDANCE_COLUMNS = [
    Column("held_on", "Ngày học", ("ngay", "date", "ngay_hoc", "held_on"), required=True),
    Column("place", "Địa điểm", ("dia_diem", "place", "noi_hoc")),
    Column("course", "Khóa học", ("khoa_hoc", "course", "ma_khoa_hoc")),
    Column("topic", "Chủ đề", ("chu_de", "topic", "noi_dung")),
    Column("phone", "Số điện thoại", ("sdt", "dien_thoai", "phone", "so_dien_thoai")),
    Column("citizen_id", "Số CCCD", ("cccd", "so_dinh_danh", "citizen_id", "can_cuoc",
                                     "so_can_cuoc")),
    Column("full_name", "Họ và tên", ("ho_ten", "ten", "name", "full_name")),
]
POPULATION_COLUMNS = [
    Column("unit_code", "Mã đơn vị", ("ma_don_vi", "unit_code", "ma_xa"), required=True),
    Column("year", "Năm", ("nam", "year"), required=True),
    Column("adults", "Số người trưởng thành", ("dan_so_truong_thanh", "adults",
                                              "so_nguoi_tu_18_tuoi", "dan_so_tu_18_tuoi",
                                              "nguoi_truong_thanh"), required=True),
    Column("source", "Nguồn số liệu", ("nguon", "source"), required=True),
]
COLUMNS = {"attendance": ATTENDANCE_COLUMNS, "population": POPULATION_COLUMNS}
KINDS = tuple(COLUMNS)


def _rows(kind: str, filename: str, data: bytes, result: ImportResult):
    return open_rows(COLUMNS[kind], filename, data, result)


# --- attendance ----------------------------------------------------------------------

@dataclass
class _Class:
    rows: list[int] = field(default_factory=list)
    plan: ClassPlan | None = None
    seen: dict[int, int] = field(default_factory=dict)  # user id -> first row


def import_attendance(filename: str, data: bytes, *, unit: Unit, helper: User,
                      dry_run: bool = False, today: date | None = None) -> ImportResult:
    """Classes of ``unit`` from an attendance sheet; nothing is written unless every row
    is right (unknown course, a date to come, a person twice in a class, a number that
    is no citizen of the commune: each refused with its row)."""
    today = today or local_today()
    result = ImportResult("attendance")
    rows = _rows("attendance", filename, data, result)
    if rows is None:
        return result
    read: list[tuple[_Row, date, str, Any, str, str]] = []
    courses: dict[str, Any] = {}
    for row in rows:
        result.rows += 1
        held_on = row.get("held_on", parse_date)
        if held_on is None and not row.failed:
            row.fail("held_on", _("bắt buộc, không được để trống"))
        elif held_on is not None and held_on > today:
            row.fail("held_on", _("ngày %(d)s chưa tới: chỉ ghi lớp đã học",
                                  d=held_on.strftime("%d/%m/%Y")))
        place = text(row.raw("place"))[:255]
        course_text = text(row.raw("course"))
        topic = text(row.raw("topic"))[:255]
        course = None
        if course_text:
            if course_text not in courses:
                courses[course_text] = find_course(course_text)
            course = courses[course_text]
            if course is None:
                row.fail("course", _("không có khóa học '%(c)s'", c=course_text))
        elif not topic:
            row.fail("course", _("cần khóa học hoặc chủ đề"))
        key = person_key(text(row.raw("citizen_id"))) or person_key(text(row.raw("phone")))
        if not key:
            row.fail("phone", _("cần số điện thoại hoặc số CCCD của người học"))
        if not row.failed:
            read.append((row, held_on, place, course, topic, key))
    # Scope: the people must be citizens of this commune (one statement for the file).
    found = people_of(unit, [r[5] for r in read])
    classes: dict[tuple, _Class] = defaultdict(_Class)
    for row, held_on, place, course, topic, key in read:
        user_id = found.get(key)
        if user_id is None:
            column = "citizen_id" if text(row.raw("citizen_id")) else "phone"
            row.fail(column, _("không có người dân nào của %(u)s với số '%(k)s'",
                               u=unit.name, k=key))
            continue
        group = classes[(held_on, place.lower(), course.id if course else None, topic.lower())]
        if group.plan is None:
            group.plan = ClassPlan(held_on, place, course, topic or None)
        if user_id in group.seen:
            row.fail("phone" if not text(row.raw("citizen_id")) else "citizen_id",
                     _("trùng người với dòng %(m)d (cùng lớp)", m=group.seen[user_id]))
            continue
        group.seen[user_id] = row.number
        group.rows.append(row.number)
        group.plan.user_ids.append(user_id)
    if not result.ok:
        return result.discard_changes()
    # Diff: a class already recorded (same day, place, course or topic) gains only the
    # people it did not have, so a sheet imported twice adds nothing (two statements).
    stored = {}
    if classes:
        for held in db.session.scalars(select(CommunityClass).where(
                CommunityClass.unit_id == unit.id,
                CommunityClass.held_on.in_({key[0] for key in classes}))):
            stored[(held.held_on, held.place.lower(), held.course_id,
                    (held.topic or "").lower())] = held
    present = set(db.session.execute(
        select(ClassAttendance.class_id, ClassAttendance.user_id).where(
            ClassAttendance.class_id.in_([c.id for c in stored.values()]))).tuples()) \
        if stored else set()
    writes = []
    people = 0
    for key, group in classes.items():
        plan = group.plan
        what = plan.course.title if plan.course else plan.topic
        held = stored.get(key)
        if held is not None:
            plan.user_ids = [u for u in plan.user_ids if (held.id, u) not in present]
        action = "created" if held is None else ("updated" if plan.user_ids else "unchanged")
        name = (_("%(what)s tại %(place)s: %(n)d người", what=what, place=plan.place or "—",
                  n=len(plan.user_ids)) if held is None else
                _("%(what)s tại %(place)s: thêm %(n)d người vào lớp đã ghi", what=what,
                  place=plan.place or "—", n=len(plan.user_ids)))
        result.add(Change(group.rows[0], plan.held_on.strftime("%d/%m/%Y"), action, name=name))
        people += len(plan.user_ids)
        if plan.user_ids:
            writes.append((held, plan))
    result.counts["people"] = people
    if dry_run:
        return result
    for held, plan in writes:
        if held is None:
            write_class(unit, helper, plan)
        else:
            db.session.add_all(ClassAttendance(class_id=held.id, user_id=user_id)
                               for user_id in plan.user_ids)
            db.session.flush()
            signals.attended_class.send(unit, class_id=held.id, user_ids=list(plan.user_ids))
    result.applied = True
    audit.record("import", target=f"attendance: {filename}", unit=unit,
                 detail={"kind": "attendance", "rows": result.rows,
                         "classes": len(classes)})
    return result


# --- population ----------------------------------------------------------------------

def _year(value: Any) -> int:
    raw = text(value)
    if not raw.isdigit() or not 2000 <= int(raw) <= 2100:
        raise CellError(_("'%(v)s' không phải là năm (ví dụ 2026)", v=raw))
    return int(raw)


def _count(value: Any) -> int:
    raw = text(value).replace(".", "").replace(",", "").replace(" ", "")
    if not raw.isdigit():
        raise CellError(_("'%(v)s' không phải là số người", v=text(value)))
    if int(raw) == 0:
        raise CellError(_("số người phải lớn hơn 0"))
    return int(raw)


def import_population(filename: str, data: bytes, *, scope: Unit | None = None,
                      dry_run: bool = False) -> ImportResult:
    """The adult population per commune and year; a commune outside ``scope`` (an HR
    officer's subtree) or not a commune is refused by row."""
    result = ImportResult("population")
    rows = _rows("population", filename, data, result)
    if rows is None:
        return result
    wanted: dict[tuple[int, int], tuple[int, dict[str, Any], Unit]] = {}
    read = []
    for row in rows:
        result.rows += 1
        code = row.required("unit_code", 64)
        year = row.get("year", _year)
        adults = row.get("adults", _count)
        source = row.required("source", 255)
        if not row.failed:
            read.append((row, code, year, adults, source))
    units = {u.code: u for u in db.session.scalars(
        select(Unit).where(Unit.code.in_({r[1] for r in read})))}
    for row, code, year, adults, source in read:
        unit = units.get(code)
        if unit is None or not is_within(unit.path, scope):
            row.fail("unit_code", _("không có đơn vị mã '%(c)s'%(where)s", c=code,
                                    where=_(" trong phạm vi của bạn") if scope else ""))
            continue
        if unit.level != "commune":
            row.fail("unit_code", _("'%(c)s' không phải là xã, phường", c=code))
            continue
        if (unit.id, year) in wanted:
            row.fail("unit_code", _("trùng với dòng %(m)d (cùng đơn vị, cùng năm)",
                                    m=wanted[(unit.id, year)][0]))
            continue
        wanted[(unit.id, year)] = (row.number, {"adults": adults, "source": source}, unit)
    if not result.ok:
        return result.discard_changes()
    stored = {(p.unit_id, p.year): p for p in db.session.scalars(
        select(CommunePopulation).where(
            CommunePopulation.unit_id.in_({k[0] for k in wanted})))}
    inserts, updates = [], []
    for (unit_id, year), (number, values, unit) in wanted.items():
        old = stored.get((unit_id, year))
        key = f"{unit.code} {year}"
        if old is None:
            result.add(Change(number, key, "created", name=unit.name))
            inserts.append({"unit_id": unit_id, "year": year, **values})
        elif (old.adults, old.source) != (values["adults"], values["source"]):
            changed = {label: (before, after) for label, before, after in (
                (_("Số người trưởng thành"), old.adults, values["adults"]),
                (_("Nguồn số liệu"), old.source, values["source"])) if before != after}
            result.add(Change(number, key, "updated", name=unit.name, fields=changed))
            updates.append({"id": old.id, **values, "imported_at": utcnow()})
        else:
            result.add(Change(number, key, "unchanged", name=unit.name))
    if dry_run:
        return result
    if inserts:
        db.session.execute(insert(CommunePopulation), inserts)
    if updates:
        db.session.execute(update(CommunePopulation), updates)
    db.session.flush()
    result.applied = True
    audit.record("import", target=f"population: {filename}", unit=scope,
                 detail={"kind": "population", "rows": result.rows, **result.counts})
    return result
