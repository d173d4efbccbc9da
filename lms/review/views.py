"""The review queue (admins and province reviewers) and the training classes of HR.

/review…   the province: the queue, a class with its records, loose records, decisions.
/classes…  HR officers (their classes) and admins: a class's records and its scan.
The scan itself (/classes/<id>/evidence) is for reviewers, admins and the HR officers
who see the class.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from lms.auth.permissions import manager_required, reviewer_required, scope_of
from lms.extensions import db
from lms.learning.evidence import EvidenceError, counted_statuses
from lms.learning.models import ExternalTraining, TrainingClass
from lms.org.labels import review_status_names
from lms.review import logic
from lms.review.forms import DecisionForm, EvidenceForm
from lms.util.urls import attachment, is_safe_next

bp = Blueprint("review", __name__)

# Multipart framing around the file: headers, the CSRF token, boundaries.
FORM_OVERHEAD = 64 * 1024


@bp.url_value_preprocessor
def limit_evidence_upload(endpoint: str | None, _values: dict | None) -> None:
    """A scan larger than LMS_EVIDENCE_MAX_BYTES is refused before it is read (CSRF
    protection reads the whole form in a before_request function, so here)."""
    if endpoint == "review.upload_evidence" and request.method == "POST":
        request.max_content_length = (current_app.config["LMS_EVIDENCE_MAX_BYTES"]
                                      + FORM_OVERHEAD)
        if (request.content_length or 0) > request.max_content_length:
            abort(413)


@bp.errorhandler(413)
def evidence_too_large(_error):
    limit = current_app.config["LMS_EVIDENCE_MAX_BYTES"] / (1024 * 1024)
    return render_template(
        "errors/error.html", code=413, title=_("Tệp quá lớn"),
        message=_("Bản quét lớn hơn %(mb)s MB. Hãy quét với độ phân giải thấp hơn (150-200 "
                  "dpi là đủ đọc) hoặc chỉ giữ các trang cần thiết.", mb=f"{limit:g}")), 413


def _class_or_404(class_id: int) -> TrainingClass:
    training_class = db.session.get(TrainingClass, class_id)
    if training_class is None:
        abort(404)
    return training_class


def _back(default: str):
    target = request.form.get("next", "")
    return redirect(target if is_safe_next(target) else default)


# --- the province's queue ------------------------------------------------------------


@bp.get("/review")
@reviewer_required
def queue():
    in_class, loose = logic.waiting_counts()
    page = logic.queued_classes(request.args.get("page", 1, type=int))
    return render_template("review/queue.html", page=page, in_class=in_class, loose=loose,
                           declared_counted="declared" in counted_statuses())


@bp.get("/review/records")
@reviewer_required
def records():
    page = logic.loose_records(request.args.get("page", 1, type=int))
    return render_template("review/records.html", page=page, form=DecisionForm(),
                           statuses=review_status_names())


@bp.get("/review/classes/<int:class_id>")
@reviewer_required
def review_class(class_id: int):
    training_class = _class_or_404(class_id)
    page = logic.class_records(training_class, request.args.get("page", 1, type=int))
    return render_template("review/class.html", training_class=training_class, page=page,
                           counts=logic.status_counts(training_class), form=DecisionForm(),
                           statuses=review_status_names())


def _decision(status: str, apply, default: str):
    form = DecisionForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        for error in form.reason.errors:
            flash(error, "warning")
        return _back(default)
    try:
        changed = apply(form.reason.data)
    except logic.ReviewError as error:
        db.session.rollback()
        flash(str(error), "warning")
        return _back(default)
    db.session.commit()
    if status == "verified":
        flash(_("Đã xác minh %(n)d hồ sơ.", n=changed), "success")
    else:
        flash(_("Đã từ chối %(n)d hồ sơ.", n=changed), "success")
    return _back(default)


@bp.post("/review/classes/<int:class_id>/<any(verify, reject):decision>")
@reviewer_required
def decide_class(class_id: int, decision: str):
    training_class = _class_or_404(class_id)
    status = "verified" if decision == "verify" else "rejected"
    return _decision(status, lambda reason: logic.decide_class(
        training_class, status, current_user, reason),
        url_for("review.review_class", class_id=class_id))


@bp.post("/review/records/<int:record_id>/<any(verify, reject):decision>")
@reviewer_required
def decide_record(record_id: int, decision: str):
    record = db.session.get(ExternalTraining, record_id)
    if record is None:
        abort(404)
    status = "verified" if decision == "verify" else "rejected"
    default = (url_for("review.review_class", class_id=record.training_class_id)
               if record.training_class_id else url_for("review.records"))
    return _decision(status, lambda reason: logic.decide_record(
        record, status, current_user, reason), default)


# --- HR's classes and the evidence ---------------------------------------------------


@bp.get("/classes")
@manager_required
def classes():
    page = logic.classes_for(scope_of(current_user), current_user.id,
                             request.args.get("page", 1, type=int))
    return render_template("review/classes.html", page=page, statuses=review_status_names())


@bp.get("/classes/records")
@manager_required
def hr_records():
    """The unit's classroom records without a class, with the province's decisions."""
    page = logic.unit_loose_records(scope_of(current_user), request.args.get("page", 1, type=int))
    return render_template("review/hr_records.html", page=page,
                           statuses=review_status_names())


def _visible_class_or_404(class_id: int) -> TrainingClass:
    training_class = _class_or_404(class_id)
    scope = None if current_user.can_review else scope_of(current_user)
    if not logic.can_see_class(current_user, training_class, scope):
        abort(404)  # no hint that another unit's class exists
    return training_class


def _class_page(training_class: TrainingClass, form: EvidenceForm, status: int = 200):
    scope = scope_of(current_user)
    page = logic.class_records(training_class, request.args.get("page", 1, type=int), scope)
    return render_template(
        "review/hr_class.html", training_class=training_class, page=page,
        counts=logic.status_counts(training_class, scope), form=form,
        can_attach=logic.can_attach(current_user, training_class),
        statuses=review_status_names()), status


@bp.get("/classes/<int:class_id>")
@manager_required
def hr_class(class_id: int):
    return _class_page(_visible_class_or_404(class_id), EvidenceForm())


@bp.post("/classes/<int:class_id>/evidence")
@manager_required
def upload_evidence(class_id: int):
    training_class = _visible_class_or_404(class_id)
    if not logic.can_attach(current_user, training_class):
        abort(403)
    form = EvidenceForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        return _class_page(training_class, form, 400)
    upload = form.file.data
    try:
        back = logic.attach_evidence(training_class, upload.read(), upload.filename or "",
                                     current_user)
    except EvidenceError as error:
        db.session.rollback()
        form.file.errors = [str(error)]
        return _class_page(training_class, form, 400)
    db.session.commit()
    flash(_("Đã đính kèm bản quét."), "success")
    if back:
        flash(_("%(n)d hồ sơ đã xác minh trở về trạng thái tự khai: tỉnh xác minh lại theo "
                "bản quét mới.", n=back), "warning")
    return redirect(url_for("review.hr_class", class_id=class_id))


@bp.get("/classes/<int:class_id>/evidence")
@login_required
def evidence(class_id: int):
    """The scan: for reviewers and admins, and the HR officers who see the class."""
    if not (current_user.can_review or current_user.can_manage):
        abort(403)
    training_class = _visible_class_or_404(class_id)
    if not training_class.has_evidence:
        abort(404)
    data = db.session.scalar(select(TrainingClass.evidence).where(
        TrainingClass.id == training_class.id))
    response = Response(data, mimetype=training_class.evidence_mimetype,
                        headers=attachment(training_class.evidence_filename or "ban-quet"))
    response.headers["X-Content-SHA256"] = training_class.evidence_sha256
    # What is served is only ever a PDF or an image (checked on upload); still, nothing
    # in it may run as this site.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
