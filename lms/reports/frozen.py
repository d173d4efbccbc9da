"""Frozen reports (Chốt số liệu): a report stored as submitted, never edited.

A freeze keeps the figures, the exact CSV, XLSX and JSON bytes with their SHA-256,
who froze it and when, and who was counted where (compressed), so the live report
for the same date can say what changed since and why. A newer freeze of the same
unit, date, cycle and structure supersedes the older one, which stays.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import current_app
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import defer

from lms.audit import logic as audit
from lms.extensions import db
from lms.learning.models import ExternalTraining
from lms.org.models import Official, Unit
from lms.reports import exports
from lms.reports.indicator import (
    compliance_report,
    counted_officials,
    untrained_officials,
)
from lms.reports.models import FrozenReport
from lms.util.time import local_today, to_local


def freeze(unit: Unit, as_of: date, cycle: str = "all", structure: str = "as-of",
           *, user=None, today: date | None = None) -> FrozenReport:
    """Compute the report and store it with its three files; flushes, audits."""
    today = today or local_today()
    # With the verified / declared / online split: the XLSX and JSON keep it as it was.
    report = compliance_report(unit, as_of, cycle, structure, today, evidence=True)
    file = exports.ReportFile(
        report, unit.code, report.root.unit_name, current_app.config["LMS_ISSUING_BODY"],
        untrained=lambda: untrained_officials(unit, as_of, cycle, structure=structure,
                                              today=today),
        frozen_on=today)
    data = {name: fmt.render(file) for name, fmt in exports.FORMATS.items()}
    counted = _compressed_json(counted_officials(unit, as_of, cycle, structure, today))
    if user is None and current_user and getattr(current_user, "is_authenticated", False):
        user = current_user._get_current_object()
    label = (f"{user.full_name} <{user.email}>" if user is not None and user.email
             else user.full_name if user is not None else "CLI")
    record = FrozenReport(
        unit_id=unit.id, unit_code=unit.code, unit_name=report.root.unit_name, as_of=as_of,
        cycle=cycle, structure=structure, frozen_by_id=user.id if user is not None else None,
        frozen_by_label=label[:255], officials_total=report.root.officials_total,
        officials_trained=report.root.officials_trained,
        figures=json.dumps(exports.report_json(report, unit.code), ensure_ascii=False),
        counted=counted,
        csv_data=data["csv"], xlsx_data=data["xlsx"], json_data=data["json"],
        csv_sha256=hashlib.sha256(data["csv"]).hexdigest(),
        xlsx_sha256=hashlib.sha256(data["xlsx"]).hexdigest(),
        json_sha256=hashlib.sha256(data["json"]).hexdigest())
    db.session.add(record)
    db.session.flush()
    for older in db.session.scalars(select(FrozenReport).where(
            FrozenReport.unit_id == unit.id, FrozenReport.as_of == as_of,
            FrozenReport.cycle == cycle, FrozenReport.structure == structure,
            FrozenReport.superseded_by_id.is_(None), FrozenReport.id != record.id)):
        older.superseded_by_id = record.id
    audit.record("report.freeze", target=f"{unit.code} {as_of.isoformat()} #{record.id}", unit=unit,
                 detail={"id": record.id, "as_of": as_of.isoformat(), "cycle": cycle,
                         "structure": structure, "trained": record.officials_trained,
                         "total": record.officials_total, "sha256": {
                             "csv": record.csv_sha256, "xlsx": record.xlsx_sha256,
                             "json": record.json_sha256}})
    db.session.flush()
    return record


def _compressed_json(rows) -> bytes:
    """A JSON list of ``rows`` (tuples), compressed as it is written: a province's
    100,000 rows never stand in memory as Python lists and one JSON string."""
    compressor = zlib.compressobj(6)
    parts = [compressor.compress(b"[")]
    for number, row in enumerate(rows):
        text = ("," if number else "") + json.dumps(list(row), separators=(",", ":"))
        parts.append(compressor.compress(text.encode()))
    parts.append(compressor.compress(b"]"))
    parts.append(compressor.flush())
    return b"".join(parts)


def frozen_for(unit_ids: list[int] | None = None) -> list[FrozenReport]:
    statement = select(FrozenReport).order_by(FrozenReport.as_of.desc(), FrozenReport.id.desc())
    if unit_ids is not None:
        statement = statement.where(FrozenReport.unit_id.in_(unit_ids))
    return list(db.session.scalars(statement.options(
        *[defer(getattr(FrozenReport, c)) for c in
          ("csv_data", "xlsx_data", "json_data", "counted", "figures")])))


def latest_freeze(unit: Unit, as_of: date, cycle: str, structure: str) -> FrozenReport | None:
    return db.session.scalar(select(FrozenReport).where(
        FrozenReport.unit_id == unit.id, FrozenReport.as_of == as_of,
        FrozenReport.cycle == cycle, FrozenReport.structure == structure,
        FrozenReport.superseded_by_id.is_(None)).order_by(FrozenReport.id.desc()).limit(1))


def record_download(record: FrozenReport, fmt: str) -> None:
    audit.record("report.frozen_download", target=f"{record.unit_code} {record.as_of.isoformat()} "
                                          f"#{record.id} {fmt}", unit=record.unit,
                 detail={"id": record.id, "format": fmt, "sha256": record.sha256(fmt)})


# --- what changed since a freeze ---------------------------------------------------------

REASONS = {
    "classroom_later": "hồ sơ lớp tập huấn bổ sung sau khi chốt",
    "classroom_verified": "hồ sơ lớp tập huấn được tỉnh xác minh sau khi chốt",
    "classroom_rejected": "hồ sơ lớp tập huấn bị tỉnh từ chối sau khi chốt",
    "online_later": "hoàn thành trực tuyến ghi nhận sau khi chốt",
    "no_longer_trained": "không còn đủ điều kiện (hồ sơ hoặc quy định khóa học thay đổi)",
    "left": "nghỉ việc (ghi nhận sau khi chốt)",
    "roster_later": "bổ sung vào danh sách sau khi chốt",
    "roster_corrected": "điều chỉnh hồ sơ cán bộ",
    "moved_out": "chuyển sang đơn vị khác (điều chỉnh sau khi chốt)",
    "moved_in": "chuyển đến từ đơn vị khác (điều chỉnh sau khi chốt)",
}


@dataclass
class RowDifference:
    trained: int = 0
    total: int = 0
    reasons: Counter = field(default_factory=Counter)

    def describe(self) -> list[str]:
        """"+3 đã bồi dưỡng: hồ sơ lớp tập huấn bổ sung sau khi chốt" and so on."""
        return [f"{'+' if n > 0 else '−'}{abs(n)} {what}: {_(REASONS[key])}"
                for (key, what), n in sorted(self.reasons.items()) if n]


def differences(record: FrozenReport, today: date | None = None
                ) -> dict[str, RowDifference]:
    """{unit code of a report row: how its figures moved since the freeze, and why}.

    Each report row compares its figures (subtree) with the frozen ones; the reasons
    are per official, attributed to the row they counted in then and now."""
    today = today or local_today()
    unit = db.session.get(Unit, record.unit_id)
    live = compliance_report(unit, record.as_of, record.cycle, record.structure, today)
    then_rows = {r["unit_code"]: r for r in json.loads(record.figures)["rows"]}
    result: dict[str, RowDifference] = {}
    for row in live.rows:
        old = then_rows.get(row.unit_code, {"officials_total": 0, "officials_trained": 0})
        diff = RowDifference(row.officials_trained - old["officials_trained"],
                             row.officials_total - old["officials_total"])
        if diff.trained or diff.total:
            result[row.unit_code] = diff
    if not result:
        return result
    then = {o: (unit_id, row, trained) for o, unit_id, row, trained in
            json.loads(zlib.decompress(record.counted))}
    now = {o: (unit_id, row, trained) for o, unit_id, row, trained in
           counted_officials(unit, record.as_of, record.cycle, record.structure, today)}
    codes = dict(db.session.execute(select(Unit.id, Unit.code)).tuples().all())
    changed = [o for o in then.keys() | now.keys() if then.get(o) != now.get(o)]
    facts = _facts(changed, record)
    for official_id in changed:
        before, after = then.get(official_id), now.get(official_id)
        if before and after and before[1] == after[1]:
            target = result.setdefault(codes[after[1]], RowDifference())
            if after[2] and not before[2]:
                key = ("classroom_later" if official_id in facts["classroom"]
                       else "classroom_verified" if official_id in facts["verified"]
                       else "online_later")
                target.reasons[(key, _("đã bồi dưỡng"))] += 1
            elif before[2] and not after[2]:
                key = ("classroom_rejected" if official_id in facts["rejected"]
                       else "no_longer_trained")
                target.reasons[(key, _("đã bồi dưỡng"))] -= 1
            continue
        if before:
            target = result.setdefault(codes[before[1]], RowDifference())
            key = ("moved_out" if after else "left" if official_id in facts["left"]
                   else "roster_corrected")
            target.reasons[(key, _("tổng số"))] -= 1
        if after:
            target = result.setdefault(codes[after[1]], RowDifference())
            key = ("moved_in" if before else "roster_later" if official_id in facts["new"]
                   else "roster_corrected")
            target.reasons[(key, _("tổng số"))] += 1
    return result


def _facts(official_ids: list[int], record: FrozenReport) -> dict[str, set[int]]:
    """Which of these officials got a classroom record, left, or were added after the
    freeze (a few queries over the changed officials only)."""
    frozen_at: datetime = record.frozen_at
    facts: dict[str, set[int]] = {"classroom": set(), "left": set(), "new": set(),
                                  "verified": set(), "rejected": set()}
    for start in range(0, len(official_ids), 900):
        chunk = official_ids[start:start + 900]
        # Imported, or reviewed (verified or rejected, lms/review), after the freeze.
        for official_id, status, imported_at in db.session.execute(select(
                ExternalTraining.official_id, ExternalTraining.status,
                ExternalTraining.imported_at).where(
                ExternalTraining.official_id.in_(chunk),
                ExternalTraining.completed_on <= record.as_of,
                or_(ExternalTraining.imported_at > frozen_at,
                    ExternalTraining.reviewed_at > frozen_at))):
            if status == "rejected":
                facts["rejected"].add(official_id)
            elif imported_at > frozen_at:
                facts["classroom"].add(official_id)
            else:
                facts["verified"].add(official_id)
        for official in db.session.execute(select(
                Official.id, Official.status, Official.left_on, Official.created_at).where(
                Official.id.in_(chunk))):
            if official.status == "left" and official.left_on and \
                    official.left_on <= record.as_of:
                facts["left"].add(official.id)
            if official.created_at > frozen_at:
                facts["new"].add(official.id)
    return facts


def frozen_at_text(record: FrozenReport) -> str:
    return to_local(record.frozen_at).strftime("%d/%m/%Y %H:%M")

