from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField


class FreezeForm(FlaskForm):
    """Chốt số liệu: the report's parameters and the CSRF token."""

    unit = HiddenField()
    as_of = HiddenField()
    cycle = HiddenField()
    structure = HiddenField()
