"""The audit log in words (issue 16, point 7): a registry of action code → Vietnamese
label, and a formatter that turns an event's target and JSON detail into readable lines.

The stored rows are never changed: codes, English-era targets ("12 link(s)",
"token 3: …") and JSON stay as recorded (the raw JSON is still downloadable); only
what the page shows is translated. A package adding an action registers its label
with ``register_action`` (or in ACTION_LABELS below), which also puts it among the log's
filter choices; a detail key without a label is shown under "Thông tin khác" rather
than as an English word.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

ACTION_LABELS: dict[str, Any] = {
    "import": _l("Nhập dữ liệu từ tệp"),
    "export": _l("Xuất báo cáo"),
    "role.grant": _l("Đổi vai trò tài khoản"),
    "account.deactivate": _l("Khóa tài khoản"),
    "account.delete": _l("Xóa tài khoản (theo yêu cầu)"),
    "account.verify_name": _l("Xác minh họ tên người học"),
    "data.download": _l("Tải dữ liệu cá nhân"),
    "token.create": _l("Tạo mã API"),
    "token.revoke": _l("Thu hồi mã API"),
    "token.use": _l("Dùng mã API"),
    "activation.create": _l("Tạo đường dẫn kích hoạt"),
    "activation.use": _l("Kích hoạt tài khoản cán bộ"),
    "activation.email": _l("Gửi đường dẫn kích hoạt qua email"),
    "twofactor.enable": _l("Bật xác thực hai bước"),
    "twofactor.disable": _l("Tắt xác thực hai bước"),
    "twofactor.reset": _l("Đặt lại xác thực hai bước (quản trị)"),
    "twofactor.recovery_codes": _l("Tạo mã dự phòng mới"),
    "twofactor.recovery_used": _l("Đăng nhập bằng mã dự phòng"),
    "report.freeze": _l("Chốt số liệu báo cáo"),
    "report.frozen_download": _l("Tải báo cáo đã chốt"),
    "password.reset": _l("Đặt lại mật khẩu qua email"),
    "training.verify": _l("Xác minh hồ sơ lớp tập huấn"),
    "training.reject": _l("Từ chối hồ sơ lớp tập huấn"),
    "training.evidence": _l("Đính kèm bản quét của lớp tập huấn"),
    "community.member_add": _l("Thêm thành viên tổ công nghệ số cộng đồng"),
    "community.member_remove": _l("Bớt thành viên tổ công nghệ số cộng đồng"),
    "community.register": _l("Đăng ký hộ người dân tại tổ công nghệ số"),
}


def register_action(code: str, label: Any) -> None:
    """A package's own audit action, with its Vietnamese label (a lazy string)."""
    ACTION_LABELS[code] = label


def action_codes() -> list[str]:
    """Every registered action, in the registry's order: the choices of the log's filter,
    so an action that has a label can always be filtered on."""
    return list(ACTION_LABELS)


def action_label(code: str) -> str:
    label = ACTION_LABELS.get(code)
    return str(label) if label is not None else _("Việc khác (%(code)s)", code=code)


KEY_LABELS: dict[str, Any] = {
    "kind": _l("Loại"), "rows": _l("Số dòng"), "created": _l("Thêm mới"),
    "updated": _l("Cập nhật"), "unchanged": _l("Không đổi"), "left": _l("Nghỉ việc"),
    "merged": _l("Sáp nhập"), "abolished": _l("Giải thể"), "deactivated": _l("Ngừng hoạt động"),
    "classes_created": _l("Lớp mới"), "classes": _l("Lớp tập huấn"),
    "records": _l("Hồ sơ"), "effective": _l("Hiệu lực từ"),
    "correction": _l("Sửa dữ liệu đã nhập (không phải thay đổi mới)"),
    "officials": _l("Cán bộ"), "count": _l("Số lượng"), "format": _l("Định dạng"),
    "as_of": _l("Số liệu đến ngày"), "cycle": _l("Kỳ tính"), "structure": _l("Cơ cấu đơn vị"),
    "file": _l("Tệp"), "id": _l("Số hiệu"), "trained": _l("Đã bồi dưỡng"),
    "total": _l("Tổng số"), "sha256": _l("Mã băm SHA-256"), "role": _l("Vai trò"),
    "previous": _l("Vai trò trước đó"), "reason": _l("Lý do"),
    "remaining": _l("Số mã dự phòng còn lại"), "had_two_factor": _l("Đã bật xác thực hai bước"),
    "user": _l("Tài khoản số"), "name": _l("Họ và tên"), "class": _l("Lớp số"),
    "filename": _l("Tên tệp"), "mimetype": _l("Loại tệp"), "size": _l("Dung lượng (byte)"),
    "people": _l("Số người"), "witness": _l("Người xác nhận (tài khoản số)"),
    "consent": _l("Cách đồng ý"), "unit": _l("Đơn vị"), "scope": _l("Phạm vi"),
    "verified": _l("Đã xác minh"), "rejected": _l("Bị từ chối"), "declared": _l("Tự khai"),
}

