from __future__ import annotations

import json

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    render_template,
    request,
    stream_with_context,
)
from flask_login import current_user
from sqlalchemy import select

from lms.audit import logic as audit
from lms.auth.permissions import manager_required, scope_of
from lms.extensions import csrf, db
from lms.org.labels import level_names
from lms.org.models import LEVELS, Unit
from lms.reports import charts, exports, tokens
from lms.reports.indicator import (
    compliance_report,
    compliance_reports,
    month_ends,
    percent,
    target_for,
    untrained_officials,
)
from lms.reports.learners import learner_stats
from lms.reports.logic import ReportError, resolve
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
                       request.args.get("cycle"), scope_of(current_user), _root_unit())
    except ReportError as error:
        # In the UI a unit outside the scope is simply not found.
        abort(404 if error.status in (403, 404) else 400)


@bp.get("/reports")
@manager_required
def compliance():
    req = _request_for_user()
    report = compliance_report(req.unit, req.as_of, req.cycle)
    by_level: dict[str, list[int]] = {}
    for row in report.rows:
        totals = by_level.setdefault(row.level, [0, 0])
        totals[0] += row.own_total
        totals[1] += row.own_trained
    names = level_names()
    level_chart = charts.bar_chart(
        [(names.get(level, level), percent(t, n), f"{t}/{n}")
         for level, (n, t) in sorted(by_level.items(), key=lambda kv: LEVELS.index(kv[0])) if n],
        float(target_for(req.unit.level)))
    child_rows = [r for r in report.rows if r.depth == 1]
    unit_chart = charts.bar_chart(
        [(r.unit_name, r.percent_trained, f"{r.officials_trained}/{r.officials_total}")
         for r in child_rows], float(target_for(req.unit.level)))
    return render_template("reports/compliance.html", req=req, report=report,
                           level_chart=level_chart, unit_chart=unit_chart)


@bp.get("/reports/trend.svg")
@manager_required
def trend():
    req = _request_for_user()
    series = [(r.as_of, r.root.percent_trained) for r in
              compliance_reports(req.unit, month_ends(req.as_of), req.cycle)]
    chart = charts.trend_chart(series, float(target_for(req.unit.level)))
    response = Response(render_template("reports/trend.svg", chart=chart),
                        mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "private, max-age=600"
    return response


@bp.get("/reports/untrained")
@manager_required
def untrained():
    req = _request_for_user()
    total = compliance_report(req.unit, req.as_of, req.cycle).root.officials_remaining
    pages = max((total + UNTRAINED_PER_PAGE - 1) // UNTRAINED_PER_PAGE, 1)
    # Past the end means the last page (an OFFSET of 10**30 fits no database integer).
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    people = list(untrained_officials(req.unit, req.as_of, req.cycle,
                                      limit=UNTRAINED_PER_PAGE,
                                      offset=(page - 1) * UNTRAINED_PER_PAGE))
    return render_template("reports/untrained.html", req=req, people=people, total=total,
                           page=page, pages=pages)


@bp.get("/reports/untrained.csv")
@manager_required
def untrained_csv():
    """Every untrained official of the subtree, streamed row by row (constant memory)."""
    req = _request_for_user()
    _audit_export("untrained.csv", req)
    rows = exports.untrained_values(untrained_officials(req.unit, req.as_of, req.cycle))
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
    if fmt not in ("csv", "xlsx", "json"):
        abort(404)
    _audit_export(fmt, req)
    report = compliance_report(req.unit, req.as_of, req.cycle)
    name = f"bao-cao-ky-nang-so-{req.unit.code}-{req.as_of.isoformat()}"
    if fmt == "csv":
        return Response(
            stream_with_context(exports.csv_stream(exports.report_values(report),
                                                   exports.HEADERS)),
            mimetype="text/csv; charset=utf-8",
            headers=attachment(f"{name}.csv"))
    if fmt == "xlsx":
        data = exports.xlsx_bytes(
            report, req.unit.name, current_app.config["LMS_ISSUING_BODY"],
            untrained_officials(req.unit, req.as_of, req.cycle),
            "theo năm" if req.cycle == "year" else "lũy kế")
        return Response(data, mimetype="application/vnd.openxmlformats-officedocument."
                                       "spreadsheetml.sheet",
                        headers=attachment(f"{name}.xlsx"))
    if fmt == "json":
        return Response(json.dumps(exports.report_json(report, req.unit.code),
                                   ensure_ascii=False),
                        mimetype="application/json",
                        headers=attachment(f"{name}.json"))
    abort(404)


def _audit_export(what: str, req) -> None:
    audit.record("export", target=f"{what}: {req.unit.code} {req.as_of.isoformat()}",
                 unit=req.unit, detail={"format": what, "as_of": req.as_of, "cycle": req.cycle})
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
                      request.args.get("cycle"), record.unit, record.unit)
    except ReportError as error:
        db.session.commit()  # still record that the token was used
        return _api_error(error.status, error.message)
    report = compliance_report(req.unit, req.as_of, req.cycle)
    db.session.commit()
    return jsonify(exports.report_json(report, req.unit.code))
