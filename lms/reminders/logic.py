"""Which reminders and digests are due on a day, computed set-based, and queued.

Officials with an account and an email are reminded of each required course they do
not hold: 14 days and 3 days before its due date, then weekly once it is overdue (at
most 4 times), and 30 days before a held completion's validity ends (courses with
``valid_days``). Citizens and businesses who opted in get the refresher reminders of
their own completions. Whoever chose "weekly" gets one summary a week instead.

Nothing is sent twice: every message's outbox key names its event
(``reminder:{user}:{course}:{event}:{due date or week}``), and the outbox queues a key
once, so running the command twice (or two runs at once) queues nothing new. Queries
are one per required course (and one per manager's unit for digests), never one per
official.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import and_, func, or_, select

from lms.account.logic import reminder_choice, reminder_options
from lms.auth.models import User
from lms.courses.models import Course
from lms.extensions import db
from lms.learning.evidence import counted_statuses
from lms.learning.models import Completion, ExternalTraining, Requirement
from lms.learning.requirements import courses_with_rules, rules_condition
from lms.mail import logic as mail
from lms.mail.bulk import BulkQueue
from lms.mail.models import OutboxMessage
from lms.org.models import Official, Unit

DUE_SOON = 14
DUE_VERY_SOON = 3
OVERDUE_TIMES = 4
REFRESH_BEFORE = 30
NEWLY_OVERDUE_SHOWN = 20
NEWLY_OVERDUE_READ = 5000  # untrained officials read per manager's digest, at most
BELOW_TARGET_SHOWN = 30
LEARNER_ROLES = ("citizen", "business")
_SALT = "lms.reminders.unsubscribe"


# --- one-click unsubscribe -------------------------------------------------------------


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def unsubscribe_token(user_id: int) -> str:
    """A signed token naming the account (no expiry: a mail read months later works)."""
    return _serializer().dumps(user_id)


def user_for_token(token: str) -> User | None:
    try:
        user_id = _serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(user_id, int):
        return None
    user = db.session.get(User, user_id)
    if user is None or user.anonymised_at is not None:
        return None
    return user


def unsubscribe(user: User) -> str:
    """One click from a mail: citizens and businesses stop all reminders; officials, who
    cannot turn off required-course reminders, get the weekly summary instead."""
    user.reminders = "off" if "off" in reminder_options(user) else "weekly"
    return user.reminders


def unsubscribe_headers(user_id: int) -> tuple[str, dict[str, str]]:
    return UnsubscribeLinks()(user_id)


class UnsubscribeLinks:
    """unsubscribe_headers for many people: the serializer and the link's route are
    built once, not once a message."""

    _MARK = "TOKEN"

    def __init__(self) -> None:
        self._serializer = _serializer()
        link = mail.external_url("reminders.unsubscribe", token=self._MARK)
        self._before, self._after = link.rsplit(self._MARK, 1)

    def __call__(self, user_id: int) -> tuple[str, dict[str, str]]:
        link = f"{self._before}{self._serializer.dumps(user_id)}{self._after}"
        return link, {"List-Unsubscribe": f"<{link}>",
                      "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


# --- what is due -------------------------------------------------------------------------


@dataclass(slots=True)
class Item:
    """One course in a reminder: ``event`` is due14, due3, overdue or refresher."""

    course_id: int
    title: str
    slug: str
    event: str
    on: date  # the due date, or the day the completion stops being valid
    week: int = 0  # for overdue: the n-th week overdue (1..4)

    @property
    def key_part(self) -> str:
        return f"{self.on.isoformat()}:w{self.week}" if self.event == "overdue" \
            else self.on.isoformat()


@dataclass(slots=True)
class Learner:
    user_id: int
    email: str
    name: str
    choice: str
    items: list[Item] = field(default_factory=list)


def _event(today: date, due: date | None, held_until: date | None, held: bool
           ) -> tuple[str, date, int] | None:
    if held:
        if held_until is not None and 0 <= (held_until - today).days <= REFRESH_BEFORE:
            return "refresher", held_until, 0
        return None
    if due is None:
        return None
    left = (due - today).days
    if DUE_VERY_SOON < left <= DUE_SOON:
        return "due14", due, 0
    if 0 <= left <= DUE_VERY_SOON:
        return "due3", due, 0
    if left < 0:
        week = (-left - 1) // 7 + 1
        if week <= OVERDUE_TIMES:
            return "overdue", due, week
    return None


def _choice(reminders: str | None, role: str) -> str:
    audience = role if role in LEARNER_ROLES else "official"
    return reminder_choice(SimpleNamespace(reminders=reminders, audience=audience))


def _held(last: date | None, valid_days: int | None, today: date) -> tuple[bool, date | None]:
    """(held today, last day it is valid) from the latest completion date."""
    if last is None:
        return False, None
    if valid_days is None:
        return last <= today, None
    until = last + timedelta(days=valid_days)
    return last <= today <= until, until


def _latest_online(course_id: int, today: date):
    return (select(func.max(Completion.completed_on))
            .where(Completion.user_id == User.id, Completion.course_id == course_id,
                   Completion.completed_on <= today).scalar_subquery())


def due_learners(today: date) -> list[Learner]:
    """Everyone with something to be reminded of today, with their items."""
    learners: dict[int, Learner] = {}

    def add(row, course: Course, last: date | None, due: date | None) -> None:
        held, until = _held(last, course.valid_days, today)
        found = _event(today, due, until, held)
        if found is None:
            return
        learner = learners.get(row.user_id)
        if learner is None:
            learner = learners[row.user_id] = Learner(
                row.user_id, row.email, row.full_name, _choice(row.reminders, row.role))
        event, on, week = found
        learner.items.append(Item(course.id, course.title, course.slug, event, on, week))

    statuses = counted_statuses()
    for course in courses_with_rules():
        if not course.due_days and not course.valid_days:
            continue
        external = (select(func.max(ExternalTraining.completed_on))
                    .where(ExternalTraining.official_id == Official.id,
                           ExternalTraining.course_id == course.id,
                           ExternalTraining.status.in_(statuses),
                           ExternalTraining.completed_on <= today).scalar_subquery())
        statement = (
            select(User.id.label("user_id"), User.email, User.full_name, User.reminders,
                   User.role, Requirement.since, _latest_online(course.id, today).label("on"),
                   external.label("ext"))
            .select_from(Official)
            .join(Unit, Unit.id == Official.unit_id)
            .join(User, User.id == Official.user_id)
            .outerjoin(Requirement, and_(Requirement.official_id == Official.id,
                                         Requirement.course_id == course.id))
            .where(Official.status != "left", rules_condition(course.required_for),
                   User.email.is_not(None), User.is_active.is_(True),
                   User.anonymised_at.is_(None))
        )
        for row in db.session.execute(statement.execution_options(yield_per=5000)):
            last = max((d for d in (row.on, row.ext) if d is not None), default=None)
            # Without a requirement row the start date is not known yet: no due date.
            due = row.since + timedelta(days=course.due_days) \
                if course.due_days and row.since else None
            add(row, course, last, due)

    # Citizens and businesses who opted in: refreshers of their own completions.
    refreshable = list(db.session.scalars(
        select(Course).where(Course.is_published.is_(True), Course.valid_days.is_not(None))))
    opted_in = ("each", "weekly")
    for course in refreshable:
        statement = (
            select(User.id.label("user_id"), User.email, User.full_name, User.reminders,
                   User.role, _latest_online(course.id, today).label("on"))
            .where(User.role.in_(LEARNER_ROLES), User.reminders.in_(opted_in),
                   User.email.is_not(None), User.is_active.is_(True),
                   User.anonymised_at.is_(None))
        )
        for row in db.session.execute(statement):
            if row.on is not None:
                add(row, course, row.on, None)
    return [learner for learner in learners.values() if learner.choice != "off"]


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass
class RunResult:
    reminders: int = 0
    summaries: int = 0
    digests: int = 0
    learners: int = 0


def _keys(learner: Learner, today: date) -> list[str]:
    if learner.choice == "weekly":
        return [f"reminder-weekly:{learner.user_id}:{iso_week(today)}"]
    return [f"reminder:{learner.user_id}:{item.course_id}:{item.event}:{item.key_part}"
            for item in learner.items]


def _queued_keys(groups: list[list[str]]) -> set[str]:
    """Which of these outbox keys exist already, 500 at a time (the unique index)."""
    wanted = [key for group in groups for key in group]
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        found.update(db.session.scalars(select(OutboxMessage.key).where(
            OutboxMessage.key.in_(wanted[start:start + 500]))))
    return found


def _variant(item: Item) -> tuple:
    return (item.course_id, item.title, item.slug, item.event, item.on, item.week)


def queue_learner_reminders(today: date, result: RunResult,
                            checkpoint: Callable[[], None] | None = None) -> None:
    """Queue everyone's reminders: each distinct message (course, event, date) is
    rendered once and personalised (lms/mail/bulk.py), rows inserted in batches.

    Rows go in in one order (by account, then course) whatever order the query
    returned them in: two overlapping runs then take the outbox keys' locks in the
    same order, so on PostgreSQL one waits for the other instead of each holding a
    key the other is inserting (a deadlock). ``checkpoint`` runs after each batch
    (see send_reminders)."""
    courses_url = mail.external_url("learning.my_learning")
    course_urls: dict[str, str] = {}
    learners = sorted(due_learners(today), key=lambda learner: learner.user_id)
    queued = _queued_keys([_keys(learner, today) for learner in learners])
    reminders = BulkQueue(on_flush=checkpoint)
    summaries = BulkQueue(on_flush=checkpoint)
    links = UnsubscribeLinks()
    for learner in learners:
        result.learners += 1
        keys = _keys(learner, today)
        if all(key in queued for key in keys):
            continue  # already queued by an earlier run: not even rendered
        link, headers = links(learner.user_id)
        personal = {"unsubscribe_link": link}
        if learner.choice == "weekly":
            items = sorted(learner.items, key=lambda i: (i.on, i.title))
            summaries.add(keys[0], learner.email, "reminder_weekly", name=learner.name,
                          personal=personal, headers=headers,
                          variant=(today, tuple(_variant(i) for i in items)),
                          items=items, week=iso_week(today), courses_url=courses_url,
                          today=today)
            continue
        for key, item in zip(keys, learner.items, strict=True):
            if key in queued:
                continue
            if item.slug not in course_urls:
                course_urls[item.slug] = mail.external_url("courses.course", slug=item.slug)
            reminders.add(key, learner.email, "reminder", name=learner.name,
                          personal=personal, headers=headers,
                          variant=(today, _variant(item)), item=item,
                          course_url=course_urls[item.slug], courses_url=courses_url,
                          today=today)
    reminders.flush()
    summaries.flush()
    result.reminders += reminders.queued
    result.summaries += summaries.queued


# --- managers' digests -----------------------------------------------------------------


@dataclass
class Digest:
    unit_code: str
    unit_name: str
    percent: Decimal
    target: Decimal
    change: Decimal
    total: int
    trained: int
    newly_overdue: list[str]
    newly_overdue_more: bool
    below_target: list[tuple[str, str, Decimal, Decimal]]
    untrained_url: str
    report_url: str


def province_reports(today: date) -> list | None:
    """The whole tree's report today and a week ago (one aggregate), which every
    manager's digest is cut from; None when there is no tree."""
    from lms.reports.indicator import StructureError, compliance_reports

    try:
        return compliance_reports(None, [today, today - timedelta(days=7)], today=today)
    except StructureError:
        return None


