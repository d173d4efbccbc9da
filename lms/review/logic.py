"""The review queue: classes and records HR declared, verified or rejected by the
province (admins and province reviewers), and the scans attached as evidence.

Every import makes the records it creates or changes *declared* (lms.org.imports).
A reviewer verifies or rejects (with a reason) every declared record of a class in one
action, or one record at a time (which may also change an earlier decision). Each
decision is an audit event listing the records it touched. Functions flush; callers
commit.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from math import ceil
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, exists, func, select, update

from lms.audit import logic as audit
from lms.courses.models import Course
from lms.extensions import db
from lms.learning.evidence import check_evidence
from lms.learning.models import ExternalTraining, TrainingClass
from lms.org.logic import MAX_PAGE, subtree_condition
from lms.org.models import Official, Unit
from lms.util.time import utcnow

CLASSES_PER_PAGE = 50
RECORDS_PER_PAGE = 100
MAX_REASON = 500


class ReviewError(ValueError):
    """A decision cannot be recorded; the message says why (translated)."""


@dataclass
class Page:
    """One page of a list, with the attributes the ``pager`` macro reads."""

    items: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(ceil(self.total / self.per_page), 1)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def next_num(self) -> int:
        return self.page + 1


def _page_number(number: int | None, total: int, per_page: int) -> int:
    """Past the end means the last page; nonsense means the first."""
    last = max(ceil(total / per_page), 1)
    return min(max(number or 1, 1), last, MAX_PAGE)


@dataclass
class QueuedClass:
    training_class: TrainingClass
    declared: int  # records waiting for a decision
    units: list[tuple[str, str]]  # (code, name) of the units of those records' officials


@dataclass
class RecordRow:
    id: int
    employee_code: str
    full_name: str
    unit_code: str
    unit_name: str
    course_title: str
    course_slug: str
    completed_on: date
    source: str
    status: str
    review_note: str
    reviewed_at: datetime | None
    class_id: int | None


def _records(*conditions) -> Any:
    return (
        select(ExternalTraining.id, Official.employee_code, Official.full_name, Unit.code,
               Unit.name, Course.title, Course.slug, ExternalTraining.completed_on,
               ExternalTraining.source, ExternalTraining.status, ExternalTraining.review_note,
               ExternalTraining.reviewed_at, ExternalTraining.training_class_id)
        .join(Official, Official.id == ExternalTraining.official_id)
        .join(Unit, Unit.id == Official.unit_id)
        .join(Course, Course.id == ExternalTraining.course_id)
        .where(*conditions)
    )


def _record_page(conditions: list, page_number: int | None, order: list) -> Page:
    total = db.session.scalar(
        select(func.count()).select_from(_records(*conditions).subquery())) or 0
    number = _page_number(page_number, total, RECORDS_PER_PAGE)
    rows = db.session.execute(_records(*conditions).order_by(*order)
                              .limit(RECORDS_PER_PAGE)
                              .offset((number - 1) * RECORDS_PER_PAGE))
    return Page([RecordRow(*row) for row in rows], number, RECORDS_PER_PAGE, total)


# --- the queue -------------------------------------------------------------------------


def queued_classes(page_number: int | None = 1) -> Page:
    """Classes with declared records, oldest declaration first."""
    waiting = (select(ExternalTraining.training_class_id.label("class_id"),
                      func.count().label("declared"))
               .where(ExternalTraining.status == "declared",
                      ExternalTraining.training_class_id.is_not(None))
               .group_by(ExternalTraining.training_class_id).subquery())
    total = db.session.scalar(select(func.count()).select_from(waiting)) or 0
    number = _page_number(page_number, total, CLASSES_PER_PAGE)
    rows = db.session.execute(
        select(TrainingClass, waiting.c.declared)
        .join(waiting, waiting.c.class_id == TrainingClass.id)
        .order_by(TrainingClass.id)
        .limit(CLASSES_PER_PAGE).offset((number - 1) * CLASSES_PER_PAGE)).all()
    ids = [row[0].id for row in rows]
    units: dict[int, list[tuple[str, str]]] = {}
    if ids:
        for class_id, code, name in db.session.execute(
                select(ExternalTraining.training_class_id, Unit.code, Unit.name)
                .join(Official, Official.id == ExternalTraining.official_id)
                .join(Unit, Unit.id == Official.unit_id)
                .where(ExternalTraining.training_class_id.in_(ids),
                       ExternalTraining.status == "declared")
                .distinct().order_by(Unit.code)):
            units.setdefault(class_id, []).append((code, name))
    items = [QueuedClass(cls, int(declared), units.get(cls.id, [])) for cls, declared in rows]
    return Page(items, number, CLASSES_PER_PAGE, total)


def loose_records(page_number: int | None = 1) -> Page:
    """Declared records that name no class, by unit and official."""
    return _record_page([ExternalTraining.status == "declared",
                         ExternalTraining.training_class_id.is_(None)], page_number,
                        [Unit.code, Official.employee_code, ExternalTraining.id])


def unit_loose_records(scope: Unit | None, page_number: int | None = 1) -> Page:
    """An HR officer's records that name no class, any status (the province's reasons
    included), those waiting first."""
    conditions = [ExternalTraining.training_class_id.is_(None)]
    if scope is not None:
        conditions.append(subtree_condition(scope))
    return _record_page(conditions, page_number,
                        [ExternalTraining.status != "declared", Unit.code,
                         Official.employee_code, ExternalTraining.id])


def waiting_counts() -> tuple[int, int]:
    """(declared records in classes, declared records without a class)."""
    in_class, loose = 0, 0
    for has_class, count in db.session.execute(
            select(ExternalTraining.training_class_id.is_not(None), func.count())
            .where(ExternalTraining.status == "declared")
            .group_by(ExternalTraining.training_class_id.is_not(None))):
        if has_class:
            in_class = int(count)
        else:
            loose = int(count)
    return in_class, loose


def class_records(training_class: TrainingClass, page_number: int | None = 1,
                  scope: Unit | None = None) -> Page:
    """The class's records (of ``scope``'s subtree only, for an HR officer), those
    waiting first."""
    conditions = [ExternalTraining.training_class_id == training_class.id]
    if scope is not None:
        conditions.append(subtree_condition(scope))
    waiting_first = (ExternalTraining.status != "declared")
    return _record_page(conditions, page_number,
                        [waiting_first, Unit.code, Official.employee_code, ExternalTraining.id])


def status_counts(training_class: TrainingClass, scope: Unit | None = None) -> Counter:
    statement = (select(ExternalTraining.status, func.count())
                 .where(ExternalTraining.training_class_id == training_class.id)
                 .group_by(ExternalTraining.status))
    if scope is not None:
        statement = (statement.join(Official, Official.id == ExternalTraining.official_id)
                     .join(Unit, Unit.id == Official.unit_id).where(subtree_condition(scope)))
    return Counter({status: int(count) for status, count in db.session.execute(statement)})


# --- decisions -------------------------------------------------------------------------


def _clean_reason(reason: str | None, status: str) -> str:
    reason = " ".join((reason or "").split())
    if status == "rejected" and not reason:
        raise ReviewError(_("Hãy ghi lý do từ chối (đơn vị sẽ thấy lý do này)."))
    if len(reason) > MAX_REASON:
        raise ReviewError(_("Lý do dài tối đa %(n)d ký tự.", n=MAX_REASON))
    return reason


def listing(rows) -> dict[str, dict[str, list[str]]]:
    """{course: {date: [employee codes]}}: records for an audit event, compactly."""
    listed: dict[str, dict[str, list[str]]] = {}
    for code, slug, completed_on in rows:
        listed.setdefault(slug, {}).setdefault(completed_on.isoformat(), []).append(code)
    return listed


def _decide(conditions: list, status: str, reviewer, reason: str, target: str,
            extra: dict[str, Any]) -> int:
    """Give every record matching ``conditions`` the decision; one audit event lists
    them. Returns how many records changed."""
    rows = db.session.execute(
        select(ExternalTraining.id, Official.employee_code, Course.slug,
               ExternalTraining.completed_on, Official.unit_id)
        .join(Official, Official.id == ExternalTraining.official_id)
        .join(Course, Course.id == ExternalTraining.course_id)
        .where(*conditions).order_by(Official.employee_code, ExternalTraining.id)).all()
    if not rows:
        return 0
    now = utcnow()
    ids = [row[0] for row in rows]
    for start in range(0, len(ids), 900):
        db.session.execute(
            update(ExternalTraining)
            .where(ExternalTraining.id.in_(ids[start:start + 900]))
            .values(status=status, reviewed_by_id=reviewer.id, reviewed_at=now,
                    review_note=reason)
            .execution_options(synchronize_session=False))
    unit_ids = {row[4] for row in rows}
    unit = db.session.get(Unit, unit_ids.pop()) if len(unit_ids) == 1 else None
    action = "training.verify" if status == "verified" else "training.reject"
    audit.record(action, target=target, unit=unit, detail={
        **extra, "count": len(rows), **({"reason": reason} if reason else {}),
        "records": listing((row[1], row[2], row[3]) for row in rows)})
    db.session.flush()
    return len(rows)


def class_label(training_class: TrainingClass) -> str:
    return f"{training_class.reference} — {training_class.organiser}"


def decide_class(training_class: TrainingClass, status: str, reviewer,
                 reason: str | None = None) -> int:
    """Verify or reject every declared record of the class (earlier decisions stay)."""
    if status not in ("verified", "rejected"):
        raise ValueError(status)
    reason = _clean_reason(reason, status)
    return _decide([ExternalTraining.training_class_id == training_class.id,
                    ExternalTraining.status == "declared"], status, reviewer, reason,
                   _("Lớp %(c)s", c=class_label(training_class)),
                   {"class": training_class.id, "reference": training_class.reference,
                    "organiser": training_class.organiser})


def decide_record(record: ExternalTraining, status: str, reviewer,
                  reason: str | None = None) -> int:
    """Verify or reject one record, whatever its status was (a decision can change)."""
    if status not in ("verified", "rejected"):
        raise ValueError(status)
    reason = _clean_reason(reason, status)
    if record.status == status and record.review_note == reason:
        return 0
    official = db.session.get(Official, record.official_id)
    return _decide([ExternalTraining.id == record.id], status, reviewer, reason,
                   f"{official.employee_code}/{record.course.slug}/"
                   f"{record.completed_on.isoformat()}",
                   {"record": record.id, "previous": record.status,
                    **({"class": record.training_class_id} if record.training_class_id
                       else {})})


# --- classes for HR, and their evidence ------------------------------------------------


def in_scope_condition(training_class_id, scope: Unit) -> Any:
    return exists(
        select(ExternalTraining.id)
        .join(Official, Official.id == ExternalTraining.official_id)
        .join(Unit, Unit.id == Official.unit_id)
        .where(ExternalTraining.training_class_id == training_class_id,
               subtree_condition(scope)))


def can_see_class(user, training_class: TrainingClass, scope: Unit | None) -> bool:
    """Admins and reviewers see every class; an HR officer the classes they declared or
    that hold records of their subtree."""
    if user.can_review or scope is None:
        return True
    if training_class.created_by_id == user.id:
        return True
    return bool(db.session.scalar(select(in_scope_condition(training_class.id, scope))))


def can_attach(user, training_class: TrainingClass) -> bool:
    """The HR officer who declared the class, or an admin, attaches its scan."""
    return user.is_admin or (user.role == "unit_manager"
                             and training_class.created_by_id == user.id)


@dataclass
class ClassSummary:
    training_class: TrainingClass
    counts: Counter  # records by status (within the viewer's scope)


def classes_for(scope: Unit | None, user_id: int, page_number: int | None = 1) -> Page:
    """The classes an HR officer sees (all of them for an admin), newest first."""
    statement = select(TrainingClass)
    if scope is not None:
        statement = statement.where(
            (TrainingClass.created_by_id == user_id)
            | in_scope_condition(TrainingClass.id, scope))
    total = db.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    number = _page_number(page_number, total, CLASSES_PER_PAGE)
    classes = list(db.session.scalars(statement.order_by(TrainingClass.id.desc())
                                      .limit(CLASSES_PER_PAGE)
                                      .offset((number - 1) * CLASSES_PER_PAGE)))
    counts: dict[int, Counter] = {c.id: Counter() for c in classes}
    if classes:
        query = (select(ExternalTraining.training_class_id, ExternalTraining.status, func.count())
                 .where(ExternalTraining.training_class_id.in_(list(counts)))
                 .group_by(ExternalTraining.training_class_id, ExternalTraining.status))
        if scope is not None:
            query = (query.join(Official, Official.id == ExternalTraining.official_id)
                     .join(Unit, Unit.id == Official.unit_id).where(subtree_condition(scope)))
        for class_id, status, count in db.session.execute(query):
            counts[class_id][status] = int(count)
    return Page([ClassSummary(c, counts[c.id]) for c in classes], number, CLASSES_PER_PAGE,
                total)


def attach_evidence(training_class: TrainingClass, data: bytes, filename: str, user) -> int:
    """Keep ``data`` as the class's scan (its kind checked by content: EvidenceError).

    Replacing a scan puts the class's verified records back to declared: they were
    verified on the old one. Returns how many went back.
    """
    mimetype, extension = check_evidence(data)
    replaced = training_class.has_evidence
    sha256 = hashlib.sha256(data).hexdigest()
    if replaced and sha256 == training_class.evidence_sha256:
        return 0  # the same file again
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()[:200]
    if not name.lower().endswith(f".{extension}") and not (
            extension == "jpg" and name.lower().endswith(".jpeg")):
        name = f"{name or 'ban-quet'}.{extension}"
    previous = training_class.evidence_sha256
    training_class.evidence = data
    training_class.evidence_sha256 = sha256
    training_class.evidence_filename = name
    training_class.evidence_mimetype = mimetype
    training_class.evidence_size = len(data)
    training_class.evidence_at = utcnow()
    training_class.evidence_by_id = user.id
    back = 0
    if replaced:
        back = db.session.execute(
            update(ExternalTraining)
            .where(and_(ExternalTraining.training_class_id == training_class.id,
                        ExternalTraining.status == "verified"))
            .values(status="declared")
            .execution_options(synchronize_session=False)).rowcount or 0
    audit.record("training.evidence", target=_("Lớp %(c)s", c=class_label(training_class)),
                 detail={"class": training_class.id, "filename": name, "mimetype": mimetype,
                         "size": len(data), "sha256": sha256,
                         **({"replaced": previous, "back_to_declared": back}
                            if replaced else {})})
    db.session.flush()
    return back
