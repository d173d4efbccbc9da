"""`flask reminders send`: reminders at 14 and 3 days, overdue weekly (4 times at most),
refreshers before validity ends, the weekly summary, opt-in and one-click unsubscribe,
and the managers' weekly digests."""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from lms.auth.logic import create_user
from lms.auth.models import User
from lms.courses.logic import published_course_or_404
from lms.courses.sync import sync_courses
from lms.extensions import db
from lms.learning.models import Completion
from lms.mail.bulk import BulkQueue
from lms.mail.models import OutboxMessage
from lms.org.logic import unit_by_code
from lms.org.models import Official
from lms.reminders import logic as reminders
from lms.reminders.logic import send_reminders
from tests.builders import load_roster, load_units, write_course

START = date(2026, 1, 1)  # the roster's date: requirements start then


def row(code, name, unit, email=""):
    return [code, name, unit, "công chức", "", "", "", email, "", "", ""]


def account(code: str, email: str, reminders: str | None = None) -> User:
    official = db.session.scalar(select(Official).where(Official.employee_code == code))
    user = create_user(full_name=official.full_name, role="official", password=None,
                       email=email)
    user.reminders = reminders
    official.user_id = user.id
    db.session.commit()
    return user


def complete(user: User, slug: str, on: date) -> None:
    course = published_course_or_404(slug)
    db.session.add(Completion(user_id=user.id, course_id=course.id, sequence=1,
                              completed_on=on, code=f"C{user.id}-{course.id}"))
    db.session.commit()


@pytest.fixture
def province(app, courses_dir):
    write_course(courses_dir, "co-ban", title="Cơ bản", quiz=False, due_days=30,
                 required_for=[{"audience": "official"}])
    write_course(courses_dir, "an-toan", title="An toàn thông tin", quiz=False,
                 valid_days=365, required_for=[{"audience": "official"}])
    sync_courses(courses_dir)
    load_units()
    load_roster([row("CB-01", "Nguyễn Văn Một", "SNV", "mot@snv.vn"),
                 row("CB-02", "Trần Thị Hai", "SNV-TC", "hai@snv.vn"),
                 row("CB-03", "Lê Văn Ba", "SNV-TC")], today=START)


def outbox(prefix: str = "") -> list[OutboxMessage]:
    db.session.expire_all()
    return [m for m in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
            if m.key.startswith(prefix)]


def run(runner, day: date) -> str:
    result = runner.invoke(args=["reminders", "send", "--today", day.isoformat()])
    assert result.exit_code == 0, result.output
    return result.output


def test_reminded_at_14_and_3_days_and_overdue_once_each(app, runner, province):
    one = account("CB-01", "mot@snv.vn")
    due = START + timedelta(days=30)
    day = START
    while day <= due + timedelta(days=60):
        run(runner, day)
        if day in (due - timedelta(days=14), due - timedelta(days=3), due + timedelta(days=1)):
            run(runner, day)  # twice the same day: nothing new
        day += timedelta(days=1)
    keys = [m.key for m in outbox(f"reminder:{one.id}:")]
    course = published_course_or_404("co-ban")
    assert [k for k in keys if f":{course.id}:" in k] == [
        f"reminder:{one.id}:{course.id}:due14:{due}",
        f"reminder:{one.id}:{course.id}:due3:{due}",
        *[f"reminder:{one.id}:{course.id}:overdue:{due}:w{n}" for n in (1, 2, 3, 4)],
    ]
    # No account (CB-03) or no email: nothing; the other official is reminded too.
    assert {m.to_address for m in outbox("reminder:")} == {"mot@snv.vn"}
    message = outbox(f"reminder:{one.id}:{course.id}:due14")[0]
    assert "Cơ bản" in message.subject and "31/01/2026" in message.text_body
    headers = json.loads(message.headers)
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert re.fullmatch(r"<https?://\S+/reminders/unsubscribe/\S+>", headers["List-Unsubscribe"])


def test_overdue_is_weekly_and_at_most_four_times(app, province):
    one = account("CB-01", "mot@snv.vn")
    due = START + timedelta(days=30)
    course = published_course_or_404("co-ban")
    for day in (due + timedelta(days=d) for d in (1, 3, 8, 15, 22, 29, 36, 100)):
        send_reminders(day)
        db.session.commit()
    keys = [m.key for m in outbox(f"reminder:{one.id}:{course.id}:overdue")]
    assert keys == [f"reminder:{one.id}:{course.id}:overdue:{due}:w{n}" for n in (1, 2, 3, 4)]


