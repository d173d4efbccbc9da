from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db
from lms.util.time import utcnow


class OutboxMessage(db.Model):
    """One email to one address, queued with the change that causes it.

    ``key`` names the event ("password-reset:42"): queueing the same key again does
    nothing, so a message is never queued twice. A ``mail send`` process claims due
    messages by writing its ``claim_token`` and a lease (``claimed_until``) in one
    conditional UPDATE, so two processes never send the same message. Once a message
    is sent or given up, its bodies are erased (they may hold a one-time link).
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (
        # The due messages, oldest first: unsent, not given up, send_after passed.
        Index("ix_outbox_messages_due", "sent_at", "failed_at", "send_after"),
        Index("ix_outbox_messages_to_address", "to_address"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    to_address: Mapped[str] = mapped_column(String(255))
    to_name: Mapped[str] = mapped_column(String(255), default="")
    subject: Mapped[str] = mapped_column(String(255))
    text_body: Mapped[str] = mapped_column(Text, default="")
    html_body: Mapped[str] = mapped_column(Text, default="")
    # Extra headers as JSON ({"List-Unsubscribe": "<https://…>"}), checked when queued.
    headers: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    send_after: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    last_attempt_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    # The lease of the `mail send` process that is sending it (None: nobody is).
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.key}>"


class UndeliverableAddress(db.Model):
    """An address the mail server refused permanently (5xx): HR sees
    "email không gửi được" next to it. A later message accepted for the address
    removes the mark."""

    __tablename__ = "undeliverable_addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Lower case, as queued.
    address: Mapped[str] = mapped_column(String(255), unique=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    marked_at: Mapped[datetime] = mapped_column(default=utcnow)
