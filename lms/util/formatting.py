"""Dates, instants and numbers for people, formatted by Babel in the page's locale."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask_babel import format_date, format_datetime, format_decimal


def date_vi(day: date | None) -> str:
    """30/11/2026 (Vietnamese documents write dates day first, in every locale here)."""
    return format_date(day, "dd/MM/yyyy") if day else ""


def datetime_vi(instant: datetime | None) -> str:
    """A stored (naive UTC) instant in the province's time: 30/11/2026 14:05."""
    if instant is None:
        return ""
    return format_datetime(instant.replace(tzinfo=UTC), "dd/MM/yyyy HH:mm")


def number_vi(value: int | float | None) -> str:
    """3.000 in Vietnamese, 3,000 in English."""
    return format_decimal(value or 0)


def percent_vi(value: int | float | None) -> str:
    """A percentage as people write it: 80%, 82,5% in Vietnamese (82.5% in English);
    never "80.0%"."""
    return format_decimal(value or 0, "#,##0.#") + "%"


FILTERS = {"date_vi": date_vi, "datetime_vi": datetime_vi, "number_vi": number_vi,
           "percent_vi": percent_vi}
