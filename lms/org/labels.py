"""How stored codes read in the interface (levels, categories, statuses)."""

from __future__ import annotations

from flask import current_app, g, has_app_context
from flask_babel import get_locale
from flask_babel import gettext as _


def level_names() -> dict[str, str]:
    """Level names in the wording of the 2025 reform (two-tier local government: the
    province and its xã, phường, đặc khu; districts ended on 30/6/2025), each of which
    LMS_LEVEL_LABELS may replace. Built once per request and locale (a report page
    names the level of a thousand rows)."""
    if not has_app_context():
        return _level_names()
    key = str(get_locale())
    cache = g.setdefault("_lms_level_names", {})
    if key not in cache:
        cache[key] = _level_names()
    return cache[key]


def _level_names() -> dict[str, str]:
    names = {"province": _("Tỉnh"), "department": _("Sở, ban, ngành"),
             "district": _("Huyện (đến 30/6/2025)"), "commune": _("Xã, phường, đặc khu"),
             "office": _("Phòng, đơn vị trực thuộc"), "other": _("Khác")}
    if has_app_context():
        names.update(current_app.config.get("LMS_LEVEL_LABELS") or {})
    return names


def level_name(level: str) -> str:
    return level_names().get(level, level)


def category_names() -> dict[str, str]:
    return {"can_bo": _("Cán bộ"), "cong_chuc": _("Công chức"), "vien_chuc": _("Viên chức"),
            "nguoi_lao_dong": _("Người lao động")}


def status_names() -> dict[str, str]:
    return {"active": _("Đang công tác"), "left": _("Nghỉ việc")}


def review_status_names() -> dict[str, str]:
    """A classroom record's evidence status (lms/review)."""
    return {"declared": _("Tự khai, chờ xác minh"), "verified": _("Đã xác minh"),
            "rejected": _("Bị từ chối")}