def test_done_course_is_not_reminded_and_refresher_before_validity_ends(app, province):
    one = account("CB-01", "mot@snv.vn")
    complete(one, "co-ban", date(2026, 1, 5))
    complete(one, "an-toan", date(2026, 1, 5))
    ends = date(2026, 1, 5) + timedelta(days=365)
    for day in (date(2026, 1, 20), ends - timedelta(days=31), ends - timedelta(days=30),
                ends - timedelta(days=10), ends):
        send_reminders(day)
        db.session.commit()
    security = published_course_or_404("an-toan")
    assert [m.key for m in outbox(f"reminder:{one.id}:")] == [
        f"reminder:{one.id}:{security.id}:refresher:{ends}"]
    assert "Sắp hết hiệu lực" in outbox(f"reminder:{one.id}:")[0].subject


def test_weekly_summary_instead_of_each_mail(app, province):
    one = account("CB-01", "mot@snv.vn", reminders="weekly")
    due = START + timedelta(days=30)
    for offset in range(-14, 10):
        send_reminders(due + timedelta(days=offset))
        db.session.commit()
    assert outbox(f"reminder:{one.id}:") == []
    weekly = outbox(f"reminder-weekly:{one.id}:")
    weeks = {(due + timedelta(days=o)).isocalendar()[:2] for o in range(-14, 10)}
    assert len(weekly) == len(weeks)  # one a week, each ISO week of the period
    assert "Cơ bản" in weekly[0].text_body
    assert "List-Unsubscribe" in json.loads(weekly[0].headers)


def test_citizens_only_if_opted_in_and_one_click_unsubscribe(app, client, province):
    course = published_course_or_404("an-toan")
    ends = date(2026, 1, 5) + timedelta(days=365)
    quiet = create_user(full_name="Dân Một", role="citizen", password=None,
                        email="mot@dan.vn")
    keen = create_user(full_name="Dân Hai", role="citizen", password=None, email="hai@dan.vn")
    keen.reminders = "each"
    db.session.commit()
    complete(quiet, "an-toan", date(2026, 1, 5))
    complete(keen, "an-toan", date(2026, 1, 5))
    send_reminders(ends - timedelta(days=20))
    db.session.commit()
    messages = outbox("reminder:")
    assert [m.key for m in messages] == [f"reminder:{keen.id}:{course.id}:refresher:{ends}"]
    link = json.loads(messages[0].headers)["List-Unsubscribe"].strip("<>")
    path = "/" + link.split("/", 3)[3]
    page = client.get(path)
    assert page.status_code == 200 and "Ngừng nhận email nhắc học" in page.get_data(True)
    db.session.expire_all()
    assert db.session.get(User, keen.id).reminders == "each"  # GET changes nothing
    # The mail client's one-click POST: no session, no CSRF token.
    response = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(User, keen.id).reminders == "off"
    assert client.post("/reminders/unsubscribe/forged").status_code == 404


def test_an_officials_one_click_unsubscribe_chooses_the_weekly_summary(app, client, province):
    from lms.reminders.logic import unsubscribe_token

    one = account("CB-01", "mot@snv.vn")
    response = client.post(f"/reminders/unsubscribe/{unsubscribe_token(one.id)}")
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(User, one.id).reminders == "weekly"


def test_digest_for_the_hr_officer_and_the_province_admin(app, runner, province):
    snv = unit_by_code("SNV")
    hr = create_user(full_name="Cán bộ Nhân sự", role="unit_manager", password=None,
                     email="hr@snv.vn", unit=snv)
    admin = create_user(full_name="Quản trị", role="admin", password=None,
                        email="admin@tinh.vn")
    db.session.commit()
    one = account("CB-01", "mot@snv.vn")
    account("CB-02", "hai@snv.vn")
    due = START + timedelta(days=30)
    today = due + timedelta(days=3)  # newly overdue this week
    # CB-01 trained between last week and today: 0% -> 33.3% of SNV's 3 officials.
    complete(one, "co-ban", today - timedelta(days=2))
    complete(one, "an-toan", today - timedelta(days=2))
    run(runner, today)
    run(runner, today + timedelta(days=1))  # same ISO week: nothing new
    digests = outbox("digest:")
    assert {m.to_address for m in digests} == {"hr@snv.vn", "admin@tinh.vn"}
    assert len(digests) == 2
    mine = next(m for m in digests if m.to_address == "hr@snv.vn")
    body = mine.text_body
    assert "1/3" in body and "33.3" in body  # percent of the subtree
    assert "+33.3" in body  # the change since last week
    assert "Trần Thị Hai" in body and "Lê Văn Ba" in body  # newly overdue
    assert "Nguyễn Văn Một" not in body.split("Mới quá hạn")[1].split("Danh sách")[0]
    assert "/reports/untrained" in body
    assert "SNV-TC" in body  # a subordinate unit below target
    province_mail = next(m for m in digests if m.to_address == "admin@tinh.vn")
    assert "Tổng hợp tuần" in province_mail.subject
    # Next week: a new digest.
    run(runner, today + timedelta(days=7))
    assert len(outbox(f"digest:{hr.id}:")) == 2 and len(outbox(f"digest:{admin.id}:")) == 2


