"""The three HR imports: units, the officials roster, external training records.

Each import reads the whole file, checks every row, and computes what would
change before writing anything. A file with any error changes nothing; a
dry run only reports. Writing is set-based (bulk INSERT / UPDATE by primary
key) so a 100,000-row roster imports in seconds. Functions flush; the caller
commits once.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask import has_request_context
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import insert, select, update

from lms.audit.logic import record
from lms.auth.logic import normalise_phone
from lms.courses.models import Course
from lms.extensions import db
from lms.learning.models import ExternalTraining, TrainingClass
from lms.learning.requirements import refresh_requirements
from lms.org.labels import category_names, level_names, review_status_names, status_names
from lms.org.logic import is_within
from lms.org.models import PERIOD_FIELDS, Official, OfficialPeriod, Unit, UnitPeriod
from lms.org.signals import officials_left
from lms.org.tabular import (
    CellError,
    Column,
    TableError,
    map_headers,
    parse_bool,
    parse_choice,
    parse_date,
    parse_email,
    read_table,
    row_error,
    text,
)
from lms.util.formatting import name_sort_key
from lms.util.sql import in_values
from lms.util.text import fold
from lms.util.time import local_today, utcnow

MAX_ERRORS = 500  # enough to fix a file; more would only bury the first ones
KINDS = ("units", "officials", "training", "unit_changes")

UNIT_COLUMNS = [
    Column("code", "Mã đơn vị", ("ma_don_vi",), required=True),
    Column("name", "Tên đơn vị", ("ten_don_vi",), required=True),
    Column("level", "Cấp", ("cap",), required=True),
    Column("parent_code", "Mã đơn vị cấp trên", ("ma_don_vi_cha",)),
]
OFFICIAL_COLUMNS = [
    Column("employee_code", "Mã cán bộ", ("ma_can_bo",), required=True),
    Column("full_name", "Họ và tên", ("ho_ten",), required=True),
    Column("unit_code", "Mã đơn vị", ("ma_don_vi",), required=True),
    Column("category", "Loại", ("loai",), required=True),
    Column("position", "Chức vụ", ("chuc_vu",)),
    Column("is_leader", "Lãnh đạo", ("lanh_dao",)),
    Column("is_it_officer", "Phụ trách CNTT", ("phu_trach_cntt",)),
    Column("email", "Email", ()),
    Column("phone", "Số điện thoại", ("so_dien_thoai",)),
    Column("status", "Trạng thái", ("trang_thai",)),
    Column("left_on", "Ngày nghỉ", ("ngay_nghi",)),
    Column("joined_on", "Ngày tuyển dụng", ("ngay_tuyen_dung",)),
]
TRAINING_COLUMNS = [
    Column("employee_code", "Mã cán bộ", ("ma_can_bo",), required=True),
    Column("course", "Khóa học", ("khoa_hoc", "ma_khoa_hoc"), required=True),
    Column("completed_on", "Ngày hoàn thành", ("ngay_hoan_thanh",), required=True),
    Column("source", "Nguồn", ("nguon", "lop_tap_huan"), required=True),
    # The class, the evidence of the record (optional; issue 18).
    Column("organiser", "Đơn vị tổ chức", ("don_vi_to_chuc", "co_quan_to_chuc",
                                            "noi_to_chuc", "to_chuc")),
    Column("reference", "Số quyết định mở lớp",
           ("so_quyet_dinh", "so_quyet_dinh_mo_lop_danh_sach_lop", "danh_sach_lop",
            "so_danh_sach_lop", "quyet_dinh_mo_lop", "ma_lop")),
    Column("class_start", "Lớp từ ngày", ("tu_ngay", "ngay_bat_dau", "ngay_khai_giang",
                                          "ngay_mo_lop")),
    Column("class_end", "Lớp đến ngày", ("den_ngay", "ngay_ket_thuc", "ngay_be_giang")),
]
UNIT_CHANGE_COLUMNS = [
    Column("effective_on", "Ngày hiệu lực", ("ngay_hieu_luc",), required=True),
    Column("action", "Thao tác", ("thao_tac",), required=True),
    Column("unit_code", "Mã đơn vị", ("ma_don_vi",), required=True),
    Column("name", "Tên đơn vị", ("ten_don_vi",)),
    Column("level", "Cấp", ("cap",)),
    Column("parent_code", "Mã đơn vị cấp trên", ("ma_don_vi_cap_tren", "ma_don_vi_cha")),
    Column("into_code", "Sáp nhập vào", ("sap_nhap_vao",)),
]
COLUMNS = {"units": UNIT_COLUMNS, "officials": OFFICIAL_COLUMNS, "training": TRAINING_COLUMNS,
           "unit_changes": UNIT_CHANGE_COLUMNS}
FIELD_LABELS = {c.name: c.label for columns in COLUMNS.values() for c in columns}
FIELD_LABELS.update({"training_class": "Lớp", "review_status": "Trạng thái xác minh"})

LEVEL_WORDS = {
    "province": "province", "tinh": "province", "thanh_pho_truc_thuoc_trung_uong": "province",
    "department": "department", "so": "department", "ban": "department",
    "nganh": "department", "so_ban_nganh": "department",
    "district": "district", "huyen": "district", "thi_xa": "district",
    "thanh_pho": "district", "quan": "district",
    "commune": "commune", "xa": "commune", "phuong": "commune", "thi_tran": "commune",
    "dac_khu": "commune",
    "office": "office", "phong": "office",
    "other": "other", "khac": "other",
}
CATEGORY_WORDS = {
    "can_bo": "can_bo", "cong_chuc": "cong_chuc", "vien_chuc": "vien_chuc",
    "nguoi_lao_dong": "nguoi_lao_dong", "lao_dong_hop_dong": "nguoi_lao_dong",
}
STATUS_WORDS = {
    "": "active", "active": "active", "dang_cong_tac": "active", "dang_lam_viec": "active",
    "left": "left", "nghi_viec": "left", "chuyen_cong_tac": "left", "nghi_huu": "left",
    "da_nghi": "left",
}
# What an error message suggests: the words of the template, not the stored codes.
LEVEL_HINT = "Tỉnh, Sở, Huyện, Xã, Phòng, Khác"
CATEGORY_HINT = "Cán bộ, Công chức, Viên chức, Người lao động"
STATUS_HINT = "Đang công tác, Nghỉ việc"
OFFICIAL_FIELDS = ("full_name", "unit_id", "category", "position", "is_leader",
                   "is_it_officer", "email", "phone", "status", "left_on", "joined_on")


def format_day(day: date) -> str:
    """A date as Vietnamese documents write it (dd/mm/yyyy)."""
    return day.strftime("%d/%m/%Y")


@dataclass
class Change:
    row: int
    key: str
    action: str  # created | updated | left | unchanged | merged | abolished
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    name: str = ""  # the person's or unit's name, for people reading the preview
    since: date | None = None  # the day a dated change takes effect

    def describe(self) -> str:
        """"thêm mới CB1 Nguyễn Văn An" or "cập nhật CB1 Nguyễn Văn An (Chức vụ: — →
        Chủ tịch)": the file's column names and the words HR typed, not stored codes."""
        actions = {"created": _("thêm mới"), "updated": _("cập nhật"), "left": _("nghỉ việc"),
                   "unchanged": _("không đổi"), "merged": _("sáp nhập"),
                   "abolished": _("giải thể")}
        who = f"{self.key} {self.name}".strip()
        since = _(" từ ngày %(d)s", d=format_day(self.since)) if self.since else ""
        if not self.fields:
            return f"{actions[self.action]} {who}{since}"
        parts = ", ".join(f"{FIELD_LABELS.get(name, name)}: {_shown(name, old)} → "
                          f"{_shown(name, new)}" for name, (old, new) in self.fields.items())
        return f"{actions[self.action]} {who} ({parts}){since}"


