"""Dated changes to the units tree: create, rename, move, merge, abolish.

The unit changes file (DESIGN.md) has one change a row, applied in date order,
then row order, all or nothing. Every row is checked against the history as
the earlier rows of the file leave it (a merge may go into a unit that an
earlier row creates); only when the whole file is right are the units, their
periods and the officials moved by merges written.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, insert, select, update

from lms.extensions import db
from lms.org.history import UnitEditor, UnitRecord, apply_current, day_before, valid_on
from lms.org.imports import (
    IMPORTERS,
    LEVEL_HINT,
    LEVEL_WORDS,
    Change,
    ImportResult,
    _open,
    _Row,
    format_day,
)
from lms.org.models import PERIOD_FIELDS, OfficialPeriod, Unit
from lms.org.tabular import parse_choice, parse_date, text
from lms.util.time import local_today

ACTION_WORDS = {
    "create": "create", "thanh_lap": "create", "tao": "create", "tao_moi": "create",
    "rename": "rename", "doi_ten": "rename",
    "move": "move", "chuyen": "move", "chuyen_cap_tren": "move",
    "merge": "merge", "sap_nhap": "merge", "hop_nhat": "merge",
    "abolish": "abolish", "giai_the": "abolish",
}
ACTION_HINT = "Thành lập, Đổi tên, Chuyển, Sáp nhập, Giải thể"


@dataclass
class _Wanted:
    row: _Row
    number: int
    day: date
    action: str
    code: str
    name: str
    level: str | None
    parent_code: str
    into_code: str


def import_unit_changes(filename: str, data: bytes, *, scope: Unit | None = None,
                        dry_run: bool = False, today: date | None = None) -> ImportResult:
    """Apply a unit changes file; ``scope`` (a unit manager's unit) is refused: the
    province's structure is the province's to change."""
    today = today or local_today()
    result = ImportResult("unit_changes")
    if scope is not None and scope.parent_id is not None:
        result.error(_("chỉ quản trị cấp tỉnh được thay đổi cơ cấu đơn vị"))
        return result
    rows = _open("unit_changes", filename, data, result)
    if rows is None:
        return result
    wanted: list[_Wanted] = []
    action_label, level_label = _("thao tác"), _("cấp đơn vị")
    for row in rows:
        result.rows += 1
        day = row.get("effective_on", parse_date)
        if day is None and not row.failed:
            row.fail("effective_on", _("bắt buộc, không được để trống"))
        action = None
        if not text(row.raw("action")):
            row.fail("action", _("bắt buộc, không được để trống"))
        else:
            action = row.get("action", parse_choice, ACTION_WORDS, action_label, ACTION_HINT)
        code = row.required("unit_code", 64)
        name = text(row.raw("name"))
        level = None
        if text(row.raw("level")):
            level = row.get("level", parse_choice, LEVEL_WORDS, level_label, LEVEL_HINT)
        if len(name) > 255:
            row.fail("name", _("dài quá %(n)d ký tự", n=255))
        if row.failed:
            continue
        wanted.append(_Wanted(row, row.number, day, action, code, name, level,
                              text(row.raw("parent_code")), text(row.raw("into_code"))))
    # The rows that could be read are checked too, so one pass shows every problem.

    editor = UnitEditor.load()
    moves = _OfficialMoves(editor)
    wanted.sort(key=lambda w: (w.day, w.number))
    created_later = {w.code: w.day for w in reversed(wanted) if w.action == "create"}
    for w in wanted:
        _check_and_apply(w, editor, moves, result, today, created_later)
    if not result.ok:
        return result.discard_changes()
    if dry_run:
        return result
    real = editor.save()
    moves.write(real)
    apply_current(today)
    db.session.expire_all()
    result.applied = True
    return result


def _check_and_apply(w: _Wanted, editor: UnitEditor, moves: _OfficialMoves,
                     result: ImportResult, today: date, created_later: dict[str, date]) -> None:
    row = w.row
    record = editor.by_code.get(w.code)
    when = format_day(w.day)
    planned = _(" (dự kiến)") if w.day > today else ""

    def unknown(code: str, column: str) -> None:
        if code in created_later:  # created by a later row of this file
            row.fail(column, _("đơn vị %(c)s chỉ có từ ngày %(d)s", c=code,
                               d=format_day(created_later[code])))
        else:
            row.fail(column, _("không có đơn vị '%(c)s'", c=code))

    def exists(code: str, column: str) -> UnitRecord | None:
        other = editor.by_code.get(code)
        if other is None:
            unknown(code, column)
            return None
        if not other.exists_on(w.day):
            row.fail(column, _unit_absent(other, w.day))
            return None
        return other

    if w.action == "create":
        if record is not None:
            row.fail("unit_code", _("mã đơn vị %(c)s đã dùng (mã không được dùng lại)",
                                    c=w.code))
            return
        if not w.name:
            row.fail("name", _("bắt buộc khi thành lập đơn vị"))
        if w.level is None:
            row.fail("level", _("bắt buộc khi thành lập đơn vị"))
        if not w.parent_code:
            row.fail("parent_code", _("bắt buộc khi thành lập đơn vị"))
            return
        parent = exists(w.parent_code, "parent_code")
        if row.failed or parent is None:
            return
        editor.create(w.code, w.name, w.level, parent.id, w.day)
        result.add(Change(w.number, w.code, "created", name=f"{w.name}, {when}{planned}"))
        return

    if record is None:
        unknown(w.code, "unit_code")
        return
    if not record.exists_on(w.day):
        row.fail("unit_code", _unit_absent(record, w.day))
        return
    start = editor.latest_start(record)
    if start is not None and w.day <= start and w.action in ("rename", "move"):
        row.fail("effective_on", _("phải sau lần thay đổi gần nhất của đơn vị %(c)s (%(d)s)",
                                   c=w.code, d=format_day(start)))
        return
    state = record.state_on(w.day)
    if state is not None and state.parent_id is None and w.action != "rename":
        row.fail("unit_code", _("không thể chuyển, sáp nhập hay giải thể đơn vị gốc"))
        return

    if w.action == "rename":
        if not w.name:
            row.fail("name", _("bắt buộc khi đổi tên"))
            return
        old = record.last.name
        editor.change(record, w.day, name=w.name, **({"level": w.level} if w.level else {}))
        result.add(Change(w.number, w.code, "updated", {"name": (old, w.name)},
                          name=f"{when}{planned}"))
    elif w.action == "move":
        if not w.parent_code:
            row.fail("parent_code", _("bắt buộc khi chuyển đơn vị"))
            return
        parent = exists(w.parent_code, "parent_code")
        if parent is None:
            return
        cycle = editor.cycle_on(record.id, parent.id, w.day)
        if cycle:
            row.fail("parent_code", _("tạo thành vòng lặp: %(chain)s", chain=" → ".join(cycle)))
            return
        old_parent = editor.units[record.last.parent_id].code if record.last.parent_id else None
        editor.change(record, w.day, parent_id=parent.id)
        result.add(Change(w.number, w.code, "updated", {"parent_code": (old_parent, parent.code)},
                          name=f"{record.last.name}, {when}{planned}"))
    elif w.action == "merge":
        if not w.into_code:
            row.fail("into_code", _("bắt buộc khi sáp nhập"))
            return
        if w.into_code == w.code:
            row.fail("into_code", _("đơn vị không thể sáp nhập vào chính nó"))
            return
        into = exists(w.into_code, "into_code")
        if into is None:
            return
        if record.id in _ancestors(editor, into.id, w.day):
            row.fail("into_code", _("%(into)s là đơn vị cấp dưới của %(c)s",
                                    into=w.into_code, c=w.code))
            return
        if _starts_on(record, w.day):
            row.fail("effective_on", _("đơn vị %(c)s mới thành lập ngày %(d)s",
                                       c=w.code, d=when))
            return
        children = [u for u, s in editor.tree_on(w.day).items() if s.parent_id == record.id]
        for child_id in children:
            child = editor.units[child_id]
            child_start = editor.latest_start(child)
            if child_start is not None and child_start > w.day:
                row.fail("unit_code", _("đơn vị cấp dưới %(c)s có thay đổi sau ngày %(d)s",
                                        c=child.code, d=when))
                return
            editor.change(child, w.day, parent_id=into.id)
        moved = moves.merge(record.id, into.id, w.day)
        editor.end(record, w.day, "merged", into.id)
        result.add(Change(w.number, w.code, "merged", name=_(
            "%(name)s vào %(into)s từ %(d)s%(p)s: %(n)d cán bộ, %(k)d đơn vị cấp dưới chuyển "
            "theo", name=state.name if state else w.code, into=into.code, d=when, p=planned,
            n=moved, k=len(children))))
    elif w.action == "abolish":
        if _starts_on(record, w.day):
            row.fail("effective_on", _("đơn vị %(c)s mới thành lập ngày %(d)s",
                                       c=w.code, d=when))
            return
        children = [u for u, s in editor.tree_on(w.day).items() if s.parent_id == record.id]
        people = moves.active_on(record.id, w.day)
        if children or people:
            row.fail("unit_code", _(
                "còn %(n)d cán bộ đang công tác và %(k)d đơn vị cấp dưới vào ngày %(d)s; "
                "hãy sáp nhập (Sáp nhập vào) thay vì giải thể", n=people, k=len(children),
                d=when))
            return
        editor.end(record, w.day, "abolished", state.parent_id if state else None)
        result.add(Change(w.number, w.code, "abolished",
                          name=f"{state.name if state else ''}, {when}{planned}"))


def _starts_on(record: UnitRecord, day: date) -> bool:
    return record.valid_from is not None and record.valid_from >= day


def _ancestors(editor: UnitEditor, unit_id: int, day: date) -> set[int]:
    tree = editor.tree_on(day)
    found: set[int] = set()
    current = tree[unit_id].parent_id if unit_id in tree else None
    while current is not None and current not in found:
        found.add(current)
        current = tree[current].parent_id if current in tree else None
    return found


def _unit_absent(record: UnitRecord, day: date) -> str:
    if record.valid_from is not None and record.valid_from > day:
        return _("đơn vị %(c)s chỉ có từ ngày %(d)s", c=record.code,
                 d=format_day(record.valid_from))
    ended = record.valid_to + timedelta(days=1)
    if record.ended_by == "merged":
        return _("đơn vị %(c)s đã sáp nhập từ ngày %(d)s", c=record.code, d=format_day(ended))
    return _("đơn vị %(c)s đã giải thể từ ngày %(d)s", c=record.code, d=format_day(ended))


class _OfficialMoves:
    """Active officials per unit and date, as the stored roster plus the merges of the
    file so far; and the merges to write."""

    def __init__(self, editor: UnitEditor) -> None:
        self.editor = editor
        self.merges: list[tuple[int, int, date]] = []
        self.extra: dict[int, list[tuple[date, int]]] = defaultdict(list)

    def stored(self, unit_id: int, day: date) -> int:
        if unit_id < 0:
            return 0
        return db.session.scalar(select(func.count()).select_from(OfficialPeriod).where(
            OfficialPeriod.unit_id == unit_id, OfficialPeriod.status == "active",
            valid_on(OfficialPeriod.valid_from, OfficialPeriod.valid_to, day))) or 0

    def active_on(self, unit_id: int, day: date) -> int:
        moved_out = any(f == unit_id and d <= day for f, _into, d in self.merges)
        if moved_out:
            return 0
        return self.stored(unit_id, day) + sum(n for d, n in self.extra[unit_id] if d <= day)

    def merge(self, from_id: int, into_id: int, day: date) -> int:
        count = self.active_on(from_id, day)
        self.merges.append((from_id, into_id, day))
        self.extra[into_id].append((day, count))
        for d, n in self.extra[from_id]:
            if d > day:
                self.extra[into_id].append((d, n))
        return count

    def write(self, real: dict[int, int]) -> None:
        """Move the officials: from the merge's day, each active official of the merged
        unit belongs to the receiving unit (their period is split on that day)."""
        for from_id, into_id, day in self.merges:
            from_id, into_id = real.get(from_id, from_id), real.get(into_id, into_id)
            db.session.execute(update(OfficialPeriod).where(
                OfficialPeriod.unit_id == from_id, OfficialPeriod.valid_from.is_not(None),
                OfficialPeriod.valid_from >= day).values(unit_id=into_id))
            split = db.session.execute(select(OfficialPeriod).where(
                OfficialPeriod.unit_id == from_id, OfficialPeriod.status == "active",
                valid_on(OfficialPeriod.valid_from, OfficialPeriod.valid_to, day))).scalars()
            copies: list[dict[str, Any]] = []
            ids = []
            for period in split:
                ids.append(period.id)
                copies.append({"official_id": period.official_id, "valid_from": day,
                               "valid_to": period.valid_to, **{
                                   name: getattr(period, name) for name in PERIOD_FIELDS},
                               "unit_id": into_id})
            if ids:
                db.session.execute(update(OfficialPeriod).where(OfficialPeriod.id.in_(ids))
                                   .values(valid_to=day_before(day)))
                db.session.execute(insert(OfficialPeriod), copies)
            db.session.flush()


IMPORTERS["unit_changes"] = import_unit_changes