def _subtree(report, unit: Unit | None):
    """(the unit's row, the rows below it with their depth under it), or None when the
    unit is not in the report's tree."""
    rows = report.rows
    start = 0
    if unit is not None:
        start = next((i for i, row in enumerate(rows) if row.unit_id == unit.id), None)
        if start is None:
            return None
    root = rows[start]
    below = []
    for row in rows[start + 1:]:
        if row.depth <= root.depth:
            break
        below.append((row.depth - root.depth, row))
    return root, below


def build_digest(unit: Unit | None, today: date, with_overdue: bool = True,
                 reports: list | None = None) -> Digest | None:
    """A manager's digest of ``unit`` (None: the province). ``reports`` are
    :func:`province_reports`, computed once for a run; a unit's rows are the same in
    the whole tree's report as in its own (each official's status does not depend on
    the report's scope)."""
    from lms.reports.indicator import untrained_officials

    reports = reports if reports is not None else province_reports(today)
    if reports is None:
        return None
    now, before = (_subtree(report, unit) for report in reports)
    if now is None or before is None:
        return None  # the unit did not exist today or a week ago
    root, below_rows = now
    change = root.percent_trained - before[0].percent_trained
    below = [(row.unit_code, row.unit_name, row.percent_trained, row.target_percent)
             for depth, row in below_rows
             if (with_overdue or depth == 1) and row.officials_total
             and not row.meets_target]
    names: list[str] = []
    more = False
    if with_overdue:
        # Only officials with a due date in the past week are read (in SQL).
        week_ago = today - timedelta(days=7)
        for person in untrained_officials(unit, today, limit=NEWLY_OVERDUE_READ, today=today,
                                          due_within=(week_ago, today)):
            if any(m.overdue and m.due_on is not None and week_ago <= m.due_on < today
                   for m in person.missing):
                if len(names) == NEWLY_OVERDUE_SHOWN:
                    more = True
                    break
                names.append(f"{person.full_name} ({person.unit_name})")
    code = unit.code if unit is not None else None
    args = {"unit": code} if code else {}
    return Digest(
        unit_code=root.unit_code, unit_name=root.unit_name, percent=root.percent_trained,
        target=root.target_percent, change=change, total=root.officials_total,
        trained=root.officials_trained, newly_overdue=names, newly_overdue_more=more,
        below_target=below[:BELOW_TARGET_SHOWN],
        untrained_url=mail.external_url("reports.untrained", **args),
        report_url=mail.external_url("reports.compliance", **args))


