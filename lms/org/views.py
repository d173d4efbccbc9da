from __future__ import annotations

import io
from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from lms.auth import activation
from lms.auth.permissions import manager_required, scope_of, unit_in_scope_or_404
from lms.courses.models import Course
from lms.extensions import db
from lms.learning.requirements import courses_with_rules
from lms.learning.status import STATES
from lms.mail.logic import undeliverable_among
from lms.org import imports, pending
from lms.org import invitations as invitations_logic
from lms.org.forms import ConfirmForm, UploadForm
from lms.org.history import unit_story
from lms.org.logic import STATUS_FILTERS, ancestors, children_with_counts, officials_page
from lms.org.models import Unit
from lms.org.templates_xlsx import template_workbook
from lms.util.time import local_today
from lms.util.urls import attachment

bp = Blueprint("org", __name__)



@bp.get("/units")
@manager_required
def units():
    scope = scope_of(current_user)
    if scope is None:
        scope = db.session.scalar(select(Unit).where(Unit.parent_id.is_(None)).limit(1))
        if scope is None:
            return render_template("org/no_units.html")
    return redirect(url_for("org.unit", code=scope.code))


@bp.get("/units/<code>")
@manager_required
def unit(code: str):
    unit = unit_in_scope_or_404(code, current_user)
    query = request.args.get("q", "")[:100]
    state = request.args.get("status", "")
    state = state if state in STATUS_FILTERS else ""
    today = local_today()
    page, page_status = officials_page(unit, query, state, request.args.get("page", 1, type=int),
                                       today)
    scope = scope_of(current_user)
    trail = [u for u in ancestors(unit) if scope is None or u.path.startswith(scope.path)]
    return render_template(
        "org/unit.html", unit=unit, trail=trail, children=children_with_counts(unit),
        page=page, status_of=page_status, query=query, state=state, states=STATES,
        today=today, invite_form=ConfirmForm(), rule_courses=courses_with_rules(),
        story=unit_story(unit.id, today),
        undeliverable=undeliverable_among(o.email for o in page.items),
        not_activated=activation.not_activated_among([o.id for o in page.items]),
    )


@bp.get("/units/<code>/invitations")
@manager_required
def confirm_invitations(code: str):
    """Before new links replace the old: how many, and how many sent links stop working."""
    unit = unit_in_scope_or_404(code, current_user)
    return render_template("org/invite_csv.html", unit=unit, form=ConfirmForm(),
                           plan=invitations_logic.link_plan(unit, current_user))


@bp.post("/units/<code>/invitations")
@manager_required
def invitations(code: str):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    unit = unit_in_scope_or_404(code, current_user)
    officials = invitations_logic.invitable(unit, current_user)
    invited = activation.invite(officials, current_user, unit=unit)
    db.session.commit()
    buffer = io.StringIO()
    activation.write_invitations(buffer, invited, request.host_url.rstrip("/"))
    return Response(
        "\ufeff" + buffer.getvalue(),
        mimetype="text/csv",
        headers={**attachment(f"kich-hoat-{unit.code}.csv"), "Cache-Control": "no-store"},
    )


@bp.route("/units/<code>/invitations/email", methods=["GET", "POST"])
@manager_required
def email_invitations(code: str):
    """How many officials a mailing reaches (and who has no email, for the CSV
    route), then, confirmed, a link by email to each."""
    unit = unit_in_scope_or_404(code, current_user)
    form = ConfirmForm()
    if form.validate_on_submit():
        queued = invitations_logic.email_invitations(unit, current_user)
        db.session.commit()
        flash(_("Đã xếp %(n)d thư kích hoạt vào hàng đợi gửi.", n=queued), "success")
        return redirect(url_for("org.unit", code=unit.code))
    return render_template("org/invite_email.html", unit=unit, form=form,
                           plan=invitations_logic.email_plan(unit, current_user),
                           invite_form=ConfirmForm())


