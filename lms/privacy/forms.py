from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField
from wtforms.validators import DataRequired


class DeleteAccountForm(FlaskForm):
    password = PasswordField(_l("Mật khẩu hiện tại"),
                             validators=[DataRequired(_l("Hãy nhập mật khẩu để xác nhận."))],
                             render_kw={"autocomplete": "current-password"})
    confirm = BooleanField(
        _l("Tôi hiểu: tài khoản sẽ bị xóa thông tin cá nhân và không khôi phục được."),
        validators=[DataRequired(_l("Hãy đánh dấu ô xác nhận."))])