def queue_digests(today: date, result: RunResult,
                  checkpoint: Callable[[], None] | None = None) -> None:
    week = iso_week(today)
    managers = db.session.execute(
        select(User.id, User.email, User.full_name, User.role, Unit)
        .outerjoin(Unit, Unit.id == User.unit_id)
        .where(or_(and_(User.role == "unit_manager", User.unit_id.is_not(None)),
                   User.role == "admin"),
                User.email.is_not(None), User.is_active.is_(True),
                User.anonymised_at.is_(None))
        .order_by(User.id)).all()
    cache: dict[int | None, Digest | None] = {}
    reports: list | None = None
    computed = False
    for user_id, email, name, role, unit in managers:
        province = role == "admin"
        key = f"digest:{user_id}:{week}"
        # A digest already queued this week: do not even compute it.
        if db.session.scalar(select(func.count()).where(OutboxMessage.key == key)):
            continue
        scope = None if province else unit
        scope_key = None if province else unit.id
        if scope_key not in cache:
            if not computed:  # the whole tree once, for every manager of the run
                reports, computed = province_reports(today), True
            cache[scope_key] = None if reports is None else build_digest(
                scope, today, with_overdue=not province, reports=reports)
        digest = cache[scope_key]
        if digest is None:
            continue
        if mail.queue(key, email, "digest", name=name, digest=digest, week=week,
                      province=province, today=today):
            result.digests += 1
            if checkpoint is not None:
                checkpoint()


def send_reminders(today: date, checkpoint: Callable[[], None] | None = None) -> RunResult:
    """Queue what is due on ``today``; the caller commits.

    ``checkpoint`` is called after each batch of reminders and each digest; the
    command passes its session's commit. Every message's key makes each batch safe to
    commit on its own (a run stopped half-way is finished by the next, nothing twice),
    and on SQLite the one write lock is then held for a batch at a time: pages that
    write, and an overlapping run, wait milliseconds rather than for the whole run
    (which at province scale outlasts the 30 s busy timeout)."""
    result = RunResult()
    queue_learner_reminders(today, result, checkpoint)
    queue_digests(today, result, checkpoint)
    return result
