"""Officials who leave (status "left") lose their roles and their sessions.

Their learning record stays. Whether they may still sign in as a learner is the
province's choice (LMS_LEFT_OFFICIALS_CAN_SIGN_IN, off by default): a person who
left should not keep reading the roster of the unit they managed. That rule is part of
signing in (lms.auth.logic.may_sign_in); this module only reacts to the roster, so it
depends on lms.auth.logic and never the other way round.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from lms.audit import logic as audit
from lms.auth.logic import end_sessions
from lms.auth.models import User
from lms.extensions import db
from lms.org.models import Official
from lms.org.signals import officials_left


def retire(official_ids: Iterable[int]) -> int:
    """For these officials, where their record now says left: every role but learner is
    taken away and every session and remembered browser ends. Flushes; returns how
    many accounts changed."""
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
