from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, DateField
from wtforms.validators import Optional


class UploadForm(FlaskForm):
    file = FileField(
        _l("Tệp CSV hoặc XLSX"),
        validators=[FileRequired(_l("Hãy chọn một tệp.")),
                    FileAllowed(["csv", "xlsx"], _l("Chỉ nhận tệp .csv hoặc .xlsx."))],
    )
    effective = DateField(_l("Ngày hiệu lực"), validators=[Optional()])
    deactivate_missing = BooleanField(
        _l("Đánh dấu nghỉ việc những cán bộ của các đơn vị trong tệp nhưng không có trong tệp")
    )


class ConfirmForm(FlaskForm):
    """Confirming a previewed import: the form carries only its CSRF token."""
