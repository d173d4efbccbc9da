"""The province's clock: dates are local (Asia/Ho_Chi_Minh), instants are UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def local_today() -> date:
    """Today's date in the province, used to date completions."""
    return datetime.now(ZoneInfo(current_app.config["LMS_TIMEZONE"])).date()


def local_midnight_utc(day: date) -> datetime:
    """The UTC instant (naive, as stored) at which ``day`` starts in the province."""
    start = datetime.combine(day, datetime.min.time(),
                             tzinfo=ZoneInfo(current_app.config["LMS_TIMEZONE"]))
    return start.astimezone(UTC).replace(tzinfo=None)


def to_local(instant: datetime) -> datetime:
    """A stored (naive UTC) instant in the province's time, for display."""
    return instant.replace(tzinfo=UTC).astimezone(ZoneInfo(current_app.config["LMS_TIMEZONE"]))


def local_time_text(instant: datetime | None) -> str:
    return to_local(instant).strftime("%d/%m/%Y %H:%M:%S") if instant else ""