def overlapping_runs(app, day: date, decided_in: str, opposite_orders: bool = False,
                     batch_commits: bool = False) -> list:
    """Two runs of `reminders send` for ``day`` at the same moment: each in a thread of
    its own with its own app context, session and database connection. Both wait at
    a barrier right after ``decided_in`` (the step that decides what is not queued yet)
    returns, so each decides before either writes or commits. With ``batch_commits``
    each run commits after every batch, as the command does.

    With ``opposite_orders`` the second run reads the learners in the reverse order (a
    query without ORDER BY may return rows in any order on PostgreSQL), rows are
    inserted one at a time (as a province's runs do a thousand at a time), and after
    its first insert each run waits (3 s at most) for the other to have inserted too:
    the interleaving in which two transactions each hold a row the other wants."""
    barrier = threading.Barrier(2, timeout=30)
    decide = getattr(reminders, decided_in)
    read_learners, flush = reminders.due_learners, BulkQueue.flush
    mine = threading.local()
    started, first_writes = [], threading.Barrier(2, timeout=3)

    def decide_then_wait(*args, **kwargs):
        decided = decide(*args, **kwargs)
        if not getattr(mine, "decided", False):  # the first decision of each run
            mine.decided = True
            barrier.wait()
        return decided

    def learners_in_this_runs_order(today):
        found = read_learners(today)
        return found[::-1] if mine.second else found

    def one_row_at_a_time_then_wait(queue):
        rows = queue._rows
        for row in rows:
            queue._rows = [row]
            flush(queue)
            if not getattr(mine, "wrote", False):
                mine.wrote = True
                # The other run's first write; on SQLite it waits for this run's lock.
                with contextlib.suppress(threading.BrokenBarrierError):
                    first_writes.wait()
        queue._rows = []

    results, errors = [], []

    def run_once() -> None:
        mine.second = bool(started)
        started.append(True)
        try:
            with app.app_context():
                result = send_reminders(
                    day, checkpoint=db.session.commit if batch_commits else None)
                db.session.commit()
                results.append(result)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
            barrier.abort()

    threads = [threading.Thread(target=run_once) for _ in range(2)]
    setattr(reminders, decided_in, decide_then_wait)
    if opposite_orders:
        reminders.due_learners = learners_in_this_runs_order
        BulkQueue.flush = one_row_at_a_time_then_wait
    try:
        for thread in threads:
            thread.start()
            while len(started) < threads.index(thread) + 1:
                time.sleep(0.001)
        for thread in threads:
            thread.join(timeout=90)
    finally:
        setattr(reminders, decided_in, decide)
        reminders.due_learners, BulkQueue.flush = read_learners, flush
    assert not any(thread.is_alive() for thread in threads), "a run never finished"
    assert errors == []
    assert barrier.n_waiting == 0 and not barrier.broken  # both really met there
    return results


def keys_per_count() -> Counter:
    db.session.expire_all()
    return Counter(dict(db.session.execute(
        select(OutboxMessage.key, func.count()).group_by(OutboxMessage.key)).all()))


@pytest.fixture
def managers(province):
    hr = create_user(full_name="Cán bộ Nhân sự", role="unit_manager", password=None,
                     email="hr@snv.vn", unit=unit_by_code("SNV"))
    admin = create_user(full_name="Quản trị", role="admin", password=None,
                        email="admin@tinh.vn")
    db.session.commit()
    return hr, admin


