"""How stored codes read in the interface (levels, categories, statuses)."""

from __future__ import annotations

from flask_babel import gettext as _


def level_names() -> dict[str, str]:
    return {"province": _("Tỉnh"), "department": _("Sở, ban, ngành"),
            "district": _("Huyện, thị xã, thành phố"), "commune": _("Xã, phường, thị trấn"),
            "office": _("Phòng, đơn vị trực thuộc"), "other": _("Khác")}


def category_names() -> dict[str, str]:
    return {"can_bo": _("Cán bộ"), "cong_chuc": _("Công chức"), "vien_chuc": _("Viên chức"),
            "nguoi_lao_dong": _("Người lao động")}


def status_names() -> dict[str, str]:
    return {"active": _("Đang công tác"), "left": _("Nghỉ việc")}


def review_status_names() -> dict[str, str]:
    """A classroom record's evidence status (lms/review)."""
    return {"declared": _("Tự khai, chờ xác minh"), "verified": _("Đã xác minh"),
            "rejected": _("Bị từ chối")}
