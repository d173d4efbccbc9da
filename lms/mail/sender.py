"""Delivering the outbox (`flask --app lms mail send [--watch]`).

A run claims a batch of due messages with one conditional UPDATE (its claim token and
a lease), commits, and sends them over one SMTP connection, committing each outcome
as soon as the server answers. Two runs, in two processes or on two hosts, never
claim the same message; a run that dies leaves its batch to be claimed again when the
lease ends. The one window left is the server accepting a message and the run dying
before its commit: that message is sent again, with the same Message-ID.

Outcomes:

- accepted: ``sent_at``; the bodies are erased (they may hold a one-time link);
- refused for good (5xx) for the recipient: ``failed_at``, and the address is marked
  undeliverable (HR sees "email không gửi được");
- refused for good for the message (5xx on DATA, an address the server cannot take):
  ``failed_at``;
- refused for now (4xx, or the connection dropped while sending it): tried again
  after 1, 2, 4 … minutes (at most an hour apart), given up after MAX_ATTEMPTS;
- the server cannot be reached, or refuses the sender or the login: the run stops
  and the batch goes back to the queue with the error noted, its tries not counted
  (mail waits while the server is down, however long).
"""

from __future__ import annotations

import logging
import secrets
import smtplib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, or_, select, update

from lms.extensions import db
from lms.mail import smtp
from lms.mail.logic import QUEUED, undeliverable_among
from lms.mail.models import OutboxMessage, UndeliverableAddress
from lms.util.time import utcnow

log = logging.getLogger("lms.mail")

BATCH = 100
LEASE = timedelta(minutes=5)
# A message is not started when less than this is left of the lease, so nobody else
# can claim a message while it is being sent.
LEASE_MARGIN = timedelta(minutes=2)
MAX_ATTEMPTS = 10
FIRST_RETRY_SECONDS = 60
LONGEST_RETRY_SECONDS = 3600
ERROR_MAX = 1000


class NotConfigured(RuntimeError):
    pass


class ServerUnavailable(Exception):
    """The whole run cannot go on (connection, TLS, login, sender refused)."""


class TemporaryFailure(Exception):
    """The connection dropped while one message was being sent."""


@dataclass
class RunResult:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    undeliverable: int = 0
    error: str | None = None  # the server could not be used: the run stopped
    claimed: int = 0
    lost_leases: list[int] = field(default_factory=list)


def retry_delay(attempts: int) -> timedelta:
    """1, 2, 4, 8 … minutes after the n-th temporary failure, at most an hour."""
    return timedelta(seconds=min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0),
                                 LONGEST_RETRY_SECONDS))


def _due(now):
    return QUEUED & (OutboxMessage.send_after <= now) & or_(
        OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now)


def claim(limit: int = BATCH) -> tuple[str, list[OutboxMessage]]:
    """Claim up to ``limit`` due messages for this run and commit the claim."""
    token = secrets.token_hex(16)
    now = utcnow()
    # FOR UPDATE SKIP LOCKED (PostgreSQL): a concurrent run skips rows being claimed
    # instead of waiting; the outer condition is checked again on each row, so a row
    # claimed meanwhile is not taken twice. SQLite has one writer at a time anyway.
    candidates = (select(OutboxMessage.id).where(_due(now))
                  .order_by(OutboxMessage.send_after, OutboxMessage.id).limit(limit)
                  .with_for_update(skip_locked=True))
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(candidates.scalar_subquery()), _due(now))
        .values(claim_token=token, claimed_until=now + LEASE)
        .execution_options(synchronize_session=False))
    db.session.commit()
    messages = list(db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.claim_token == token)
        .order_by(OutboxMessage.send_after, OutboxMessage.id)))
    for message in messages:  # as read now: each outcome's commit must not reload them
        db.session.expunge(message)
    return token, messages


def _finish(message: OutboxMessage, token: str, **values) -> bool:
    """Write an outcome if this run still holds the message; commit it."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id, OutboxMessage.claim_token == token)
        .values(claim_token=None, claimed_until=None, **values)
        .execution_options(synchronize_session=False))
    db.session.commit()
    return result.rowcount == 1


def _release(token: str, error: str | None) -> None:
    """The run's unsent messages go back to the queue (tries not counted)."""
    values = {"claim_token": None, "claimed_until": None}
    if error is not None:
        values.update(last_error=error[:ERROR_MAX], last_attempt_at=utcnow())
    db.session.execute(update(OutboxMessage).where(OutboxMessage.claim_token == token)
                       .values(**values).execution_options(synchronize_session=False))
    db.session.commit()


def _describe(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(error.recipients.values()))
        return f"{code} {_text(text)}"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{error.smtp_code} {_text(error.smtp_error)}"
    return f"{type(error).__name__}: {error}"


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


