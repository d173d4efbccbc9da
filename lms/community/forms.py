from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from lms.auth.logic import PASSWORD_MAX, PASSWORD_MIN


class MemberForm(FlaskForm):
    full_name = StringField(_l("Họ và tên"), validators=[
        DataRequired(_l("Hãy nhập họ và tên.")), Length(max=255)])
    phone = StringField(_l("Số điện thoại"), validators=[Optional(), Length(max=20)],
                        render_kw={"inputmode": "tel", "autocomplete": "off"})
    team_role = SelectField(_l("Vai trò trong tổ"), choices=[
        SelectChoice("member", _l("Thành viên")), SelectChoice("leader", _l("Tổ trưởng")),
        SelectChoice("deputy", _l("Tổ phó"))])
    employee_code = StringField(_l("Mã cán bộ (nếu là cán bộ, công chức)"),
                                validators=[Optional(), Length(max=64)])


class RegisterCitizenForm(FlaskForm):
    full_name = StringField(_l("Họ và tên"), validators=[
        DataRequired(_l("Hãy nhập họ và tên.")), Length(max=255)],
        render_kw={"autocomplete": "off"})
    phone = StringField(_l("Số điện thoại"), validators=[Optional(), Length(max=20)],
                        render_kw={"inputmode": "tel", "autocomplete": "off"})
    citizen_id = StringField(_l("Số định danh cá nhân (CCCD, 12 số)"),
                             validators=[Optional(), Length(max=20)],
                             render_kw={"inputmode": "numeric", "autocomplete": "off"})
    consent = BooleanField(_l("Người dân đã nghe Thông báo xử lý dữ liệu cá nhân và đồng ý "
                              "trực tiếp trước tôi"))


class ClassForm(FlaskForm):
    held_on = DateField(_l("Ngày học"), validators=[DataRequired(_l("Hãy nhập ngày học."))])
    place = StringField(_l("Địa điểm"), validators=[
        DataRequired(_l("Hãy nhập địa điểm.")), Length(max=255)])
    course = SelectField(_l("Khóa học"), choices=[], validate_choice=False)
    topic = StringField(_l("Hoặc chủ đề (khi không theo khóa học nào)"),
                        validators=[Optional(), Length(max=255)])
    people = TextAreaField(_l("Người dự lớp: số điện thoại hoặc số CCCD, mỗi dòng một người"),
                           validators=[Length(max=50_000)], render_kw={"rows": 6})


class UploadForm(FlaskForm):
    file = FileField(_l("Tệp CSV hoặc XLSX"), validators=[
        FileRequired(_l("Hãy chọn một tệp.")),
        FileAllowed(["csv", "xlsx"], _l("Chỉ nhận tệp .csv hoặc .xlsx."))])


class ConfirmForm(FlaskForm):
    """Confirming a preview or an action: only its CSRF token."""


class ActivateForm(FlaskForm):
    code = StringField(_l("Mã kích hoạt (trên phiếu tổ công nghệ số đưa cho bạn)"),
                       validators=[DataRequired(_l("Hãy nhập mã kích hoạt.")),
                                   Length(max=20)],
                       render_kw={"autocomplete": "one-time-code", "autocapitalize": "characters"})
    phone = StringField(_l("Số điện thoại (để đăng nhập, nếu khi đăng ký chưa có)"),
                        validators=[Optional(), Length(max=20)],
                        render_kw={"inputmode": "tel", "autocomplete": "tel"})
    password = PasswordField(_l("Mật khẩu mới (ít nhất 8 ký tự)"), validators=[
        DataRequired(_l("Hãy nhập mật khẩu.")),
        Length(min=PASSWORD_MIN, max=PASSWORD_MAX,
               message=_l("Mật khẩu cần từ %(min)d đến %(max)d ký tự.",
                          min=PASSWORD_MIN, max=PASSWORD_MAX))],
        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Nhập lại mật khẩu"), validators=[
        DataRequired(_l("Hãy nhập lại mật khẩu.")),
        EqualTo("password", _l("Hai mật khẩu không khớp."))],
        render_kw={"autocomplete": "new-password"})
