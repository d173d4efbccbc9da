"""Profile and reminder choices of one's own account. Functions flush; callers commit.

Changing the email address verifies the new one first: it waits in
``users.pending_email`` until its owner follows the link sent there, and the old
address stays in use (and signs in) until then. Sending that link is the mail
side's (issue 13, point 2): whichever sender is registered with
:func:`register_email_verifier` (the recovery package registers
``lms.recovery.logic.send_verification`` with its blueprint); the link's route calls
:func:`confirm_email_change`. This module never imports the mail side, which depends
on it. Without a sender, the email field is not offered (``email_change_available()``
is false) and the page says to ask HR.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash

from lms.auth.logic import (
    EMAIL,
    AccountError,
    find_by_identifier,
    is_valid_phone,
    normalise_email,
    normalise_phone,
)
from lms.auth.models import User
from lms.util.time import utcnow

# "each": every reminder as it is due; "weekly": one summary a week; "off": none.
REMINDER_CHOICES = ("each", "weekly", "off")
REMINDER_LABELS = {
    "each": _l("Nhắc từng lần (14 ngày, 3 ngày trước hạn và khi quá hạn)"),
    "weekly": _l("Một email tổng hợp mỗi tuần"),
    "off": _l("Không nhận email nhắc học"),
}
EMAIL_VERIFIER = "lms.email_verifier"


def reminder_options(user: User) -> tuple[str, ...]:
    """Officials (and staff, who are officials too) cannot turn off the reminders of
    their required courses, only choose a weekly summary; learners opt in."""
    if user.audience == "official":
        return ("each", "weekly")
    return REMINDER_CHOICES


def reminder_choice(user: User) -> str:
    """The stored choice, or the default: officials are reminded of each due date,
    citizens and businesses get nothing until they opt in."""
    if user.reminders in reminder_options(user):
        return user.reminders
    return "each" if user.audience == "official" else "off"


def set_reminders(user: User, choice: str) -> None:
    if choice not in reminder_options(user):
        raise AccountError("Cán bộ, công chức, viên chức không tắt được nhắc học các khóa "
                           "bắt buộc; có thể chọn nhận một email tổng hợp mỗi tuần.",
                           "reminders")
    user.reminders = choice


def can_edit_name(user: User) -> bool:
    """An official's name is HR's roster record (and printed on certificates): HR
    corrects it. Citizens and businesses fix their own."""
    return user.role in ("citizen", "business")


def _check_password(user: User, password: str | None) -> None:
    if not password:
        raise AccountError("Hãy nhập mật khẩu hiện tại để đổi số điện thoại hoặc email.",
                           "current_password")
    if not user.password_hash or not check_password_hash(user.password_hash, password):
        raise AccountError("Mật khẩu hiện tại không đúng.", "current_password")


def update_profile(user: User, *, full_name: str | None, phone: str | None,
                   email: str | None, password: str | None) -> list[str]:
    """Apply the changes; which fields changed ("full_name", "phone", "email" for a
    pending address). The phone number and email are sign-in identifiers: changing
    them needs the current password (ASVS 7.5.1)."""
    changed: list[str] = []
    name = (full_name or "").strip()
    if can_edit_name(user) and name and name != user.full_name:
        user.full_name = name
        changed.append("full_name")
    new_phone = normalise_phone(phone)
    if new_phone != user.phone:
        if not new_phone and not user.email and user.official is None:
            raise AccountError("Tài khoản cần email hoặc số điện thoại để đăng nhập.",
                               "phone")
        if new_phone and not is_valid_phone(new_phone):
            raise AccountError("Số điện thoại gồm 10 hoặc 11 chữ số, bắt đầu bằng 0.", "phone")
        _check_password(user, password)
        other = find_by_identifier(new_phone) if new_phone else None
        if other is not None and other.id != user.id:
            raise AccountError("Số điện thoại này đã được dùng cho một tài khoản khác.",
                               "phone")
        user.phone = new_phone
        changed.append("phone")
    new_email = normalise_email(email)
    if new_email and new_email != user.email and email_change_available():
        if len(new_email) > 255 or not EMAIL.match(new_email):
            raise AccountError("Email không đúng dạng, ví dụ: ten@gmail.com.", "email")
        _check_password(user, password)
        other = find_by_identifier(new_email)
        if other is not None and other.id != user.id:
            raise AccountError("Email này đã được dùng cho một tài khoản khác.", "email")
        request_email_change(user, new_email)
        changed.append("email")
    return changed


# --- the email change, verified by the mail package ------------------------------------


def register_email_verifier(app: Flask, send: Callable[[User, str], None]) -> None:
    """The mail package's hook: ``send(user, new_email)`` queues a message with a
    single-use link to the new address, whose route calls confirm_email_change()."""
    app.extensions[EMAIL_VERIFIER] = send


def _email_verifier() -> Callable[[User, str], object] | None:
    """The registered sender; None while no mail package has registered one."""
    return current_app.extensions.get(EMAIL_VERIFIER)


def email_change_available() -> bool:
    return _email_verifier() is not None


def request_email_change(user: User, new_email: str) -> None:
    """Keep ``new_email`` pending and queue its verification link (same transaction)."""
    sender = _email_verifier()
    if sender is None:  # the form offers no email field then
        raise AccountError("Chưa đổi được email: hệ thống chưa gửi được thư xác nhận.",
                           "email")
    user.pending_email = new_email
    user.pending_email_at = utcnow()
    sender(user, new_email)


def confirm_email_change(user: User, new_email: str) -> None:
    """The new address was proven (its owner followed the link): use it from now on.
    ``new_email`` is the address the link was made for; a later request replaces it."""
    if not user.pending_email or normalise_email(new_email) != user.pending_email:
        raise AccountError("Đường dẫn này không còn dùng được: email chờ xác nhận đã "
                           "thay đổi.", "email")
    other = find_by_identifier(user.pending_email)
    if other is not None and other.id != user.id:
        raise AccountError("Email này đã được dùng cho một tài khoản khác.", "email")
    user.email = user.pending_email
    user.pending_email = None
    user.pending_email_at = None


def cancel_email_change(user: User) -> None:
    user.pending_email = None
    user.pending_email_at = None