class Sender:
    """One SMTP connection, opened when the first message needs it."""

    def __init__(self) -> None:
        config = current_app.config
        if not config.get("LMS_SMTP_URL"):
            raise NotConfigured("LMS_SMTP_URL is not set: mail waits in the outbox")
        self.settings = smtp.parse_smtp_url(config["LMS_SMTP_URL"])
        self.sender = smtp.parse_from_address(config["LMS_MAIL_FROM"], config["LMS_SITE_NAME"])
        self.client: smtplib.SMTP | None = None

    def _client(self) -> smtplib.SMTP:
        if self.client is None:
            try:
                self.client = smtp.connect(self.settings)
            except (OSError, smtplib.SMTPException) as error:
                raise ServerUnavailable(f"{self.settings.display}: {_describe(error)}") from None
        return self.client

    def close(self) -> None:
        if self.client is not None:
            try:
                self.client.quit()
            except (OSError, smtplib.SMTPException):
                self.client.close()
            self.client = None

    def send(self, message: OutboxMessage) -> None:
        """Raises what the server said; ServerUnavailable when it cannot be used."""
        mime = smtp.build_message(message, self.sender)
        client = self._client()
        try:
            client.send_message(mime, from_addr=self.sender.addr_spec,
                                to_addrs=[message.to_address])
        except smtplib.SMTPSenderRefused as error:
            self.close()
            raise ServerUnavailable(f"sender {self.sender.addr_spec} refused: "
                                    f"{_describe(error)}") from None
        except (smtplib.SMTPServerDisconnected, ConnectionError, TimeoutError) as error:
            self.close()  # the next message reconnects
            raise TemporaryFailure(_describe(error)) from None


def _classify(error: BaseException) -> tuple[str, bool]:
    """(kind, address_at_fault): kind is "temporary" or "permanent"."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code = next(iter(error.recipients.values()))[0]
        return ("permanent", True) if 500 <= code < 600 else ("temporary", False)
    if isinstance(error, smtplib.SMTPResponseException):
        return ("permanent", False) if 500 <= error.smtp_code < 600 else ("temporary", False)
    if isinstance(error, TemporaryFailure):
        return "temporary", False
    # SMTPNotSupportedError (an address needing SMTPUTF8 the server lacks), a header
    # the email package refuses: trying again changes nothing.
    return "permanent", False


def send_due(limit: int = BATCH, *, max_batches: int | None = None,
             stop: Callable[[], bool] = lambda: False) -> RunResult:
    """Deliver what is due, batch after batch, until the queue is empty, the server
    cannot be used, ``stop()`` says so, or ``max_batches`` were claimed."""
    result = RunResult()
    sender = Sender()
    batches = 0
    try:
        while not stop() and (max_batches is None or batches < max_batches):
            token, messages = claim(limit)
            batches += 1
            if not messages:
                break
            result.claimed += len(messages)
            deadline = min(m.claimed_until for m in messages) - LEASE_MARGIN
            marked = undeliverable_among(m.to_address for m in messages)
            try:
                for message in messages:
                    if stop() or utcnow() > deadline:
                        break
                    _deliver(sender, message, token, result, marked)
            except ServerUnavailable as error:
                result.error = str(error)
                log.warning("mail: the server cannot be used: %s", error)
                return result
            finally:
                _release(token, result.error)
    finally:
        db.session.rollback()
        sender.close()
    return result


def _deliver(sender: Sender, message: OutboxMessage, token: str, result: RunResult,
             marked: set[str]) -> None:
    """Send one message and commit its outcome (with the address's mark) at once."""
    now = utcnow()
    erased = {"text_body": "", "html_body": ""}
    try:
        sender.send(message)
    except ServerUnavailable:
        raise
    except Exception as error:  # every refusal is recorded on the message
        kind, address_at_fault = _classify(error)
        text = _describe(error)[:ERROR_MAX]
        attempts = message.attempts + 1
        if kind == "temporary" and attempts < MAX_ATTEMPTS:
            outcome = {"send_after": now + retry_delay(attempts)}
            result.retrying += 1
            log.info("mail %s to %s: will retry (%s)", message.id, message.to_address, text)
        else:
            outcome = {"failed_at": now, **erased}
            result.failed += 1
            if address_at_fault:
                _mark_undeliverable(message.to_address, text, now)
                result.undeliverable += 1
            log.warning("mail %s to %s: failed (%s)", message.id, message.to_address, text)
        done = _finish(message, token, attempts=attempts, last_attempt_at=now,
                       last_error=text, **outcome)
    else:
        if message.to_address in marked:  # accepted now: the mark goes
            db.session.execute(delete(UndeliverableAddress)
                               .where(UndeliverableAddress.address == message.to_address))
        done = _finish(message, token, attempts=message.attempts + 1, last_attempt_at=now,
                       sent_at=now, **erased)
        result.sent += 1
    if not done:
        result.lost_leases.append(message.id)
        log.error("mail %s: the lease ran out while it was being sent", message.id)


def _mark_undeliverable(address: str, reason: str, now) -> None:
    record = db.session.scalar(select(UndeliverableAddress)
                               .where(UndeliverableAddress.address == address))
    if record is None:
        db.session.add(UndeliverableAddress(address=address, reason=reason, marked_at=now))
    else:
        record.reason, record.marked_at = reason, now
    db.session.flush()


def watch(interval: float = 10.0, *, stop: Callable[[], bool] = lambda: False,
          sleep: Callable[[float], None] = time.sleep,
          report: Callable[[RunResult], None] = lambda _result: None) -> None:
    """Deliver, then look again every ``interval`` seconds; while the server cannot be
    reached, wait longer each time (up to 5 minutes)."""
    pause = interval
    while not stop():
        result = send_due(stop=stop)
        report(result)
        pause = min(max(pause * 2, interval), 300.0) if result.error else interval
        waited = 0.0
        while waited < pause and not stop():
            step = min(1.0, pause - waited)
            sleep(step)
            waited += step