@pytest.mark.parametrize("batch_commits", [False, True], ids=["one-transaction", "batches"])
def test_two_overlapping_runs_queue_each_reminder_once(app, managers, batch_commits):
    hr, admin = managers
    one = account("CB-01", "mot@snv.vn")
    two = account("CB-02", "hai@snv.vn", reminders="weekly")
    due = START + timedelta(days=30)
    day = due - timedelta(days=14)
    course = published_course_or_404("co-ban")
    results = overlapping_runs(app, day, "_queued_keys", batch_commits=batch_commits)

    week = reminders.iso_week(day)
    expected = {f"reminder:{one.id}:{course.id}:due14:{due}": 1,
                f"reminder-weekly:{two.id}:{week}": 1,
                f"digest:{hr.id}:{week}": 1, f"digest:{admin.id}:{week}": 1}
    assert keys_per_count() == expected
    # What the two runs report adds up to what was queued: one of them queued each.
    assert sum(r.reminders for r in results) == 1
    assert sum(r.summaries for r in results) == 1
    assert sum(r.digests for r in results) == 2
    # And a later run that day finds nothing new.
    assert send_reminders(day).reminders == 0
    db.session.commit()
    assert keys_per_count() == expected


def test_two_overlapping_runs_queue_each_digest_once(app, managers):
    hr, admin = managers
    account("CB-01", "mot@snv.vn")
    day = START + timedelta(days=1)  # no learner has anything due: digests only
    results = overlapping_runs(app, day, "build_digest")

    week = reminders.iso_week(day)
    assert keys_per_count() == {f"digest:{hr.id}:{week}": 1, f"digest:{admin.id}:{week}": 1}
    assert sum(r.digests for r in results) == 2


def test_overlapping_runs_reading_learners_in_opposite_orders(app, managers):
    # Each run writes its rows in its own order: on PostgreSQL two transactions that
    # insert the same keys in opposite orders wait for each other (a deadlock) unless
    # rows go in in one order whatever the query returned.
    users = [account("CB-01", "mot@snv.vn"), account("CB-02", "hai@snv.vn")]
    due = START + timedelta(days=30)
    day = due - timedelta(days=3)
    course = published_course_or_404("co-ban")
    results = overlapping_runs(app, day, "_queued_keys", opposite_orders=True)

    counts = keys_per_count()
    assert {key: n for key, n in counts.items() if key.startswith("reminder:")} == {
        f"reminder:{user.id}:{course.id}:due3:{due}": 1 for user in users}
    assert set(counts.values()) == {1}
    assert sum(r.reminders for r in results) == 2


def test_pages_keep_writing_while_a_run_is_queueing(app, client, province):
    # A province's run takes a while (150,000 messages on a heavy day). On SQLite a
    # transaction that has written holds the one write lock until it commits, and
    # anyone else's write waits for it (30 s at most, then "database is locked"): the
    # command commits after each batch so that pages that write go on meanwhile. Here
    # the run stops after its first batch until the page has been answered.
    from lms.reminders.cli import send_command
    from tests.conftest import post_form

    account("CB-01", "mot@snv.vn")
    account("CB-02", "hai@snv.vn")
    create_user(full_name="Dân Ba", role="citizen", password="mat-khau-dan-ba",
                email="ba@dan.vn")
    db.session.commit()
    day = START + timedelta(days=30 - 3)
    flush, paused, resume, errors = BulkQueue.flush, threading.Event(), threading.Event(), []

    def one_row_then_pause(queue):
        rows, queue._rows = queue._rows, []
        for row in rows:
            queue._rows = [row]
            flush(queue)
            if not paused.is_set():
                paused.set()
                resume.wait(60)  # longer than SQLite's busy timeout

    def run_command() -> None:
        try:
            with app.app_context():
                send_command.main(["--today", day.isoformat()], standalone_mode=False)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
            paused.set()

    BulkQueue.flush = one_row_then_pause
    run = threading.Thread(target=run_command)
    try:
        run.start()
        assert paused.wait(30)
        answer = post_form(client, "/password/forgot", {"email": "ba@dan.vn"},
                           token_from="/password/forgot")
        assert answer.status_code == 200
        assert "Hãy kiểm tra hộp thư" in answer.get_data(as_text=True)
    finally:
        resume.set()
        run.join(timeout=60)
        BulkQueue.flush = flush
    assert errors == []
    assert sorted(m.key.split(":")[0] for m in outbox()) == [
        "password-reset", "reminder", "reminder"]
