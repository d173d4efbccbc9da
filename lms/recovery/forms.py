from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from lms.auth.forms import ActivateForm


class ForgotPasswordForm(FlaskForm):
    email = StringField(
        _l("Email của tài khoản"),
        validators=[DataRequired(_l("Hãy nhập email.")), Length(max=255)],
        render_kw={"autocomplete": "email", "type": "email", "autocapitalize": "none"},
    )


class ResetPasswordForm(ActivateForm):
    """The new password, twice (the activation form's fields and rules)."""


class ResendForm(FlaskForm):
    """Asking for another verification mail: the CSRF token only."""
