from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from lms.audit import labels
from lms.audit.logic import AuditFilter, events
from lms.audit.models import AuditEvent
from lms.extensions import db
from lms.org.logic import MAX_PAGE
from lms.org.models import Unit
from lms.util.urls import attachment

bp = Blueprint("audit", __name__, url_prefix="/admin")
DAY_RANGE = (date(1900, 1, 1), date(2999, 12, 31))
# Characters of an event's detail the log's table shows; the whole detail (a training
# import lists every record of its file) is one click away.
DETAIL_SHOWN = 600


def _day(name: str, problems: list[str]) -> date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        problems.append(_("'%(v)s' không phải là ngày (dùng YYYY-MM-DD).", v=raw[:20]))
        return None
    first, last = DAY_RANGE
    if not first <= day <= last:
        # Year 1 and 9999 overflow the time-zone shift (penetration test 2026-11: a 500).
        problems.append(_("Ngày phải trong khoảng %(a)s đến %(b)s.", a=first.isoformat(),
                          b=last.isoformat()))
        return None
    return day


@bp.get("/audit")
@login_required
def log():
    if not current_user.is_admin:
        abort(403)
    problems: list[str] = []
    action = request.args.get("action", "")
    unit_code = request.args.get("unit", "").strip()[:50]
    unit = db.session.scalar(select(Unit).where(Unit.code == unit_code)) if unit_code else None
    if unit_code and unit is None:
        problems.append(_("Không có đơn vị mã '%(c)s'.", c=unit_code))
    actions = labels.action_codes()
    filters = AuditFilter(action=action if action in actions else "",
                          actor=request.args.get("actor", "").strip()[:100], unit=unit,
                          start=_day("from", problems), end=_day("to", problems))
    # Any page past the end is empty; the bound keeps OFFSET within a database integer.
    page = events(filters, min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE))
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("audit/log.html", page=page, filters=filters, actions=actions,
                           action_label=labels.action_label, target_text=labels.target_text,
                           actor_text=labels.actor_text, detail_lines=labels.detail_lines,
                           unit_code=unit_code, problems=problems, args=args,
                           detail_shown=DETAIL_SHOWN)


@bp.get("/audit/<int:event_id>.json")
@login_required
def detail(event_id: int):
    """An event's whole detail, as the JSON it was recorded in."""
    if not current_user.is_admin:
        abort(403)
    event = db.session.get(AuditEvent, event_id)
    if event is None:
        abort(404)
    return Response(event.detail, mimetype="application/json",
                    headers=attachment(f"nhat-ky-{event.id}.json"))
