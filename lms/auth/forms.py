from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from lms.auth.logic import PASSWORD_MAX, PASSWORD_MIN


class LoginForm(FlaskForm):
    identifier = StringField(
        _l("Email, số điện thoại hoặc mã cán bộ"),
        validators=[DataRequired(_l("Hãy nhập email, số điện thoại hoặc mã cán bộ.")),
                    Length(max=255)],
        render_kw={"autocomplete": "username", "autocapitalize": "none"},
    )
    password = PasswordField(
        _l("Mật khẩu"),
        validators=[DataRequired(_l("Hãy nhập mật khẩu.")), Length(max=PASSWORD_MAX)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Ghi nhớ đăng nhập trên máy này"),
                            render_kw={"aria-describedby": "remember-hint"})
    next = HiddenField()


def _password_field(label) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            DataRequired(_l("Hãy nhập mật khẩu.")),
            Length(
                min=PASSWORD_MIN,
                max=PASSWORD_MAX,
                message=_l("Mật khẩu cần từ %(min)d đến %(max)d ký tự.",
                           min=PASSWORD_MIN, max=PASSWORD_MAX),
            ),
        ],
        render_kw={"autocomplete": "new-password", "minlength": PASSWORD_MIN},
    )


class RegisterForm(FlaskForm):
    kind = RadioField(
        _l("Bạn đăng ký với tư cách"),
        choices=[SelectChoice("citizen", _l("Người dân")),
                 SelectChoice("business", _l("Doanh nghiệp, hợp tác xã, hộ kinh doanh"))],
        default="citizen",
        validators=[DataRequired()],
    )
    full_name = StringField(
        _l("Họ và tên (hoặc tên doanh nghiệp)"),
        validators=[DataRequired(_l("Hãy nhập họ và tên.")), Length(max=255)],
        render_kw={"autocomplete": "name"},
    )
    email = StringField(
        _l("Email"),
        validators=[Optional(), Length(max=255)],
        render_kw={"autocomplete": "email", "type": "email", "autocapitalize": "none"},
    )
    phone = StringField(
        _l("Số điện thoại"),
        validators=[Optional(), Length(max=20)],
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
    )
    # Typed and picked from a list of the province's communes (<input list>: a
    # browser without JavaScript or datalist support still takes the typed name,
    # which the server matches without accents or case: lms.auth.views.register).
    commune = StringField(_l("Xã, phường nơi bạn sống hoặc kinh doanh"),
                          validators=[Optional(), Length(max=255)],
                          render_kw={"list": "communes", "autocomplete": "off"})
    tax_code = StringField(_l("Mã số thuế"), validators=[Optional(), Length(max=20)],
                           render_kw={"inputmode": "numeric"})
    business_type = SelectField(
        _l("Loại hình"),
        choices=[SelectChoice("", _l("— Chọn —")),
                 SelectChoice("enterprise", _l("Doanh nghiệp")),
                 SelectChoice("cooperative", _l("Hợp tác xã")),
                 SelectChoice("household", _l("Hộ kinh doanh"))],
        validators=[Optional()],
    )
    password = _password_field(_l("Mật khẩu (ít nhất 8 ký tự)"))
    confirm = PasswordField(
        _l("Nhập lại mật khẩu"),
        validators=[DataRequired(_l("Hãy nhập lại mật khẩu.")),
                    EqualTo("password", _l("Hai mật khẩu không khớp."))],
        render_kw={"autocomplete": "new-password"},
    )
    consent = BooleanField(
        _l("Tôi đã đọc và đồng ý với Thông báo xử lý dữ liệu cá nhân"),
        validators=[DataRequired(_l("Bạn cần đồng ý với thông báo để đăng ký."))],
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Mật khẩu hiện tại"),
        validators=[DataRequired(_l("Hãy nhập mật khẩu hiện tại."))],
        render_kw={"autocomplete": "current-password"},
    )
    password = _password_field(_l("Mật khẩu mới"))
    confirm = PasswordField(
        _l("Nhập lại mật khẩu mới"),
        validators=[DataRequired(_l("Hãy nhập lại mật khẩu mới.")),
                    EqualTo("password", _l("Hai mật khẩu không khớp."))],
        render_kw={"autocomplete": "new-password"},
    )


class ActivateForm(FlaskForm):
    password = _password_field(_l("Chọn mật khẩu (ít nhất 8 ký tự)"))
    confirm = PasswordField(
        _l("Nhập lại mật khẩu"),
        validators=[DataRequired(_l("Hãy nhập lại mật khẩu.")),
                    EqualTo("password", _l("Hai mật khẩu không khớp."))],
        render_kw={"autocomplete": "new-password"},
    )


class DeviceForm(FlaskForm):
    """Signing out one remembered browser, or every other one: the CSRF token only."""
