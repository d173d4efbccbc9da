"""The page each role starts on after signing in (when no safe ``next`` says otherwise).

HR officers see their unit, admins the province's report, province reviewers their
queue of classroom records, community helpers their commune's team page; everyone
else, learners, "Khóa học của tôi". One entry per
role in ``LANDINGS``; a role without one lands on the learner's page.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import url_for


def _unit_page(user) -> str | None:
    # An HR officer whose unit was removed has no unit page: their courses, then.
    return url_for("org.unit", code=user.unit.code) if user.unit is not None else None


def _commune_page(user) -> str | None:
    return (url_for("community.commune", code=user.unit.code)
            if user.unit is not None else None)


LANDINGS: dict[str, Callable[[object], str | None]] = {
    "admin": lambda _user: url_for("reports.compliance"),
    "unit_manager": _unit_page,
    "province_reviewer": lambda _user: url_for("review.queue"),
    "community_helper": _commune_page,
}


def landing_url(user) -> str:
    """Where ``user`` starts after signing in."""
    landing = LANDINGS.get(user.role)
    return (landing(user) if landing else None) or url_for("learning.my_learning")
