"""Pages of the commune teams, citizens' coverage and its exports and API."""

from __future__ import annotations

import io
from functools import wraps

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import SelectChoice

from lms.audit import logic as audit
from lms.auth.logic import AccountError
from lms.auth.permissions import scope_of
from lms.community import coverage as coverage_logic
from lms.community import exports, imports, logic
from lms.community.forms import (
    ActivateForm,
    ClassForm,
    ConfirmForm,
    MemberForm,
    RegisterCitizenForm,
    UploadForm,
)
from lms.community.models import TeamMember
from lms.extensions import csrf, db, limiter
from lms.org import pending
from lms.org.logic import is_within, unit_by_code
from lms.org.models import Unit
from lms.reports import tokens
from lms.reports.logic import ReportError, parse_as_of
from lms.util.time import local_today
from lms.util.urls import attachment

bp = Blueprint("community", __name__, url_prefix="/community")
api = Blueprint("community_api", __name__, url_prefix="/api/v1/community")
csrf.exempt(api)  # token-authenticated, no browser session


def team_page_required(view):
    """Admins, HR officers and community helpers (each sees only their communes)."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if current_user.role not in logic.TEAM_PAGE_ROLES:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def _commune_or_404(code: str) -> Unit:
    """The commune, if the user may see it; 404 otherwise (no hint that it exists)."""
    unit = unit_by_code(code)
    if unit is None or not logic.may_see_commune(current_user, unit):
        abort(404)
    return unit


def _managed_commune_or_404(code: str) -> Unit:
    unit = _commune_or_404(code)
    if not logic.may_manage_team(current_user, unit):
        abort(403)
    return unit


def _coverage_scope() -> Unit | None:
    """The coverage page's unit: ?unit=CODE within the user's scope, else the scope."""
    scope = scope_of(current_user)
    code = request.args.get("unit", "").strip()
    if not code:
        return scope
    unit = unit_by_code(code)
    if unit is None or not is_within(unit.path, scope):
        abort(404)
    return unit


# --- coverage --------------------------------------------------------------------------

@bp.get("")
@team_page_required
def index():
    """Helpers land on their commune; HR and admins on the coverage of their scope."""
    if current_user.role == "community_helper":
        unit = current_user.unit
        if unit is None:
            abort(403)
        return redirect(url_for("community.commune", code=unit.code))
    scope = _coverage_scope()
    report = coverage_logic.coverage(scope)
    return render_template("community/coverage.html", report=report, scope=scope,
                           formats=exports.FORMATS)


@bp.get("/export.<fmt>")
@team_page_required
def export(fmt: str):
    if current_user.role == "community_helper" or fmt not in exports.FORMATS:
        abort(404 if fmt not in exports.FORMATS else 403)
    scope = _coverage_scope()
    export_format = exports.FORMATS[fmt]
    today = local_today()
    report = coverage_logic.coverage(scope, today)
    audit.record("export", target=f"coverage {fmt}: {scope.code if scope else '*'}",
                 unit=scope, detail={"format": fmt, "as_of": today})
    db.session.commit()
    file = exports.CoverageFile(
        report, scope.code if scope else "", scope.name if scope else _("Toàn tỉnh"),
        current_app.config["LMS_ISSUING_BODY"],
        team=lambda: coverage_logic.team_activity_rows(scope))
    return Response(stream_with_context(export_format.chunks(file)),
                    mimetype=export_format.mimetype,
                    headers=attachment(exports.file_name(scope.code if scope else "", today,
                                                         fmt)))


@api.get("/coverage")
def api_coverage():
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    record = tokens.authenticate(token.strip()) if scheme.lower() == "bearer" else None
    if record is None:
        response = jsonify({"error": "missing, unknown or revoked API token "
                                     "(send 'Authorization: Bearer TOKEN')", "status": 401})
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Bearer realm="lms"'
        return response
    code = request.args.get("unit", "").strip()
    try:
        as_of = parse_as_of(request.args.get("as_of"))
    except ReportError as error:
        db.session.commit()
        return jsonify({"error": error.message, "status": 400}), 400
    unit = record.unit
    if code:
        unit = unit_by_code(code)
        if unit is None or not is_within(unit.path, record.unit):
            db.session.commit()
            return jsonify({"error": f"unknown unit {code[:64]!r}", "status": 404}), 404
    report = coverage_logic.coverage(unit, as_of)
    db.session.commit()  # that the token was used
    file = exports.CoverageFile(report, unit.code if unit else "", unit.name if unit else "",
                                current_app.config["LMS_ISSUING_BODY"],
                                team=lambda: coverage_logic.team_activity_rows(unit))
    return jsonify(exports.coverage_json(file))


# --- a commune's team ------------------------------------------------------------------

@bp.get("/c/<code>")
@team_page_required
def commune(code: str):
    unit = _commune_or_404(code)
    report = coverage_logic.coverage(unit)
    return render_template(
        "community/commune.html", unit=unit, row=report.total,
        activity=coverage_logic.team_activity(unit), classes=logic.classes_of(unit, 20),
        manage=logic.may_manage_team(current_user, unit), member_form=MemberForm(),
        confirm_form=ConfirmForm(), role_names=logic.TEAM_ROLE_NAMES)


@bp.get("/c/<code>/citizens")
@team_page_required
def citizens(code: str):
    unit = _commune_or_404(code)
    query = request.args.get("q", "")[:100]
    page = logic.citizens_page(unit, query, request.args.get("page", 1, type=int))
    return render_template("community/citizens.html", unit=unit, page=page, query=query)


@bp.post("/c/<code>/members")
@team_page_required
def add_member(code: str):
    unit = _managed_commune_or_404(code)
    form = MemberForm()
    if form.validate_on_submit():
        try:
            logic.add_member(unit, full_name=form.full_name.data, phone=form.phone.data,
                             team_role=form.team_role.data,
                             employee_code=form.employee_code.data)
        except AccountError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("Đã thêm %(name)s vào tổ.", name=form.full_name.data.strip()), "success")
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
    return redirect(url_for("community.commune", code=unit.code))


def _member_or_404(unit: Unit, member_id: int) -> TeamMember:
    member = db.session.get(TeamMember, member_id)
    if member is None or member.unit_id != unit.id or member.left_at is not None:
        abort(404)
    return member


@bp.post("/c/<code>/members/<int:member_id>/helper")
@team_page_required
def grant_helper(code: str, member_id: int):
    unit = _managed_commune_or_404(code)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    member = _member_or_404(unit, member_id)
    try:
        granted = logic.grant_helper(member, current_user)
    except AccountError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("community.commune", code=unit.code))
    db.session.commit()
    if granted.code:
        return render_template("community/code.html", unit=unit, person=granted.user,
                               code=logic.format_code(granted.code), helper=True)
    flash(_("%(name)s đã là thành viên hỗ trợ của %(unit)s (đăng nhập lại để dùng).",
            name=member.full_name, unit=unit.name), "success")
    return redirect(url_for("community.commune", code=unit.code))


@bp.post("/c/<code>/members/<int:member_id>/remove")
@team_page_required
def remove_member(code: str, member_id: int):
    unit = _managed_commune_or_404(code)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    member = _member_or_404(unit, member_id)
    logic.remove_member(member)
    db.session.commit()
    flash(_("%(name)s đã rời tổ.", name=member.full_name), "success")
    return redirect(url_for("community.commune", code=unit.code))


# --- what a helper does ------------------------------------------------------------------

@bp.route("/c/<code>/register", methods=["GET", "POST"])
@team_page_required
def register(code: str):
    unit = _commune_or_404(code)
    form = RegisterCitizenForm()
    if form.validate_on_submit():
        try:
            registered = logic.register_in_person(
                unit, current_user, full_name=form.full_name.data, phone=form.phone.data,
                citizen_id=form.citizen_id.data, consent=form.consent.data)
        except AccountError as error:
            db.session.rollback()
            getattr(form, error.field or "full_name").errors.append(error.message)
        else:
            db.session.commit()
            return render_template("community/code.html", unit=unit, person=registered.user,
                                   code=logic.format_code(registered.code), helper=False)
    return render_template("community/register.html", unit=unit, form=form)


def _class_form() -> ClassForm:
    form = ClassForm()
    form.course.choices = [SelectChoice("", _("— Không theo khóa học (nhập chủ đề) —"))] + [
        SelectChoice(slug, title) for slug, title in logic.course_choices()]
    return form


@bp.route("/c/<code>/classes/new", methods=["GET", "POST"])
@team_page_required
def new_class(code: str):
    unit = _commune_or_404(code)
    form = _class_form()
    errors: list[str] = []
    if form.validate_on_submit():
        try:
            plan = logic.check_class(unit, held_on=form.held_on.data, place=form.place.data,
                                     course_text=form.course.data or "",
                                     topic=form.topic.data or "",
                                     people=(form.people.data or "").splitlines())
        except logic.ClassError as error:
            errors = error.messages
        else:
            logic.write_class(unit, current_user, plan)
            db.session.commit()
            flash(_("Đã ghi lớp ngày %(d)s: %(n)d người dự.",
                    d=plan.held_on.strftime("%d/%m/%Y"), n=len(plan.user_ids)), "success")
            return redirect(url_for("community.commune", code=unit.code))
    return render_template("community/class_form.html", unit=unit, form=form, errors=errors,
                           today=local_today())


@bp.route("/c/<code>/classes/import", methods=["GET", "POST"])
@team_page_required
def import_attendance(code: str):
    unit = _commune_or_404(code)
    form = UploadForm()
    if form.validate_on_submit():
        data = form.file.data.read()
        filename = form.file.data.filename or "upload"
        result = imports.import_attendance(filename, data, unit=unit, helper=current_user,
                                           dry_run=True)
        token = None
        if result.ok:
            token = pending.stash_upload(current_user.id, "attendance", filename, data,
                                         f"unit={unit.code}")
            db.session.commit()
        return render_template("community/import_preview.html", kind="attendance",
                               unit=unit, result=result, token=token, filename=filename,
                               form=ConfirmForm())
    return render_template("community/import_upload.html", kind="attendance", unit=unit,
                           form=form)


@bp.route("/population/import", methods=["GET", "POST"])
@team_page_required
def import_population():
    if current_user.role not in ("admin", "unit_manager"):
        abort(403)
    form = UploadForm()
    if form.validate_on_submit():
        data = form.file.data.read()
        filename = form.file.data.filename or "upload"
        result = imports.import_population(filename, data, scope=scope_of(current_user),
                                           dry_run=True)
        token = None
        if result.ok:
            token = pending.stash_upload(current_user.id, "population", filename, data)
            db.session.commit()
        return render_template("community/import_preview.html", kind="population", unit=None,
                               result=result, token=token, filename=filename,
                               form=ConfirmForm())
    return render_template("community/import_upload.html", kind="population", unit=None,
                           form=form)


@bp.post("/imports/confirm/<token>")
@team_page_required
def confirm_import(token: str):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        upload = pending.pending_upload(token, current_user.id)
    except pending.UploadExpired:
        db.session.commit()
        flash(_("Tệp đã hết hạn, hãy tải lên lại (tệp chờ xác nhận được giữ %(hours)d giờ).",
                hours=pending.PENDING_HOURS), "warning")
        return redirect(url_for("community.index"))
    if upload is None or upload.kind not in imports.KINDS:
        flash(_("Không tìm thấy tệp chờ xác nhận (có thể đã được nhập). Hãy tải lên lại."),
              "warning")
        return redirect(url_for("community.index"))
    unit = None
    if upload.kind == "attendance":
        unit = _commune_or_404(upload.options.partition("=")[2])
        result = imports.import_attendance(upload.filename, upload.content, unit=unit,
                                           helper=current_user)
    else:
        if current_user.role not in ("admin", "unit_manager"):
            abort(403)
        result = imports.import_population(upload.filename, upload.content,
                                           scope=scope_of(current_user))
    if not result.ok:
        db.session.rollback()  # the data changed since the preview: nothing was written
        return render_template("community/import_preview.html", kind=upload.kind, unit=unit,
                               result=result, token=None, filename=upload.filename,
                               form=ConfirmForm())
    db.session.delete(upload)
    db.session.commit()
    flash(_("Đã nhập %(n)d dòng.", n=result.rows), "success")
    if unit is not None:
        return redirect(url_for("community.commune", code=unit.code))
    return redirect(url_for("community.index"))


TEMPLATES = {
    "attendance": ([c.label for c in imports.ATTENDANCE_COLUMNS],
                   ["15/11/2026", "Nhà văn hóa xóm 3", "", "Cài đặt VNeID", "0912345678", "",
                    "Nguyễn Văn An"]),
    "population": ([c.label for c in imports.POPULATION_COLUMNS],
                   ["X-NGHILOC", "2026", "12500", "Chi cục Thống kê, niên giám 2025"]),
}


@bp.get("/templates/<kind>.csv")
@team_page_required
def template(kind: str):
    if kind not in TEMPLATES:
        abort(404)
    headers, example = TEMPLATES[kind]
    buffer = io.StringIO()
    buffer.write("\ufeff" + ",".join(headers) + "\n" + ",".join(example) + "\n")
    return send_file(io.BytesIO(buffer.getvalue().encode("utf-8")), mimetype="text/csv",
                     as_attachment=True, download_name=f"mau-{kind}.csv")


# --- activation of an account made in person -------------------------------------------

def _activate_limit():
    return current_app.config["LMS_ACTIVATE_LIMIT"]


@bp.route("/activate", methods=["GET", "POST"])
@limiter.limit(_activate_limit, methods=["POST"], scope="community-activate")
def activate():
    """A citizen (or a new helper) registered in person chooses a password with the code
    printed for them."""
    form = ActivateForm()
    if form.validate_on_submit():
        try:
            user = logic.activate(form.code.data, form.phone.data, form.password.data)
        except AccountError as error:
            db.session.rollback()
            getattr(form, error.field or "code").errors.append(error.message)
        else:
            db.session.commit()
            flash(_("Đã kích hoạt tài khoản. Hãy đăng nhập bằng số điện thoại %(phone)s và mật "
                    "khẩu vừa chọn.", phone=user.phone), "success")
            return redirect(url_for("auth.login"))
    return render_template("community/activate.html", form=form)
