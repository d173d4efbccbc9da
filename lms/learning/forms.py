from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length


class CsrfOnlyForm(FlaskForm):
    """A POST button: the form carries only its CSRF token."""


class QuizForm(FlaskForm):
    # The answers themselves are read per question from request.form.
    attempt_id = HiddenField(validators=[DataRequired()])


class VerifyForm(FlaskForm):
    class Meta:
        csrf = False  # a public GET lookup changes nothing

    code = StringField("Mã xác thực", validators=[DataRequired(), Length(max=20)])
