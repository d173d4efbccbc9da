from __future__ import annotations

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
    stream_with_context,
    url_for,
)
from flask_babel import format_date, format_number
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from lms.audit import logic as audit
from lms.auth.permissions import (
    manager_required,
    report_reader_required,
    report_scope,
    scope_of,
)
from lms.documents.logic import letterhead
from lms.extensions import csrf, db
from lms.org.labels import level_names
from lms.org.logic import is_within
from lms.org.models import LEVELS, Unit
from lms.reports import charts, exports, frozen, tokens
from lms.reports.cache import (
    cached_compliance_report,
    cached_compliance_reports,
    cached_differences,
)
from lms.reports.forms import FreezeForm
from lms.reports.indicator import (
    DECLARED_WARNING_PERCENT,
    StructureError,
    month_ends,
    percent,
    target_for,
    untrained_officials,
)
from lms.reports.learners import learner_stats
from lms.reports.logic import ReportError, resolve
from lms.reports.models import FrozenReport
from lms.util.time import local_today
from lms.util.urls import attachment

bp = Blueprint("reports", __name__)
api = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(api)  # token-authenticated, no browser session

UNTRAINED_PER_PAGE = 50


def _root_unit() -> Unit | None:
    return db.session.scalar(select(Unit).where(Unit.parent_id.is_(None)).limit(1))


def _request_for_user():
    """The report parameters, checked against the signed-in manager's scope."""
    try:
        return resolve(request.args.get("unit"), request.args.get("as_of"),
                       request.args.get("cycle"), report_scope(current_user), _root_unit(),
                       request.args.get("structure"))
    except ReportError as error:
        # In the UI a unit outside the scope is simply not found.
        abort(404 if error.status in (403, 404) else 400)


@bp.get("/reports")
@report_reader_required
def compliance():
    req = _request_for_user()
    try:
        # With what the trained officials rest on: verified, declared or online (issue 18).
        report = cached_compliance_report(req.unit, req.as_of, req.cycle, req.structure,
                                          evidence=True)
    except StructureError as error:
        return render_template("reports/compliance.html", req=req, report=None,
                               absent=str(error), freeze_form=FreezeForm()), 404
    by_level: dict[str, list[int]] = {}
    for row in report.rows:
        totals = by_level.setdefault(row.level, [0, 0])
        totals[0] += row.own_total
        totals[1] += row.own_trained
    names = level_names()
    level_chart = charts.bar_chart(
        [(names.get(level, level), percent(t, n), f"{t}/{n}")
         for level, (n, t) in sorted(by_level.items(),
                                     key=lambda kv: LEVELS.index(kv[0])) if n],
        float(target_for(req.unit.level)))
    child_rows = [r for r in report.rows if r.depth == 1]
    unit_chart = charts.bar_chart(
        [(r.unit_name, r.percent_trained, f"{r.officials_trained}/{r.officials_total}")
         for r in child_rows], float(target_for(req.unit.level)))
    freeze_record = frozen.latest_freeze(req.unit, req.as_of, req.cycle, req.structure)
    changes = cached_differences(freeze_record) if freeze_record is not None else {}
    # Two levels below the unit, or one when two would make the page a long list
    # (a province of districts and communes): the deeper rows are a click away.
    depth = 2 if sum(1 for row in report.rows if row.depth <= 2) <= ROWS_SHOWN else 1
    shown = [row for row in report.rows if row.depth <= depth]
    return render_template("reports/compliance.html", req=req, report=report,
                           shown=shown, shown_depth=depth,
                           deeper=any(row.depth > depth for row in report.rows),
                           level_chart=level_chart, unit_chart=unit_chart,
                           freeze_record=freeze_record, changes=changes, absent=None,
                           freeze_form=FreezeForm(), warning_limit=DECLARED_WARNING_PERCENT,
                           warned=[row for row in shown if row.declared_warning],
                           **_printed(req))


ROWS_SHOWN = 300  # rows of the report page's table, at most, before it shows one level


def _printed(req) -> dict:
    """What a printed report page needs: the unit's letterhead, dated today."""
    today = local_today()
    return {"head": letterhead(req.unit, today), "today": today}


