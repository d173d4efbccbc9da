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