VALUE_LABELS: dict[str, Any] = {
    # import kinds
    "units": _l("Danh sách đơn vị"), "officials": _l("Danh sách cán bộ"),
    "training": _l("Kết quả lớp tập huấn"), "unit_changes": _l("Thay đổi tổ chức"),
    "attendance": _l("Danh sách dự lớp"), "population": _l("Số dân theo xã, phường"),
    # roles
    "admin": _l("Quản trị tỉnh"), "unit_manager": _l("Cán bộ tổ chức (quản lý đơn vị)"),
    "official": _l("Cán bộ, công chức, viên chức"), "citizen": _l("Người dân"),
    "business": _l("Doanh nghiệp, HTX, hộ kinh doanh"),
    "province_reviewer": _l("Người duyệt hồ sơ của tỉnh"),
    "community_helper": _l("Thành viên tổ công nghệ số cộng đồng"),
    # report options and other codes
    "all": _l("Toàn bộ"), "year": _l("Năm nay"), "as-of": _l("Theo cơ cấu tại ngày số liệu"),
    "current": _l("Theo cơ cấu hiện tại"), "in_person": _l("Trực tiếp, có người chứng kiến"),
    "csv": "CSV", "xlsx": "XLSX", "json": "JSON", "pdf": "PDF",
}

# Targets written in English before this registry: shown in words, stored unchanged.
TARGET_PATTERNS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"^(\d+) link\(s\)$"), lambda m: _("%(n)s đường dẫn", n=m[1])),
    (re.compile(r"^(\d+) email\(s\)$"), lambda m: _("%(n)s thư", n=m[1])),
    (re.compile(r"^token (\d+): (.*)$", re.S),
     lambda m: _("Mã API số %(id)s: %(name)s", id=m[1], name=m[2])),
    (re.compile(r"^user (\d+)$"), lambda m: _("Tài khoản số %(id)s", id=m[1])),
    (re.compile(r"^(units|officials|training|unit_changes|attendance|population): (.*)$", re.S),
     lambda m: f"{value_text(m[1])}: {m[2]}"),
    (re.compile(r"^coverage (\w+): (.*)$", re.S),
     lambda m: _("Độ phủ người dân (%(fmt)s): %(scope)s", fmt=value_text(m[1]), scope=m[2])),
    (re.compile(r"^(.*): (admin|unit_manager|official|citizen|business|province_reviewer|"
                r"community_helper)$", re.S),
     lambda m: f"{m[1]}: {value_text(m[2])}"),
]
DETAIL_VALUE_SHOWN = 60  # items of a list shown before "… và N mục khác"


def target_text(target: str) -> str:
    for pattern, words in TARGET_PATTERNS:
        match = pattern.match(target or "")
        if match:
            return words(match)
    return target or ""


ACTOR_PATTERNS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"^CLI \((.*)\)$"), lambda m: _("Lệnh trên máy chủ (%(who)s)", who=m[1])),
    (re.compile(r"^CLI$"), lambda m: _("Lệnh trên máy chủ")),
    (re.compile(r"^API token (\d+): (.*)$", re.S),
     lambda m: _("Mã API số %(id)s: %(name)s", id=m[1], name=m[2])),
]


def actor_text(actor: str) -> str:
    for pattern, words in ACTOR_PATTERNS:
        match = pattern.match(actor or "")
        if match:
            return words(match)
    return actor or ""


def key_text(key: str) -> str:
    label = KEY_LABELS.get(key)
    return str(label) if label is not None else _("Thông tin khác (%(key)s)", key=key)


def value_text(value: Any) -> str:
    if value is True:
        return _("Có")
    if value is False:
        return _("Không")
    if value is None:
        return "—"
    if isinstance(value, str):
        label = VALUE_LABELS.get(value)
        if label is not None:
            return str(label)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):  # an ISO date: dd/mm/yyyy
            return f"{value[8:10]}/{value[5:7]}/{value[:4]}"
        return value
    if isinstance(value, int | float):
        from lms.util.formatting import number_vi
        return number_vi(value)
    if isinstance(value, list):
        shown = [value_text(item) for item in value[:DETAIL_VALUE_SHOWN]]
        more = len(value) - DETAIL_VALUE_SHOWN
        if more > 0:
            shown.append(_("… và %(n)s mục khác", n=more))
        return ", ".join(shown)
    if isinstance(value, dict):
        return "; ".join(f"{key_text(k) if k in KEY_LABELS else value_text(k)}: {value_text(v)}"
                         for k, v in value.items())
    return str(value)


def detail_lines(detail: str) -> list[tuple[str, str]]:
    """An event's JSON detail as (label, text) pairs, in the recorded order."""
    try:
        data = json.loads(detail) if detail else {}
    except ValueError:
        return [(_("Chi tiết"), detail)]
    if not isinstance(data, dict):
        return [(_("Chi tiết"), value_text(data))]
    return [(key_text(key), value_text(value)) for key, value in data.items()]
