"""Turning a request (unit, date, cycle, caller's scope) into a report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from lms.org.history import STRUCTURES
from lms.org.logic import is_within, unit_by_code
from lms.org.models import Unit
from lms.reports.indicator import CYCLES
from lms.util.time import local_today


class ReportError(ValueError):
    """A bad parameter; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message, self.status = message, status


@dataclass
class ReportRequest:
    unit: Unit
    as_of: date
    cycle: str
    structure: str = "as-of"

    @property
    def args(self) -> dict[str, str]:
        """The query parameters that ask for this report again."""
        return {"unit": self.unit.code, "as_of": self.as_of.isoformat(), "cycle": self.cycle,
                "structure": self.structure}


# Reports count back (validity windows, 12 month ends) and forward (due dates) from
# as_of: dates near year 1 or 9999 would overflow Python's dates.
AS_OF_RANGE = (date(1900, 1, 1), date(2999, 12, 31))


def parse_as_of(text: str | None) -> date:
    if not text:
        return local_today()
    try:
        as_of = date.fromisoformat(text.strip())
    except ValueError:
        raise ReportError(f"as_of must be a date as YYYY-MM-DD, not {text!r}") from None
    first, last = AS_OF_RANGE
    if not first <= as_of <= last:
        raise ReportError(f"as_of must be between {first} and {last}, not {text!r}")
    return as_of


def parse_cycle(text: str | None) -> str:
    cycle = (text or "all").strip() or "all"
    if cycle not in CYCLES:
        raise ReportError(f"cycle must be one of: {', '.join(CYCLES)} (not {cycle!r})")
    return cycle


def parse_structure(text: str | None) -> str:
    structure = (text or "as-of").strip() or "as-of"
    if structure not in STRUCTURES:
        raise ReportError(f"structure must be one of: {', '.join(STRUCTURES)} "
                          f"(not {structure[:40]!r})")
    return structure


def resolve(unit_code: str | None, as_of: str | None, cycle: str | None,
            scope: Unit | None, default: Unit | None,
            structure: str | None = None) -> ReportRequest:
    """Check the parameters against the caller's scope (None = whole province).

    A unit outside the scope answers exactly as an unknown one, so a caller learns
    nothing about which codes exist elsewhere."""
    if unit_code:
        unit = unit_by_code(unit_code)
        if unit is None or not is_within(unit.path, scope):
            raise ReportError(f"unknown unit {unit_code[:64]!r}", 404)
    else:
        unit = scope or default
        if unit is None:
            raise ReportError("there are no units yet", 404)
    return ReportRequest(unit, parse_as_of(as_of), parse_cycle(cycle),
                         parse_structure(structure))
