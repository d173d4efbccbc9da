"""Who may earn a course's certificate.

A course written only for officials certifies an official of the province's
roster: it can be taken only by an account linked to a roster record
(penetration test 2026-11: a citizen account made under an official's name passed
an official-only course). Anyone may still read its lessons.
"""

from __future__ import annotations

from sqlalchemy import select

from lms.auth.models import User
from lms.courses.models import Course
from lms.extensions import db
from lms.org.models import Official
from lms.util.i18n import mark

ROSTER_ONLY = mark("Khóa học này dành cho cán bộ, công chức, viên chức trong danh sách của "
                   "tỉnh: chỉ tài khoản gắn với hồ sơ cán bộ mới làm bài kiểm tra và nhận "
                   "chứng nhận. Bạn vẫn có thể đọc các bài học.")


def officials_only(course: Course) -> bool:
    return course.audience_list == ["official"]


def may_earn(user: User, course: Course) -> bool:
    """True unless the course is for officials only and the account has no roster record."""
    if not officials_only(course):
        return True
    return db.session.scalar(select(Official.id).where(Official.user_id == user.id)) is not None
