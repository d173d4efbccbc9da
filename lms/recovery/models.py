from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db
from lms.util.time import utcnow

PASSWORD_RESET = "password_reset"
VERIFY_EMAIL = "verify_email"


class EmailLink(db.Model):
    """A single-use link mailed to ``email`` for ``user_id``.

    Only the token's SHA-256 is stored: a copy of the database opens no link. A new
    link of the same purpose ends the user's earlier ones; a link is bound to the
    address it was sent to, so it stops working if the account's address changes.
    """

    __tablename__ = "email_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    email: Mapped[str] = mapped_column(String(255))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
