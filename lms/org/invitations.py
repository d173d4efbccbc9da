"""Activation links for a unit's officials: downloaded as CSV, or mailed to each
official who has an email on the roster (through the outbox, lms/mail)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from lms.audit import logic as audit
from lms.auth import activation
from lms.auth.models import User
from lms.mail import logic as mail
from lms.org.models import Official, Unit


def invitable(unit: Unit, user: User) -> list[Official]:
    """The officials of ``unit``'s subtree who cannot sign in yet and whom ``user``
    may send a link. A link sets the password of the account behind it: an HR
    officer must not hold one for an account the admin gave more rights (admin,
    unit_manager), so only the admin invites those."""
    officials = activation.officials_without_password(unit)
    if not user.is_admin:
        officials = [o for o in officials if o.user is None or o.user.role == "official"]
    return officials


@dataclass
class LinkPlan:
    """What downloading a unit's activation links would do, shown before it is done."""

    officials: list[Official]  # who gets a new link (the CSV's rows)
    replaced: dict[int, datetime]  # of them, who holds a working link that stops working
    admin_only: int  # officials without a password an HR officer may not send a link to

    @property
    def latest_expiry(self) -> datetime | None:
        return max(self.replaced.values(), default=None)


def link_plan(unit: Unit, user: User) -> LinkPlan:
    everyone = activation.officials_without_password(unit)
    officials = invitable(unit, user)
    return LinkPlan(officials=officials,
                    replaced=activation.live_links([o.id for o in officials]),
                    admin_only=len(everyone) - len(officials))


@dataclass
class EmailPlan:
    """Who an emailing would reach, shown before anything is sent."""

    with_email: list[Official] = field(default_factory=list)
    without_email: list[Official] = field(default_factory=list)  # for the CSV route
    undeliverable: set[str] = field(default_factory=set)  # addresses refused before


def email_plan(unit: Unit, user: User) -> EmailPlan:
    plan = EmailPlan()
    for official in invitable(unit, user):
        try:
            mail.normalise_address(official.email)
        except ValueError:
            plan.without_email.append(official)
        else:
            plan.with_email.append(official)
    plan.undeliverable = mail.undeliverable_among(o.email for o in plan.with_email)
    return plan


def email_invitations(unit: Unit, user: User) -> int:
    """Make a fresh link for each official with an email and queue a message with
    it; their earlier links stop working. Returns how many were queued."""
    officials = email_plan(unit, user).with_email
    invitations = activation.invite(officials, user, unit=unit)
    queued = 0
    for invitation in invitations:
        official = invitation.official
        key = "activation:" + hashlib.sha256(invitation.token.encode()).hexdigest()[:40]
        queued += mail.queue(
            key, official.email, "activation_invite", name=official.full_name,
            link=mail.external_url("auth.activate_account", token=invitation.token),
            expires_at=invitation.expires_at, employee_code=official.employee_code,
            unit_name=official.unit.name)
    if queued:
        audit.record("activation.email", target=f"{queued} email(s)", unit=unit,
                     detail={"officials": [o.employee_code for o in officials[:50]],
                             "count": queued})
    return queued
