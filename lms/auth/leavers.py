"""Officials who leave (status "left") lose their roles and their sessions.

Their learning record stays. Whether they may still sign in as a learner is the
province's choice (LMS_LEFT_OFFICIALS_CAN_SIGN_IN, off by default): a person who
left should not keep reading the roster of the unit they managed.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app
from sqlalchemy import select

from lms.audit import logic as audit
from lms.auth.models import User
from lms.extensions import db
from lms.org.models import Official
from lms.org.signals import officials_left


def may_sign_in(user: User) -> bool:
    official = db.session.scalar(select(Official.status).where(Official.user_id == user.id))
    return official != "left" or bool(current_app.config["LMS_LEFT_OFFICIALS_CAN_SIGN_IN"])


def retire(official_ids: Iterable[int]) -> int:
    """For these officials, where their record now says left: every role but learner is
    taken away and every session and remembered browser ends. Flushes; returns how
    many accounts changed."""
    from lms.auth.logic import end_sessions

    ids = sorted(set(official_ids))
    changed = 0
    for start in range(0, len(ids), 900):
        users = db.session.scalars(
            select(User).join(Official, Official.user_id == User.id)
            .where(Official.id.in_(ids[start:start + 900]), Official.status == "left"))
        for user in users:
            previous = user.role
            user.role, user.unit_id = "official", None
            end_sessions(user)
            changed += 1
            if previous != "official":
                audit.record("role.grant", target=user.email or str(user.id),
                             detail={"role": "official", "previous": previous,
                                     "reason": "left"})
    db.session.flush()
    return changed


@officials_left.connect
def _on_officials_left(_sender, official_ids: Iterable[int], **_extra) -> None:
    retire(official_ids)
