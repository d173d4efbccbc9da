"""Many requests for the same learner at the same instant: each effect happens once.

Real threads, each with its own app context (hence its own session and
connection), start together on a barrier and call the logic functions the
views call, against the file database of the suite (SQLite, or PostgreSQL
with LMS_TEST_DATABASE_URL). No thread may fail; the losers get the
winner's result ("already submitted", the same certificate).
"""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from lms.auth.models import User
from lms.courses.logic import published_course_or_404
from lms.courses.models import Lesson
from lms.courses.sync import sync_courses
from lms.extensions import begin_write, db
from lms.learning import logic
from lms.learning.models import Completion, LessonProgress, QuizAttempt
from tests.builders import RIGHT_ANSWERS, make_user, write_course

THREADS = 50


@pytest.fixture
def app_settings():
    """A pool big enough for every thread to hold a connection at once: the
    database, not the pool, decides who waits."""
    return {"SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": THREADS + 5, "max_overflow": 0,
                                          "pool_timeout": 60}}


def run_together(app, work):
    """``work(index)`` in THREADS threads released at once, each in its own app
    context; returns the results in order (an exception in any thread fails)."""
    barrier = threading.Barrier(THREADS, timeout=60)

    def one(index):
        barrier.wait()
        with app.app_context():
            try:
                return work(index)
            except BaseException:
                db.session.rollback()
                raise

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        futures = [pool.submit(one, i) for i in range(THREADS)]
        return [future.result(timeout=120) for future in futures]


def test_simultaneous_submissions_grade_one_attempt_once(app, courses_dir):
    write_course(courses_dir)  # two lessons and a quiz
    sync_courses(courses_dir)
    db.session.commit()
    course = published_course_or_404("ky-nang-so-co-ban")
    user = make_user("citizen")
    for lesson in course.active_lessons:
        logic.mark_lesson_done(user, lesson)
    attempt = logic.open_attempt(user, course)
    db.session.commit()
    user_id, attempt_id, course_id = user.id, attempt.id, course.id
    db.session.remove()  # the main thread keeps no transaction open

    def submit(_index):
        # What the quiz view does with a POST: load the learner and the attempt, submit.
        learner = db.session.get(User, user_id)
        attempt = db.session.get(QuizAttempt, attempt_id)
        result = logic.submit_attempt(learner, attempt, dict(RIGHT_ANSWERS))
        db.session.commit()
        return result.graded_now, result.attempt.score_percent, (
            result.completion.code if result.completion else None)

    results = run_together(app, submit)

    graded = [r for r in results if r[0]]
    assert len(graded) == 1, results
    # The losers see the one result: already submitted, same score, same certificate.
    assert {r[1] for r in results} == {100.0}
    codes = {r[2] for r in results}
    assert len(codes) == 1 and None not in codes, codes

    attempts = db.session.scalars(select(QuizAttempt).where(
        QuizAttempt.user_id == user_id, QuizAttempt.course_id == course_id)).all()
    assert [(a.id, a.correct_count, a.passed) for a in attempts] == [(attempt_id, 5, True)]
    completions = db.session.scalars(select(Completion).where(
        Completion.user_id == user_id, Completion.course_id == course_id)).all()
    assert len(completions) == 1
    assert completions[0].code == codes.pop() and completions[0].attempt_id == attempt_id


def test_simultaneous_last_lesson_completes_the_course_once(app, courses_dir):
    write_course(courses_dir, "an-toan-thong-tin", title="An toàn thông tin",
                 lessons=["Mật khẩu", "Lừa đảo qua mạng"], quiz=False)
    sync_courses(courses_dir)
    db.session.commit()
    course = published_course_or_404("an-toan-thong-tin")
    user = make_user("citizen")
    first, last = course.active_lessons
    logic.mark_lesson_done(user, first)
    db.session.commit()
    user_id, lesson_id, course_id = user.id, last.id, course.id
    db.session.remove()

    def mark_done(_index):
        # What the "done" view does: load the learner and the lesson, mark it done.
        learner = db.session.get(User, user_id)
        lesson = db.session.get(Lesson, lesson_id)
        completion = logic.mark_lesson_done(learner, lesson)
        db.session.commit()
        return completion.code if completion else None

    codes = run_together(app, mark_done)

    assert len(set(codes)) == 1 and None not in codes, set(codes)
    progress = db.session.scalar(select(func.count(LessonProgress.id)).where(
        LessonProgress.user_id == user_id, LessonProgress.lesson_id == lesson_id))
    assert progress == 1
    completions = db.session.scalars(select(Completion).where(
        Completion.user_id == user_id, Completion.course_id == course_id)).all()
    assert [(c.sequence, c.code) for c in completions] == [(1, codes[0])]


def test_the_logic_commits_nothing_the_caller_rolls_back(app, courses_dir):
    """Savepoints nest inside the request's transaction: a rolled-back request
    leaves no lesson marked done and no completion (on SQLite, a RELEASE of a
    savepoint that opened the transaction used to commit it)."""
    write_course(courses_dir, "an-toan-thong-tin", lessons=["Mật khẩu"], quiz=False)
    sync_courses(courses_dir)
    db.session.commit()
    course = published_course_or_404("an-toan-thong-tin")
    user = make_user("citizen")
    completion = logic.mark_lesson_done(user, course.active_lessons[0])
    assert completion is not None
    db.session.rollback()
    assert db.session.scalar(select(func.count(LessonProgress.id))) == 0
    assert db.session.scalar(select(func.count(Completion.id))) == 0


@pytest.mark.sqlite_only
def test_on_sqlite_reads_take_no_lock_and_begin_write_takes_it_first(app):
    def locked() -> bool:
        other = sqlite3.connect(db.engine.url.database, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError:
            return True
        finally:
            other.close()

    user = make_user("citizen")
    assert db.session.get(User, user.id) is not None
    assert not locked()  # a read (a page, a report) holds nothing
    begin_write()
    assert locked()  # the reads that decide a write now come first in the queue
    db.session.rollback()
    assert not locked()
    db.session.add(LessonProgress(user_id=user.id, lesson_id=999_999))
    with pytest.raises(IntegrityError):  # the first write takes the lock, then fails
        db.session.flush()
    db.session.rollback()
    assert not locked()