def _shown(name: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("có") if value else _("không")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    names = {"level": level_names, "category": category_names, "status": status_names,
             "review_status": review_status_names}
    if name in names:
        return names[name]().get(value, value)
    return str(value)


@dataclass
class ImportResult:
    kind: str
    errors: list[str] = field(default_factory=list)
    error_count: int = 0
    changes: list[Change] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    applied: bool = False
    rows: int = 0
    # More for the audit event of an applied import (the training import lists every
    # record of the file: employee code by course and date, by what happened to it).
    audit: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def error(self, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(message)

    def discard_changes(self) -> ImportResult:
        """A file with errors changes nothing: the preview lists only the errors."""
        self.changes.clear()
        self.counts.clear()
        return self

    def add(self, change: Change) -> None:
        self.counts[change.action] += 1
        if change.action != "unchanged":
            self.changes.append(change)

    def summary(self) -> str:
        if self.kind == "officials":
            keys = ("created", "updated", "unchanged", "left")
        elif self.kind == "unit_changes":
            keys = ("created", "updated", "merged", "abolished")
        else:
            keys = ("created", "updated", "unchanged")
        return ", ".join(f"{self.counts.get(k, 0)} {k}" for k in keys)


class _Row:
    """Cells of one row by column name, collecting errors with the file's headers."""

    def __init__(self, number: int, cells: list[Any], positions: dict[str, int],
                 headers: list[Any], columns: dict[str, Column], result: ImportResult) -> None:
        self.number, self.cells, self.positions = number, cells, positions
        self.headers, self.columns, self.result = headers, columns, result
        self.failed = False

    def raw(self, name: str) -> Any:
        index = self.positions.get(name)
        if index is None or index >= len(self.cells):
            return None
        return self.cells[index]

    def header(self, name: str) -> str:
        index = self.positions.get(name)
        return str(self.headers[index]).strip() if index is not None else self.columns[name].label

    def fail(self, name: str, reason: str) -> None:
        self.failed = True
        self.result.error(row_error(self.number, self.header(name), reason))

    def get(self, name: str, parser=text, *args) -> Any:
        try:
            return parser(self.raw(name), *args)
        except CellError as exc:
            self.fail(name, str(exc))
            return None

    def required(self, name: str, max_length: int = 255) -> str:
        value = text(self.raw(name))
        if not value:
            self.fail(name, _("bắt buộc, không được để trống"))
        elif len(value) > max_length:
            self.fail(name, _("dài quá %(n)d ký tự", n=max_length))
        return value


def _open(kind: str, filename: str, data: bytes, result: ImportResult):
    return open_rows(COLUMNS[kind], filename, data, result)


def open_rows(columns: list[Column], filename: str, data: bytes, result: ImportResult):
    """The parse step every import shares: the file's rows as _Row objects by column
    name (None, with the errors in ``result``, when the file or its headers are wrong)."""
    try:
        headers, rows = read_table(filename, data)
    except TableError as exc:
        result.error(str(exc))
        return None
    positions, errors = map_headers(headers, columns)
    for message in errors:
        result.error(message)
    if errors:
        return None
    by_name = {c.name: c for c in columns}
    return ((_Row(n, cells, positions, headers, by_name, result) for n, cells in rows))


# --- units ---------------------------------------------------------------------------


def import_units(filename: str, data: bytes, *, scope: Unit | None = None,
                 dry_run: bool = False, today: date | None = None) -> ImportResult:
    """Create or update units; ``scope`` limits a unit manager to their subtree."""
    result = ImportResult("units")
    rows = _open("units", filename, data, result)
    if rows is None:
        return result
    stored = {u.code: u for u in db.session.scalars(select(Unit))}
    # Units with a change planned after today: a plain import would overwrite it.
    planned = set(db.session.scalars(select(UnitPeriod.unit_id).where(
        UnitPeriod.valid_from > (today or local_today()))))
    stored_parent = {u.code: (u.parent.code if u.parent else None) for u in stored.values()}
    wanted: dict[str, dict[str, Any]] = {}
    seen_at: dict[str, int] = {}
    level_label = _("cấp đơn vị")
    for row in rows:
        result.rows += 1
        code = row.required("code", 64)
        name = row.required("name")
        level = row.get("level", parse_choice, LEVEL_WORDS, level_label, LEVEL_HINT)
        parent_code = text(row.raw("parent_code")) or None
        if code and code in seen_at:
            row.fail("code", _("mã đơn vị trùng với dòng %(n)d", n=seen_at[code]))
        if code:
            seen_at.setdefault(code, row.number)
        if parent_code and parent_code == code:
            row.fail("parent_code", _("đơn vị không thể là cấp trên của chính nó"))
        if scope is not None and code in stored and not is_within(stored[code].path, scope):
            row.fail("code", _("đơn vị %(c)s nằm ngoài phạm vi bạn quản lý", c=code))
        elif code in stored and stored[code].valid_to is not None:
            row.fail("code", _("đơn vị %(c)s đã ngừng hoạt động ngày %(d)s (mã không được "
                               "dùng lại)", c=code, d=format_day(stored[code].valid_to)))
        elif code in stored and stored[code].id in planned:
            row.fail("code", _("đơn vị %(c)s có thay đổi dự kiến; hãy dùng tệp thay đổi đơn vị",
                               c=code))
        if parent_code and parent_code in stored and stored[parent_code].valid_to is not None:
            row.fail("parent_code", _("đơn vị %(c)s đã ngừng hoạt động ngày %(d)s", c=parent_code,
                                      d=format_day(stored[parent_code].valid_to)))
        if not row.failed and code:
            wanted[code] = {"row": row.number, "name": name, "level": level,
                            "parent_code": parent_code,
                            "parent_header": row.header("parent_code")}

    # Parents must exist, the tree keeps one root, and no cycle may appear.
    parent_of = dict(stored_parent)
    parent_of.update({code: w["parent_code"] for code, w in wanted.items()})
    roots = {code for code, parent in parent_of.items() if parent is None}
    for code, w in wanted.items():
        parent_code = w["parent_code"]

        def fail(_column: str, reason: str, w=w) -> None:
            result.error(row_error(w["row"], w["parent_header"], reason))

        if parent_code is None:
            others = sorted(roots - {code})
            if scope is not None:
                fail("parent_code", _("bắt buộc: đơn vị phải thuộc phạm vi bạn quản lý"))
            elif others:
                fail("parent_code", _("bắt buộc: chỉ đơn vị gốc (%(root)s) không có cấp trên",
                                      root=others[0]))
            continue
        if parent_code not in parent_of:
            fail("parent_code", _("không có đơn vị '%(c)s' trong tệp hay trong hệ thống",
                                  c=parent_code))
            continue
        if scope is not None:
            parent_path = stored[parent_code].path if parent_code in stored else None
            if parent_path is not None and not is_within(parent_path, scope):
                fail("parent_code", _("đơn vị %(c)s nằm ngoài phạm vi bạn quản lý",
                                      c=parent_code))
        cycle = _find_cycle(code, parent_of)
        if cycle:
            fail("parent_code", _("tạo thành vòng lặp: %(chain)s", chain=" → ".join(cycle)))
    if not result.ok:
        return result

    for code, w in wanted.items():
        unit = stored.get(code)
        if unit is None:
            result.add(Change(w["row"], code, "created", name=w["name"]))
            continue
        changed = {}
        for name in ("name", "level"):
            if getattr(unit, name) != w[name]:
                changed[name] = (getattr(unit, name), w[name])
        if stored_parent[code] != w["parent_code"]:
            changed["parent_code"] = (stored_parent[code], w["parent_code"])
        result.add(Change(w["row"], code, "updated" if changed else "unchanged", changed,
                          name=w["name"]))
    if dry_run:
        return result
    _write_units(wanted, stored, today or local_today())
    db.session.expire_all()
    result.applied = True
    return result


def _write_units(wanted: dict[str, dict[str, Any]], stored: dict[str, Unit], today: date) -> None:
    """Plain units import: new units hold for every earlier date (or since their parent
    began); a changed name, level or parent takes effect today."""
    from lms.org.history import UnitEditor, apply_current

    editor = UnitEditor.load()
    done: set[str] = set()
    pending = list(wanted)
    while pending:  # parents before children (cycles were refused above)
        waiting = []
        for code in pending:
            w = wanted[code]
            parent_code = w["parent_code"]
            if parent_code in wanted and parent_code not in done and parent_code != code:
                waiting.append(code)
                continue
            parent = editor.by_code.get(parent_code) if parent_code else None
            parent_id = parent.id if parent else None
            record = editor.by_code.get(code)
            if record is None:
                editor.create(code, w["name"], w["level"], parent_id,
                              parent.valid_from if parent else None)
            else:
                editor.change(record, today, name=w["name"], level=w["level"],
                              parent_id=parent_id)
            done.add(code)
        if len(waiting) == len(pending):
            raise AssertionError("cycle in units file")  # refused by the checks above
        pending = waiting
    editor.save()
    apply_current(today)


def _find_cycle(start: str, parent_of: dict[str, str | None]) -> list[str] | None:
    chain, current = [start], parent_of.get(start)
    seen = {start}
    while current is not None:
        chain.append(current)
        if current in seen:
            return chain if current == start else None
        seen.add(current)
        current = parent_of.get(current)
    return None


# --- officials -----------------------------------------------------------------------


def import_officials(filename: str, data: bytes, *, scope: Unit | None = None,
                     dry_run: bool = False, deactivate_missing: bool = False,
                     today: date | None = None, effective: date | None = None,
                     correct: bool = False) -> ImportResult:
    """Create or update roster records, keyed by employee code.

    A changed unit, category, position, leader or IT-officer mark or status takes
    effect on ``effective`` (default today): the official's period is split there
    and the values before it are kept (DESIGN.md, "Dated roster"). A date before
    the official's last change is refused unless ``correct``, which rewrites the
    period valid on that date instead. An official is never deleted: one who
    leaves gets status ``left`` from ``left_on``. With ``deactivate_missing``,
    active officials of the units named in the file who are not in it leave on
    the effective date.
    """
    from lms.org.history import UnitHistory

    today = today or local_today()
    effective = effective or today
    result = ImportResult("officials")
    rows = _open("officials", filename, data, result)
    if rows is None:
        return result
    history = UnitHistory.load()
    units = {row.code: (row.id, row.path) for row in
             db.session.execute(select(Unit.code, Unit.id, Unit.path))}
    unit_code_by_id = {uid: code for code, (uid, _path) in units.items()}
    unit_path_by_id = {uid: path for uid, path in units.values()}
    columns = (Official.id, Official.employee_code, *(getattr(Official, f) for f in
                                                      OFFICIAL_FIELDS))
    # Scope: only the officials the file names (by code or email) are read, so a
    # province's file costs the same in a national database as in its own.
    rows = list(rows)
    codes = {text(row.raw("employee_code")) for row in rows} - {""}
    emails = {text(row.raw("email")).lower() for row in rows} - {""}
    existing = {row.employee_code: row for row in _select_in(
        select(*columns), Official.employee_code, codes)}
    timelines = _timelines([row.id for row in existing.values()])
    email_owner = {email: code for email, code in _select_in(
        select(Official.email, Official.employee_code), Official.email, emails)}
    seen_at: dict[str, int] = {}
    emails_in_file: dict[str, int] = {}
    inserts: list[dict[str, Any]] = []
    new_periods: dict[str, list[dict[str, Any]]] = {}
    updates: list[dict[str, Any]] = []
    touched: dict[int, list[dict[str, Any]]] = {}
    newly_left: list[int] = []  # their accounts lose roles and sessions (lms.auth.leavers)
    units_in_file: set[int] = set()

    # Translated once: gettext per row would cost more than the rest of the row.
    category_label, status_label = _("loại cán bộ"), _("trạng thái")
    for row in rows:
        result.rows += 1
        code = row.required("employee_code", 64)
        full_name = row.required("full_name")
        unit_code = row.required("unit_code", 64)
        category = None
        if not text(row.raw("category")):
            row.fail("category", _("bắt buộc, không được để trống"))
        else:
            category = row.get("category", parse_choice, CATEGORY_WORDS, category_label,
                               CATEGORY_HINT)
        position = text(row.raw("position"))[:255] or None
        is_leader = row.get("is_leader", parse_bool)
        is_it_officer = row.get("is_it_officer", parse_bool)
        email = row.get("email", parse_email)
        phone = _phone(row)
        status = row.get("status", parse_choice, STATUS_WORDS, status_label, STATUS_HINT)
        left_on = row.get("left_on", parse_date)
        joined_on = row.get("joined_on", parse_date)

        if code in seen_at:
            row.fail("employee_code", _("mã cán bộ trùng với dòng %(n)d", n=seen_at[code]))
        elif code:
            seen_at[code] = row.number
        unit = units.get(unit_code)
        old = existing.get(code)
        if unit_code and unit is None:
            row.fail("unit_code", _("không có đơn vị '%(c)s' (nhập danh sách đơn vị trước)",
                                    c=unit_code))
        elif unit is not None and scope is not None and not unit[1].startswith(scope.path):
            row.fail("unit_code", _("đơn vị %(c)s nằm ngoài phạm vi bạn quản lý", c=unit_code))
        elif unit is not None:
            record = history.units[unit[0]]
            day = left_on if status == "left" and left_on else effective
            if not record.exists_on(day) and not (old is not None and old.unit_id == unit[0]):
                row.fail("unit_code", _unit_absent_message(history, record, day))
        if (old is not None and scope is not None
                and not unit_path_by_id.get(old.unit_id, "").startswith(scope.path)):
            # Says only what the importer may see: not where the code is used.
            row.fail("employee_code", _("mã cán bộ %(c)s đã được dùng", c=code))
        if email:
            owner = email_owner.get(email)
            if email in emails_in_file:
                row.fail("email", _("email trùng với dòng %(n)d", n=emails_in_file[email]))
            elif owner is not None and owner != code:
                row.fail("email", _("email đã được dùng"))
            emails_in_file.setdefault(email, row.number)
        if status == "active" and left_on is not None:
            row.fail("left_on", _("chỉ ghi ngày nghỉ khi trạng thái là nghỉ việc"))
        if joined_on is not None and left_on is not None and joined_on >= left_on:
            row.fail("joined_on", _("ngày tuyển dụng phải trước ngày nghỉ"))
        if row.failed or not result.ok:
            continue

        attributes = {"unit_id": unit[0], "category": category, "position": position,
                      "is_leader": bool(is_leader), "is_it_officer": bool(is_it_officer)}
        units_in_file.add(unit[0])
        if old is None:
            start = joined_on
            unit_start = history.units[unit[0]].valid_from
            if start is None or (unit_start is not None and start < unit_start):
                start = unit_start if start is None or unit_start > start else start
            periods = _first_periods(start, attributes, status, left_on or effective)
            if periods is None:
                row.fail("left_on", _("ngày nghỉ phải sau ngày bắt đầu (%(d)s)",
                                      d=format_day(start)))
                continue
            result.add(Change(row.number, code, "created", name=full_name))
            current = _current(periods, today)
            inserts.append({"employee_code": code, "search_name": _search_name(full_name),
                            "full_name": full_name, "email": email, "phone": phone,
                            "joined_on": joined_on, **current})
            new_periods[code] = periods
            continue

        periods = [dict(p) for p in timelines.get(old.id, [])]
        before = [dict(p) for p in periods]
        changed: dict[str, tuple[Any, Any]] = {}
        since = None
        problem = _change_periods(periods, attributes, status, left_on, effective, correct)
        if problem:
            row.fail("left_on" if status == "left" and left_on else "employee_code", problem)
            continue
        if joined_on != old.joined_on:
            problem = _set_start(periods, joined_on)
            if problem:
                row.fail("joined_on", problem)
                continue
            changed["joined_on"] = (old.joined_on, joined_on)
        current = _current(periods, today)
        for name in ("full_name", "email", "phone"):
            new = {"full_name": full_name, "email": email, "phone": phone}[name]
            if getattr(old, name) != new:
                changed[name] = (getattr(old, name), new)
        if periods != before:
            shown = _period_values(before, periods, effective, status, left_on)
            for name, pair in shown.items():
                changed.setdefault(name, pair)
            if not correct:
                since = left_on if status == "left" and left_on else effective
        if not changed and periods == before:
            result.add(Change(row.number, code, "unchanged", name=full_name))
            continue
        if "unit_id" in changed:
            changed["unit_code"] = tuple(unit_code_by_id.get(u) for u in changed.pop("unit_id"))
        action = "left" if changed.get("status", (None, None))[1] == "left" else "updated"
        if since == today:
            since = None
        result.add(Change(row.number, code, action, changed, name=full_name, since=since))
        updates.append({"id": old.id, "search_name": _search_name(full_name),
                        "sort_name": name_sort_key(full_name),
                        "updated_at": utcnow(), "full_name": full_name, "email": email,
                        "phone": phone, "joined_on": joined_on, **current})
        if current["status"] == "left" and old.status != "left":
            newly_left.append(old.id)
        if periods != before:
            touched[old.id] = periods

    if not result.ok:
        return result.discard_changes()
    if deactivate_missing:
        # The other serving officials of the units in the file (not read so far).
        missing = {row.employee_code: row for row in _select_in(
            select(*columns).where(Official.status != "left"), Official.unit_id,
            units_in_file) if row.employee_code not in seen_at}
        timelines.update(_timelines([row.id for row in missing.values()]))
        for code, old in missing.items():
            if old.unit_id in units_in_file and old.status != "left" and code not in seen_at:
                periods = [dict(p) for p in timelines.get(old.id, [])]
                if _change_periods(periods, {}, "left", effective, effective, False):
                    continue  # a later change is recorded: leave them as they are
                result.add(Change(0, code, "left", {"status": ("active", "left")},
                                  name=old.full_name))
                updates.append({"id": old.id, "updated_at": utcnow(), **_current(periods, today)})
                touched[old.id] = periods
                if updates[-1]["status"] == "left":
                    newly_left.append(old.id)
    if dry_run:
        return result
    _write(insert(Official), inserts)
    _write(update(Official), updates)
    db.session.flush()
    if new_periods:
        ids = {code: official_id for code, official_id in _select_in(
            select(Official.employee_code, Official.id), Official.employee_code, new_periods)}
        touched.update({ids[code]: periods for code, periods in new_periods.items()})
    _write_periods(touched)
    db.session.flush()
    if newly_left:  # lms.auth.leavers takes their roles and sessions
        officials_left.send(None, official_ids=newly_left)
    refresh_requirements(today, since=min(effective, today), unit_ids=units_in_file)
    result.applied = True
    return result


def _unit_absent_message(history, record, day: date) -> str:
    if record.valid_from is not None and record.valid_from > day:
        return _("đơn vị %(c)s chỉ có từ ngày %(d)s", c=record.code,
                 d=format_day(record.valid_from))
    successor = history.units.get(history.successor(record.id, day))
    if successor is not None and successor.id != record.id:
        return _("đơn vị %(c)s đã ngừng hoạt động từ ngày %(d)s; nay thuộc %(s)s",
                 c=record.code, d=format_day(record.valid_to + timedelta(days=1)),
                 s=successor.code)
    return _("đơn vị %(c)s không còn hoạt động vào ngày %(d)s", c=record.code,
             d=format_day(day))


_CHUNK = 5000  # values per IN list on SQLite (it binds at most 32,766 variables)


def _select_in(statement, column, values) -> list:
    """The rows of ``statement`` whose ``column`` is one of ``values``: one array
    parameter on PostgreSQL, IN lists of 5,000 on SQLite."""
    values = sorted(values)
    if not values:
        return []
    if db.engine.dialect.name == "postgresql":
        return db.session.execute(statement.where(in_values(column, values))).all()
    found = []
    for start in range(0, len(values), _CHUNK):
        found += db.session.execute(
            statement.where(column.in_(values[start:start + _CHUNK]))).all()
    return found


def _timelines(official_ids) -> dict[int, list[dict[str, Any]]]:
    """These officials' periods in date order, as plain dicts."""
    columns = [OfficialPeriod.id, OfficialPeriod.official_id, OfficialPeriod.valid_from,
               OfficialPeriod.valid_to, *[getattr(OfficialPeriod, n) for n in PERIOD_FIELDS]]
    timelines: dict[int, list[dict[str, Any]]] = {}
    for row in _select_in(select(*columns), OfficialPeriod.official_id, official_ids):
        values = row._asdict()
        timelines.setdefault(values.pop("official_id"), []).append(values)
    for periods in timelines.values():
        periods.sort(key=lambda p: p["valid_from"] or date.min)
    return timelines


def _first_periods(start: date | None, attributes: dict[str, Any], status: str,
                   left_on: date) -> list[dict[str, Any]] | None:
    from lms.org.history import day_before

    if status != "left":
        return [{"id": None, "valid_from": start, "valid_to": None, **attributes,
                 "status": "active"}]
    if start is not None and left_on <= start:
        return None
    return [{"id": None, "valid_from": start, "valid_to": day_before(left_on), **attributes,
             "status": "active"},
            {"id": None, "valid_from": left_on, "valid_to": None, **attributes,
             "status": "left"}]


def _covering(periods: list[dict[str, Any]], day: date) -> int | None:
    for index, period in enumerate(periods):
        if ((period["valid_from"] is None or period["valid_from"] <= day)
                and (period["valid_to"] is None or period["valid_to"] >= day)):
            return index
    return None


def _change_periods(periods: list[dict[str, Any]], attributes: dict[str, Any], status: str,
                    left_on: date | None, effective: date, correct: bool) -> str | None:
    """Make ``periods`` say ``attributes`` and ``status`` from the right day on; returns
    why it cannot (translated) or None. Periods are edited in place."""
    from lms.org.history import day_before

    if not periods:
        return None
    last = periods[-1]
    values = {**attributes, "status": status}
    if status == "left":
        if last["status"] == "left" and left_on and left_on != last["valid_from"]:
            # Correcting the day they left: move the boundary with the period before.
            previous = periods[-2] if len(periods) > 1 else None
            if previous is None or (previous["valid_from"] is not None
                                    and left_on <= previous["valid_from"]):
                return _("ngày nghỉ %(d)s không hợp lệ với quá trình công tác đã ghi",
                         d=format_day(left_on))
            previous["valid_to"], last["valid_from"] = day_before(left_on), left_on
        day = left_on or (last["valid_from"] if last["status"] == "left" else effective)
    else:
        day = effective
    if day is None:
        day = effective
    index = _covering(periods, day)
    if index is None:
        return _("ngày %(d)s trước ngày tuyển dụng", d=format_day(day))
    target = periods[index]
    if all(target[k] == v for k, v in values.items()):
        return None
    if correct:
        target.update(values)
        return None
    if target is not last:
        return _("ngày hiệu lực %(d)s trước lần thay đổi gần nhất (%(last)s); dùng --correct "
                 "để sửa quá trình đã ghi", d=format_day(day),
                 last=format_day(last["valid_from"]))
    if last["valid_from"] == day:
        last.update(values)
    else:
        last["valid_to"] = day_before(day)
        periods.append({**last, "id": None, "valid_from": day, "valid_to": None, **values})
    return None


def _set_start(periods: list[dict[str, Any]], joined_on: date | None) -> str | None:
    first = periods[0]
    if joined_on is not None and first["valid_to"] is not None and joined_on > first["valid_to"]:
        return _("ngày tuyển dụng sau lần thay đổi đầu tiên (%(d)s)",
                 d=format_day(first["valid_to"]))
    first["valid_from"] = joined_on
    return None


def _current(periods: list[dict[str, Any]], today: date) -> dict[str, Any]:
    """Today's values (or, before someone joins, their first) for the officials row."""
    index = _covering(periods, today)
    period = periods[index if index is not None else 0]
    values = {name: period[name] for name in PERIOD_FIELDS}
    values["left_on"] = period["valid_from"] if period["status"] == "left" else None
    return values


def _period_values(before: list[dict[str, Any]], after: list[dict[str, Any]], effective: date,
                   status: str, left_on: date | None) -> dict[str, tuple[Any, Any]]:
    """What the preview shows of a dated change: each attribute before → after."""
    day = left_on if status == "left" and left_on else effective
    old_i, new_i = _covering(before, day), _covering(after, day)
    if old_i is None or new_i is None:
        return {}
    old, new = before[old_i], after[new_i]
    changed = {name: (old[name], new[name]) for name in PERIOD_FIELDS if old[name] != new[name]}
    old_left = before[-1]["valid_from"] if before[-1]["status"] == "left" else None
    new_left = after[-1]["valid_from"] if after[-1]["status"] == "left" else None
    if old_left != new_left and new_left is not None:
        changed["left_on"] = (old_left, new_left)
    return changed


def _write_periods(touched: dict[int, list[dict[str, Any]]]) -> None:
    """Store the changed timelines: update the periods that exist, insert the new."""
    inserts, updates = [], []
    for official_id, periods in touched.items():
        for period in periods:
            values = {k: period[k] for k in ("valid_from", "valid_to", *PERIOD_FIELDS)}
            if period["id"] is None:
                inserts.append({"official_id": official_id, **values})
            else:
                updates.append({"id": period["id"], **values})
    _write(update(OfficialPeriod), updates)
    _write(insert(OfficialPeriod), inserts)


def _search_name(full_name: str) -> str:
    """The name without diacritics, cut to its column: folding can lengthen a name
    (a Hangul syllable decomposes into three letters)."""
    return fold(full_name)[:255]


WRITE_BATCH = 5000


def _write(statement, rows: list[dict[str, Any]]) -> None:
    """Bulk INSERT/UPDATE in batches, inside the caller's single transaction.

    render_nulls keeps each batch one executemany (otherwise rows whose empty
    columns differ form separate batches, nearly one per row); batches bound
    the memory the driver's parameter lists take.
    """
    statement = statement.execution_options(render_nulls=True)
    for start in range(0, len(rows), WRITE_BATCH):
        db.session.execute(statement, rows[start:start + WRITE_BATCH])


def _phone(row: _Row) -> str | None:
    raw = text(row.raw("phone"))
    if not raw:
        return None
    phone = normalise_phone(raw)
    if not phone or not phone.isdigit() or not 9 <= len(phone) <= 11:
        row.fail("phone", _("'%(v)s' không phải số điện thoại", v=raw))
        return None
    return phone


# --- external training records -------------------------------------------------------


def _class_text(row: _Row, name: str, max_length: int) -> str:
    """A class's reference or organiser: spaces collapsed, so "QĐ  12" finds "QĐ 12"."""
    value = " ".join(text(row.raw(name)).split())
    if len(value) > max_length:
        row.fail(name, _("dài quá %(n)d ký tự", n=max_length))
    return value


def _class_label(key: tuple[str, str] | None) -> str:
    return f"{key[0]} — {key[1]}" if key else ""


def _date_range(start: date | None, end: date | None) -> str:
    return f"{format_day(start) if start else '…'} – {format_day(end) if end else '…'}"


def _title_key(title: str) -> str:
    """A course title as matched: Unicode-normalised (NFC), spaces collapsed, case
    ignored; accents count (titles differ by them)."""
    return " ".join(unicodedata.normalize("NFC", title or "").split()).casefold()


def import_training(filename: str, data: bytes, *, scope: Unit | None = None,
                    dry_run: bool = False, today: date | None = None,
                    declared_by: int | None = None) -> ImportResult:
    """Classroom trainings that count as completions for the indicator.

    A row may name its class (Đơn vị tổ chức and Số quyết định mở lớp, with its dates):
    the class is found by reference and organiser, or created. Every record the file
    creates or changes is *declared* (the province verifies it, lms/review); a row
    identical to the stored record changes nothing, its review status included.
    """
    today = today or local_today()
    result = ImportResult("training")
    rows = _open("training", filename, data, result)
    if rows is None:
        return result
    officials = {
        row.employee_code: (row.id, row.path) for row in db.session.execute(
            select(Official.employee_code, Official.id, Unit.path).join(Unit))
    }
    courses = {row.slug: row.id for row in db.session.execute(select(Course.slug, Course.id))}
    # A course is named by its code (slug) or by its exact title, as the course list for
    # imports (/imports/courses) shows both; a title two courses share names neither.
    slug_of_title: dict[str, str | None] = {}
    for row in db.session.execute(select(Course.slug, Course.title)):
        title = _title_key(row.title)
        slug_of_title[title] = None if title in slug_of_title else row.slug
    classes = {
        (row.reference, row.organiser): (row.id, row.starts_on, row.ends_on)
        for row in db.session.execute(select(TrainingClass.id, TrainingClass.reference,
                                             TrainingClass.organiser, TrainingClass.starts_on,
                                             TrainingClass.ends_on))
    }
    class_key_of = {class_id: key for key, (class_id, _s, _e) in classes.items()}
    existing = {
        (row.official_id, row.course_id, row.completed_on):
            (row.id, row.source, row.training_class_id, row.status)
        for row in db.session.execute(select(
            ExternalTraining.id, ExternalTraining.official_id, ExternalTraining.course_id,
            ExternalTraining.completed_on, ExternalTraining.source,
            ExternalTraining.training_class_id, ExternalTraining.status))
    }
    seen_at: dict[tuple, int] = {}
    # The classes the file names: key -> (first row, start, end).
    file_classes: dict[tuple[str, str], tuple[int, date | None, date | None]] = {}
    inserts, updates = [], []
    listed: dict[str, dict[str, dict[str, list[str]]]] = {}
    with_classes = None
    for row in rows:
        result.rows += 1
        if with_classes is None:  # does the file carry the class columns at all?
            with_classes = bool({"organiser", "reference"} & row.positions.keys())
        code = row.required("employee_code", 64)
        slug = row.required("course", 100)
        completed_on = row.get("completed_on", parse_date)
        source = row.required("source")
        organiser = _class_text(row, "organiser", 255)
        reference = _class_text(row, "reference", 100)
        starts_on = row.get("class_start", parse_date)
        ends_on = row.get("class_end", parse_date)
        official = officials.get(code)
        if official is not None and scope is not None and not official[1].startswith(
                scope.path):
            official = None  # another unit's official is, for this importer, unknown
        if code and official is None:
            row.fail("employee_code", _("không có cán bộ mã '%(c)s' trong danh sách", c=code))
        course_id = courses.get(slug)
        if slug and course_id is None and _title_key(slug) in slug_of_title:
            by_title = slug_of_title[_title_key(slug)]
            if by_title is None:
                row.fail("course", _("có nhiều khóa học tên '%(c)s': hãy dùng mã khóa học",
                                     c=slug))
            else:
                slug, course_id = by_title, courses[by_title]
        elif slug and course_id is None:
            row.fail("course", _("không có khóa học mã hoặc tên '%(c)s' (dùng mã khóa học, "
                                 "ví dụ ky-nang-so-co-ban, hoặc đúng tên khóa học; danh "
                                 "sách ở trang Mã khóa học để nhập)", c=slug))
        if completed_on is None and text(row.raw("completed_on")) == "":
            row.fail("completed_on", _("bắt buộc, không được để trống"))
        elif completed_on is not None and completed_on > today:
            row.fail("completed_on", _("ngày hoàn thành ở tương lai"))
        class_key = None
        if organiser or reference or starts_on or ends_on:
            if not reference:
                row.fail("reference", _("bắt buộc khi dòng có thông tin lớp (số quyết định "
                                        "mở lớp hoặc số danh sách lớp)"))
            if not organiser:
                row.fail("organiser", _("bắt buộc khi dòng có thông tin lớp"))
            class_key = (reference, organiser) if reference and organiser else None
        if starts_on and ends_on and starts_on > ends_on:
            row.fail("class_end", _("trước ngày bắt đầu lớp (%(d)s)", d=format_day(starts_on)))
        elif starts_on and completed_on and completed_on < starts_on:
            row.fail("completed_on", _("trước ngày bắt đầu lớp (%(d)s)",
                                       d=format_day(starts_on)))
        if class_key is not None and not row.failed:
            first = file_classes.get(class_key)
            stored = classes.get(class_key)
            if first is not None and (first[1], first[2]) != (starts_on, ends_on) and (
                    starts_on or ends_on):
                row.fail("class_start", _("lớp này ở dòng %(n)d có thời gian %(d)s", n=first[0],
                                          d=_date_range(first[1], first[2])))
            elif stored is not None and any(
                    new is not None and old is not None and new != old
                    for new, old in ((starts_on, stored[1]), (ends_on, stored[2]))):
                row.fail("class_start", _("lớp '%(c)s' đã được khai với thời gian %(d)s",
                                          c=_class_label(class_key),
                                          d=_date_range(stored[1], stored[2])))
            elif first is None or (first[1] is None and first[2] is None):
                file_classes[class_key] = (row.number, starts_on, ends_on)
        if row.failed:
            continue
        key = (official[0], course_id, completed_on)
        if key in seen_at:
            row.fail("employee_code", _("trùng với dòng %(n)d (cùng cán bộ, khóa học và ngày)",
                                        n=seen_at[key]))
            continue
        seen_at[key] = row.number
        label = f"{code}/{slug}/{completed_on.isoformat()}"
        values = {"source": source, "class_key": class_key}
        if key not in existing:
            action = "created"
            result.add(Change(row.number, label, action))
            inserts.append({"official_id": key[0], "course_id": key[1],
                            "completed_on": key[2], **values})
        else:
            record_id, old_source, old_class, status = existing[key]
            old_key = class_key_of.get(old_class)
            if not with_classes:
                values["class_key"] = class_key = old_key  # a file without class columns
            changed: dict[str, tuple[Any, Any]] = {}
            if old_source != source:
                changed["source"] = (old_source, source)
            if old_key != class_key:
                changed["training_class"] = (_class_label(old_key), _class_label(class_key))
            if changed and status != "declared":
                changed["review_status"] = (status, "declared")
            action = "updated" if changed else "unchanged"
            result.add(Change(row.number, label, action, changed))
            if changed:
                updates.append({"id": record_id, **values})
        listed.setdefault(action, {}).setdefault(slug, {}).setdefault(
            completed_on.isoformat(), []).append(code)
    if not result.ok:
        return result.discard_changes()
    result.audit["records"] = listed
    if file_classes:
        result.audit["classes"] = [[reference, organiser] for reference, organiser
                                   in file_classes]
    new_classes = [key for key in file_classes if key not in classes]
    result.counts["classes_created"] = len(new_classes)
    if dry_run:
        return result
    if declared_by is None and has_request_context() and current_user.is_authenticated:
        declared_by = current_user.id  # the HR officer who uploaded the file
    _write(insert(TrainingClass), [
        {"reference": key[0], "organiser": key[1], "starts_on": file_classes[key][1],
         "ends_on": file_classes[key][2], "created_by_id": declared_by, "created_at": utcnow()}
        for key in new_classes])
    # A class declared without dates gets the dates a later file gives.
    _write(update(TrainingClass), [
        {"id": classes[key][0], "starts_on": classes[key][1] or start,
         "ends_on": classes[key][2] or end}
        for key, (_row, start, end) in file_classes.items()
        if key in classes and ((start and not classes[key][1]) or (end and not classes[key][2]))])
    db.session.flush()
    if new_classes:
        classes.update({
            (row.reference, row.organiser): (row.id, row.starts_on, row.ends_on)
            for row in db.session.execute(select(
                TrainingClass.id, TrainingClass.reference, TrainingClass.organiser,
                TrainingClass.starts_on, TrainingClass.ends_on))})

    def stored(values: dict[str, Any]) -> dict[str, Any]:
        class_key = values.pop("class_key")
        # Created or changed: declared by this import, to be reviewed (again). The last
        # decision (who, when, why) stays on the record for the next reviewer to read.
        return {**values, "training_class_id": classes[class_key][0] if class_key else None,
                "status": "declared", "imported_at": utcnow()}

    _write(insert(ExternalTraining), [stored(v) for v in inserts])
    _write(update(ExternalTraining), [stored(v) for v in updates])
    db.session.flush()
    result.applied = True
    return result


# kind -> importer; lms.org.changes adds "unit_changes" (imported by create_app).
IMPORTERS = {"units": import_units, "officials": import_officials, "training": import_training}


def run_import(kind: str, filename: str, data: bytes, **options: Any) -> ImportResult:
    """Run the ``kind`` importer; an applied import is written to the audit log."""
    result = IMPORTERS[kind](filename, data, **options)
    if result.ok and not options.get("dry_run"):
        detail: dict[str, Any] = {"kind": kind, "rows": result.rows, **result.counts,
                                  **result.audit}
        if options.get("effective"):
            detail["effective"] = options["effective"].isoformat()
        if options.get("correct"):
            detail["correction"] = True  # history rewritten, not a dated change
        record("import", target=f"{kind}: {filename}", unit=options.get("scope"),
               detail=detail)
    return result
