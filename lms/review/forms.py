from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, TextAreaField
from wtforms.validators import Length, Optional


class DecisionForm(FlaskForm):
    """Verify (no reason needed) or reject (reason required, checked in the logic)."""

    reason = TextAreaField(_l("Lý do từ chối"), validators=[Optional(), Length(max=500)])
    next = HiddenField()


class EvidenceForm(FlaskForm):
    file = FileField(_l("Bản quét quyết định mở lớp hoặc danh sách lớp (PDF, PNG, JPEG)"),
                     validators=[FileRequired(_l("Hãy chọn một tệp."))])
