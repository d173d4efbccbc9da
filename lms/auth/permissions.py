"""Who may see what: roles, and the unit subtree a manager is scoped to."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from lms.org.logic import is_within, unit_by_code
from lms.org.models import Unit


def manager_required(view):
    """Admins and unit HR officers only."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.can_manage:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def reviewer_required(view):
    """Admins and province reviewers: the review of classroom training records."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.can_review:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def report_reader_required(view):
    """The compliance report's page: HR officers and admins, and province reviewers, who
    see the figures their decisions move (read only: no lists of people, no exports)."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not (current_user.can_manage or current_user.can_review):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def report_scope(user) -> Unit | None:
    """The report's scope: a province reviewer reads the whole province's figures."""
    if user.role == "province_reviewer":
        return None
    return scope_of(user)


def scope_of(user) -> Unit | None:
    """None means the whole province (admin); else the manager's own unit."""
    if user.is_admin:
        return None
    if user.role == "unit_manager" and user.unit is not None:
        return user.unit
    abort(403)


def unit_in_scope_or_404(code: str, user) -> Unit:
    """The unit, if the user may see it; 404 otherwise (no hint that it exists)."""
    unit = unit_by_code(code)
    if unit is None or not is_within(unit.path, scope_of(user)):
        abort(404)
    return unit
