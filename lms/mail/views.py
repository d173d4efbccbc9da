"""No pages of its own: what admin pages say about the outbox."""

from __future__ import annotations

from flask import Blueprint

from lms.mail.logic import outbox_notice

bp = Blueprint("mail", __name__)


@bp.app_context_processor
def outbox_notice_helper():
    """``outbox_notice()`` for templates/mail/_outbox_notice.html: queried only where
    a page includes it."""
    return {"outbox_notice": outbox_notice}
