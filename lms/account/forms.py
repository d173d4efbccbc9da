from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, RadioField, StringField
from wtforms.validators import DataRequired, Length, Optional

from lms.auth.logic import PASSWORD_MAX


def _code_field(label) -> StringField:
    return StringField(
        label,
        validators=[DataRequired(_l("Hãy nhập mã.")), Length(max=64)],
        render_kw={"autocomplete": "one-time-code", "autocapitalize": "none",
                   "spellcheck": "false"},
    )


def _password_field() -> PasswordField:
    return PasswordField(
        _l("Mật khẩu"),
        validators=[DataRequired(_l("Hãy nhập mật khẩu.")), Length(max=PASSWORD_MAX)],
        render_kw={"autocomplete": "current-password"},
    )


class VerifyForm(FlaskForm):
    """The second step of signing in."""

    code = _code_field(_l("Mã xác thực (6 chữ số) hoặc mã dự phòng"))
    next = HiddenField()


class SetupForm(FlaskForm):
    code = StringField(
        _l("Mã 6 chữ số đang hiện trong ứng dụng"),
        validators=[DataRequired(_l("Hãy nhập mã.")), Length(max=64)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )
    next = HiddenField()


class DisableForm(FlaskForm):
    password = _password_field()
    code = _code_field(_l("Mã xác thực hoặc mã dự phòng"))


class RecoveryCodesForm(FlaskForm):
    code = _code_field(_l("Mã xác thực hiện tại"))


class ProfileForm(FlaskForm):
    full_name = StringField(
        _l("Họ và tên"),
        validators=[Optional(), Length(max=255)],
        render_kw={"autocomplete": "name"},
    )
    phone = StringField(
        _l("Số điện thoại"),
        validators=[Optional(), Length(max=20)],
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
    )
    email = StringField(
        _l("Email mới"),
        validators=[Optional(), Length(max=255)],
        render_kw={"autocomplete": "email", "type": "email", "autocapitalize": "none"},
    )
    current_password = PasswordField(
        _l("Mật khẩu hiện tại (cần khi đổi số điện thoại hoặc email)"),
        validators=[Optional(), Length(max=PASSWORD_MAX)],
        render_kw={"autocomplete": "current-password"},
    )


class RemindersForm(FlaskForm):
    reminders = RadioField(_l("Nhắc học qua email"), validators=[DataRequired()])


class ResetForm(FlaskForm):
    """An admin resetting someone's second factor: the CSRF token only."""