@bp.get("/imports/courses")
@manager_required
def course_codes():
    """Every course with the code a training import names it by (its exact title
    works too), each with a copy button (static/js/app.js; the code shows without JS)."""
    courses = db.session.scalars(
        select(Course).where(Course.is_published.is_(True)).order_by(Course.title)).all()
    return render_template("org/course_codes.html", courses=courses)


@bp.route("/imports/<kind>", methods=["GET", "POST"])
@manager_required
def upload(kind: str):
    if kind not in imports.KINDS:
        abort(404)
    if kind == "unit_changes" and not current_user.is_admin:
        abort(403)  # the province's structure is the province's to change
    form = UploadForm()
    if form.validate_on_submit():
        data = form.file.data.read()
        filename = form.file.data.filename or "upload"
        chosen = []
        if kind == "officials" and form.deactivate_missing.data:
            chosen.append("deactivate_missing")
        if kind == "officials" and form.effective.data:
            chosen.append(f"effective={form.effective.data.isoformat()}")
        options = ";".join(chosen)
        result = _run(kind, filename, data, options, dry_run=True)
        token = None
        if result.ok:
            token = pending.stash_upload(current_user.id, kind, filename, data, options)
            db.session.commit()
        return render_template("org/import_preview.html", kind=kind, result=result,
                               token=token, filename=filename, form=ConfirmForm())
    return render_template("org/import_upload.html", kind=kind, form=form)


@bp.post("/imports/confirm/<token>")
@manager_required
def confirm(token: str):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        upload = pending.pending_upload(token, current_user.id)
    except pending.UploadExpired:
        db.session.commit()  # the expired file is deleted
        flash(_("Tệp đã hết hạn, hãy tải lên lại (tệp chờ xác nhận được giữ %(hours)d giờ).",
                hours=pending.PENDING_HOURS), "warning")
        return redirect(url_for("org.units"))
    if upload is None:
        flash(_("Không tìm thấy tệp chờ xác nhận (có thể đã được nhập). Hãy tải lên lại."),
              "warning")
        return redirect(url_for("org.units"))
    kind = upload.kind
    result = _run(kind, upload.filename, upload.content, upload.options, dry_run=False)
    if not result.ok:
        # The data changed since the preview (another import ran): nothing was written.
        db.session.rollback()
        return render_template("org/import_preview.html", kind=kind, result=result,
                               token=None, filename=upload.filename, form=ConfirmForm())
    db.session.delete(upload)
    db.session.commit()
    flash(_("Đã nhập %(n)d dòng: %(summary)s.", n=result.rows, summary=_summary(result)),
          "success")
    return redirect(url_for("org.units"))


@bp.get("/imports/templates/<kind>.xlsx")
@manager_required
def template(kind: str):
    if kind not in imports.KINDS:
        abort(404)
    return send_file(
        io.BytesIO(template_workbook(kind)),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True, download_name=f"mau-{kind}.xlsx",
    )


def _run(kind: str, filename: str, data: bytes, options: str, *, dry_run: bool):
    extra: dict[str, Any] = {}
    for option in filter(None, options.split(";")):
        name, _sep, value = option.partition("=")
        if name == "deactivate_missing":
            extra["deactivate_missing"] = True
        elif name == "effective":
            extra["effective"] = date.fromisoformat(value)
    return imports.run_import(kind, filename, data, scope=scope_of(current_user),
                              dry_run=dry_run, **extra)


def _summary(result: imports.ImportResult) -> str:
    labels = {"created": _("thêm mới"), "updated": _("cập nhật"),
              "unchanged": _("không đổi"), "left": _("nghỉ việc"), "merged": _("sáp nhập"),
              "abolished": _("giải thể")}
    shown = {"officials": ("created", "updated", "unchanged", "left"),
             "unit_changes": ("created", "updated", "merged", "abolished")}.get(
        result.kind, ("created", "updated", "unchanged"))
    return ", ".join(f"{result.counts.get(key, 0)} {labels[key]}" for key in shown)
