"""/reminders/unsubscribe/<token>: the one-click link of every reminder mail.

A mail client posts ``List-Unsubscribe=One-Click`` to it (RFC 8058) with no session
and no CSRF token, so this one route is exempt from CSRF: the signed token in the URL
is what authorises it, and all it can do is lower the reminders of that one account.
A browser opening the link (GET) sees a confirmation page first.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request

from lms.extensions import csrf, db
from lms.reminders import logic

bp = Blueprint("reminders", __name__)


@bp.route("/reminders/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str):
    user = logic.user_for_token(token)
    if user is None:
        return render_template("reminders/unsubscribe.html", user=None, done=False), 404
    if request.method == "GET":
        return render_template("reminders/unsubscribe.html", user=user, done=False,
                               official=user.audience == "official")
    logic.unsubscribe(user)
    db.session.commit()
    return render_template("reminders/unsubscribe.html", user=user, done=True,
                           official=user.audience == "official")


csrf.exempt(unsubscribe)
