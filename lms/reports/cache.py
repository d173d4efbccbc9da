"""Compliance reports kept per process, never stale (issue 12).

A report is kept (a bounded LRU, least recently used dropped first) under what it
was asked for (scope, dates, cycle, structure, evidence, today, the settings it
reads) and the data version it was computed at (lms.reports.versions): every write
to a table the report reads changes that version in the same transaction, so a kept
report is used only while the data it was computed from is the committed data.

Each call reads the versions once (one small statement). A request that finds its
report kept issues that statement instead of the report's; one that does not finds
the unit history kept under the ``units`` version, so the versions statement stands
in for the history's own fingerprint query: never more statements than without the
cache.

Kept reports are shared between requests: callers must not change them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Flask, current_app

from lms.learning.evidence import counted_statuses
from lms.org.history import UnitHistory
from lms.org.models import Unit
from lms.reports import frozen
from lms.reports.frozen import RowDifference
from lms.reports.indicator import ComplianceReport, compliance_reports
from lms.reports.models import FrozenReport
from lms.reports.versions import read_versions, uncommitted_writes
from lms.util.lru import BoundedLRU, per_app
from lms.util.time import local_today

REPORT_CACHE_ENTRIES = 64
# Report rows kept in all (a province restated is ~1,000 rows, the country ~5,000).
REPORT_CACHE_ROWS = 200_000


class ReportCache(BoundedLRU):
    """Lists of reports by key, at most ``entries`` of them and ``rows`` rows."""

    def __init__(self, entries: int = REPORT_CACHE_ENTRIES, rows: int = REPORT_CACHE_ROWS):
        super().__init__(entries, rows, self._size, largest_share=4)
        self.history: tuple[Any, UnitHistory] | None = None  # (units version, history)

    @property
    def kept(self):
        return self.items

    @staticmethod
    def _size(kept: Any) -> int:
        if isinstance(kept, dict):  # a freeze's differences, by row
            return len(kept) + 1
        return sum(len(report.rows) for report in kept)

    def unit_history(self, version: Any) -> UnitHistory:
        """The unit history as of ``version`` of the ``units`` domain."""
        kept = self.history
        if kept is not None and kept[0] == version:
            return kept[1]
        history = UnitHistory.read()
        self.history = (version, history)
        return history

    def clear(self) -> None:
        super().clear()
        self.history = None


def report_cache(app: Flask | None = None) -> ReportCache:
    app = app or current_app._get_current_object()
    return per_app(app, "lms_report_cache", ReportCache)


def _settings() -> tuple:
    """The settings a report reads: which classroom records count, the targets."""
    config = current_app.config
    by_level = config.get("LMS_TARGET_PERCENT_BY_LEVEL") or {}
    return (counted_statuses(), repr(config.get("LMS_TARGET_PERCENT", 100)),
            tuple(sorted((str(k), repr(v)) for k, v in dict(by_level).items())))


def cached_compliance_reports(scope: Unit | None, dates: list[date], cycle: str = "all",
                              structure: str = "as-of", today: date | None = None,
                              evidence: bool = False) -> list[ComplianceReport]:
    """lms.reports.indicator.compliance_reports, kept while the data is unchanged
    (raises the same StructureError; errors are not kept)."""
    today = today or local_today()
    versions = read_versions()
    if ("reports" not in versions or "units" not in versions
            or uncommitted_writes()):
        # No version rows (a database before migration 0019), or this transaction has
        # written what the report reads and not committed it: compute, keep nothing.
        return compliance_reports(scope, dates, cycle, structure, today, evidence=evidence)
    cache = report_cache()
    key = (scope.id if scope is not None else None, tuple(dates), cycle, structure,
           today, evidence, _settings(), versions["reports"])
    reports = cache.get(key)
    if reports is None:
        reports = compliance_reports(scope, dates, cycle, structure, today,
                                     history=cache.unit_history(versions["units"]),
                                     evidence=evidence)
        cache.put(key, reports)
    return reports


def cached_differences(record: FrozenReport, today: date | None = None
                       ) -> dict[str, RowDifference]:
    """lms.reports.frozen.differences (a freeze against the live report, official by
    official), kept while the data is unchanged: a frozen unit's page would otherwise
    compute its live report anew on every request."""
    today = today or local_today()
    versions = read_versions()
    if "reports" not in versions or uncommitted_writes():
        return frozen.differences(record, today)
    cache = report_cache()
    # A freeze never changes: its id and time name it.
    key = ("differences", record.id, record.frozen_at, today, _settings(),
           versions["reports"])
    kept = cache.get(key)
    if kept is None:
        kept = frozen.differences(record, today)
        cache.put(key, kept)
    return kept


def cached_compliance_report(scope: Unit | None, as_of: date, cycle: str = "all",
                             structure: str = "as-of", today: date | None = None,
                             evidence: bool = False) -> ComplianceReport:
    """lms.reports.indicator.compliance_report, kept while the data is unchanged."""
    return cached_compliance_reports(scope, [as_of], cycle, structure, today,
                                     evidence=evidence)[0]