@bp.get("/reports/trend.svg")
@report_reader_required
def trend():
    """The last 12 month ends, restated into today's units so a merge never breaks it."""
    req = _request_for_user()
    try:
        reports = cached_compliance_reports(req.unit, month_ends(req.as_of), req.cycle,
                                            "current")
    except StructureError:
        abort(404)
    series = [(r.as_of, r.root.percent_trained) for r in reports]
    chart = charts.trend_chart(series, float(target_for(req.unit.level)))
    response = Response(render_template("reports/trend.svg", chart=chart),
                        mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "private, max-age=600"
    return response


def _report_or_404(req, evidence: bool = False):
    try:
        return cached_compliance_report(req.unit, req.as_of, req.cycle, req.structure,
                                        evidence=evidence)
    except StructureError:
        abort(404)


@bp.get("/reports/untrained")
@manager_required
def untrained():
    req = _request_for_user()
    total = _report_or_404(req).root.officials_remaining
    pages = max((total + UNTRAINED_PER_PAGE - 1) // UNTRAINED_PER_PAGE, 1)
    # Past the end means the last page (an OFFSET of 10**30 fits no database integer).
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    people = list(untrained_officials(req.unit, req.as_of, req.cycle,
                                      limit=UNTRAINED_PER_PAGE,
                                      offset=(page - 1) * UNTRAINED_PER_PAGE,
                                      structure=req.structure))
    return render_template("reports/untrained.html", req=req, people=people, total=total,
                           page=page, pages=pages, **_printed(req))


@bp.get("/reports/untrained.csv")
@manager_required
def untrained_csv():
    """Every untrained official of the subtree, streamed row by row (constant memory)."""
    req = _request_for_user()
    _report_or_404(req)
    _audit_export("untrained.csv", req)
    rows = exports.untrained_values(untrained_officials(req.unit, req.as_of, req.cycle,
                                                        structure=req.structure))
    name = f"chua-boi-duong-{req.unit.code}-{req.as_of.isoformat()}.csv"
    return Response(stream_with_context(exports.csv_stream(rows, exports.UNTRAINED_HEADERS)),
                    mimetype="text/csv; charset=utf-8",
                    headers=attachment(name))


@bp.get("/reports/learners")
@manager_required
def learners():
    scope = scope_of(current_user)
    return render_template("reports/learners.html", stats=learner_stats(scope))


@bp.get("/reports/export.<fmt>")
@manager_required
def export(fmt: str):
    req = _request_for_user()
    if fmt not in exports.FORMATS:
        abort(404)
    export_format = exports.FORMATS[fmt]
    report = _report_or_404(req, evidence=export_format.shows_evidence)
    _audit_export(fmt, req)
    file = exports.ReportFile(
        report, req.unit.code, report.root.unit_name, current_app.config["LMS_ISSUING_BODY"],
        untrained=lambda: untrained_officials(req.unit, req.as_of, req.cycle,
                                              structure=req.structure))
    return Response(stream_with_context(export_format.chunks(file)),
                    mimetype=export_format.mimetype,
                    headers=attachment(exports.file_name(req.unit.code, req.as_of,
                                                         req.structure, fmt)))


@bp.post("/reports/freeze")
@manager_required
def freeze():
    """Chốt số liệu: store this report as submitted (admins and the unit's HR)."""
    form = FreezeForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        req = resolve(form.unit.data, form.as_of.data, form.cycle.data,
                      scope_of(current_user), None, form.structure.data)
    except ReportError as error:
        abort(404 if error.status in (403, 404) else 400)
    try:
        record = frozen.freeze(req.unit, req.as_of, req.cycle, req.structure)
    except StructureError:
        abort(404)
    db.session.commit()
    flash(_("Đã chốt số liệu ngày %(d)s của %(u)s: %(t)s/%(n)s đã bồi dưỡng.",
            d=format_date(req.as_of, "dd/MM/yyyy"), u=record.unit_name,
            t=format_number(record.officials_trained), n=format_number(record.officials_total)),
          "success")
    return redirect(url_for("reports.frozen_list", unit=req.unit.code))


@bp.get("/reports/frozen")
@manager_required
def frozen_list():
    req = _request_for_user()
    records = frozen.frozen_for([req.unit.id])
    return render_template("reports/frozen.html", req=req, records=records,
                           frozen_at=frozen.frozen_at_text)


@bp.get("/reports/frozen/<int:frozen_id>.<fmt>")
@manager_required
def frozen_download(frozen_id: int, fmt: str):
    record = db.session.get(FrozenReport, frozen_id)
    if record is None or fmt not in exports.FORMATS:
        abort(404)
    unit = db.session.get(Unit, record.unit_id)
    if not is_within(unit.path, scope_of(current_user)):
        abort(404)
    frozen.record_download(record, fmt)
    db.session.commit()
    view = "" if record.structure == "as-of" else "-co-cau-hien-nay"
    name = (f"bao-cao-ky-nang-so-{record.unit_code}-{record.as_of.isoformat()}{view}"
            f"-chot-{record.id}.{fmt}")
    response = Response(record.data(fmt), mimetype=exports.FORMATS[fmt].mimetype,
                        headers=attachment(name))
    response.headers["X-Content-SHA256"] = record.sha256(fmt)
    return response


def _audit_export(what: str, req) -> None:
    audit.record("export", target=f"{what}: {req.unit.code} {req.as_of.isoformat()}",
                 unit=req.unit, detail={"format": what, "as_of": req.as_of, "cycle": req.cycle,
                                        "structure": req.structure})
    db.session.commit()


def _api_error(status: int, message: str):
    response = jsonify({"error": message, "status": status})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="lms"'
    return response


@api.errorhandler(400)
def api_bad_request(_error):
    # e.g. a NUL character in a parameter, refused before the view runs
    return _api_error(400, "malformed request")


@api.get("/reports/compliance")
def api_compliance():
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    record = tokens.authenticate(token.strip()) if scheme.lower() == "bearer" else None
    if record is None:
        return _api_error(401, "missing, unknown or revoked API token "
                               "(send 'Authorization: Bearer TOKEN')")
    try:
        req = resolve(request.args.get("unit"), request.args.get("as_of"),
                      request.args.get("cycle"), record.unit, record.unit,
                      request.args.get("structure"))
        try:
            report = cached_compliance_report(req.unit, req.as_of, req.cycle,
                                              req.structure)
        except StructureError as error:
            raise ReportError(str(error), 404) from None
    except ReportError as error:
        db.session.commit()  # still record that the token was used
        return _api_error(error.status, error.message)
    db.session.commit()
    return jsonify(exports.report_json(report, req.unit.code))
