"""Learner pages cost the same few SQL statements however big the curriculum is.

Each learner page is requested in a small world (2 courses of 2 lessons, a learner
with a little progress) and again after the world has grown (40 courses, the
course shown grown to 15 lessons, the learner with progress in 30 courses, 12
completions, classroom records and quiz attempts): a page whose statement count
grows with courses, lessons, enrolments or completions fails, with the statements
it ran. Heavy columns (rendered lesson HTML, quiz JSON) are read only where shown,
and what the catalogue shows is computed at `courses sync`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta

from flask_migrate import upgrade
from sqlalchemy import select, text

from lms.courses.logic import published_course_or_404
from lms.courses.models import Course
from lms.courses.sync import sync_courses
from lms.extensions import db
from lms.http_cache import page_cache
from lms.learning import logic as learning
from lms.learning.models import ExternalTraining
from lms.org.models import Official
from tests.builders import load_roster, load_units, make_user, write_course
from tests.conftest import database_url, login, running_app
from tests.conftest import statements as recorded

CODE_INPUT = re.compile(r'name="attempt_id"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*'
                        r'name="attempt_id"')
TOKEN_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SHOWN = "khoa-000"  # the course whose pages are requested
RULES = [{"audience": "official"}]

# The most statements each page may run (today's counts; a new feature may raise one
# with care, but never make it depend on how much there is). Anonymous course and
# lesson pages ask the catalogue's version before reading the course: one statement
# more to render them, and none at all to send them kept (tests/courses/test_http_cache.py).
BUDGET = {
    "home": 2, "catalogue": 2, "catalogue search": 2, "course": 3, "lesson": 4,
    "verify": 1, "course (signed in)": 7, "lesson (signed in)": 8,
    # A learner's pages, first view: one statement more than their reads, the
    # ``learners`` data version (read at every request in tests, every
    # LMS_CONTENT_CHECK_SECONDS in production); seen again unchanged, they are kept
    # (lms/http_cache.kept_learner_page): only the account's row is read.
    "quiz page (signed in)": 8, "quiz submission (signed in)": 5,
    "quiz page opening an attempt": 14,
    "my courses (signed in)": 16, "quiz page again": 2, "my courses again": 2,
}


@contextmanager
def statements() -> Iterator[list[str]]:
    """The SQL statements run inside the block, from a fresh session (as each request
    has in production: nothing is already in the identity map) and with no rendered
    page kept (lms/http_cache.py): what rendering each page costs."""
    db.session.remove()
    page_cache().clear()
    with recorded(compact=True) as seen:
        yield seen


def write_curriculum(courses_dir, courses: int, lessons_shown: int) -> None:
    for i in range(courses):
        lessons = lessons_shown if i == 0 else 2 + i % 4
        write_course(courses_dir, f"khoa-{i:03d}", title=f"Khóa học số {i:03d}",
                     audiences=["official", "citizen"], required_for=RULES,
                     lessons=[f"Bài {j} của khóa {i}" for j in range(1, lessons + 1)])
    sync_courses(courses_dir)
    db.session.commit()


def give_progress(learner, official, courses: list[Course], completed: int) -> None:
    """Lessons done in every course, completions of the first ``completed`` (the shown
    course excepted), an attempt in each, and a classroom record for every third."""
    for n, course in enumerate(courses):
        if course.slug == SHOWN:
            learning.mark_lesson_done(learner, course.active_lessons[0])
            continue
        for lesson in course.active_lessons[:2]:
            learning.mark_lesson_done(learner, lesson)
        if n <= completed:
            learning.record_completion(learner, course, on=date.today() - timedelta(days=n))
        else:
            learning.submit_attempt(learner, learning.open_attempt(learner, course), {})
        if n % 3 == 0:
            db.session.add(ExternalTraining(official_id=official.id, course_id=course.id,
                                            completed_on=date(2025, 6, 1 + n % 28),
                                            source="Lớp tập huấn"))
    db.session.commit()


def measure(client, code: str) -> dict[str, list[str]]:
    """The statements each learner page runs (anonymous first, then signed in)."""
    course_url = f"/courses/{SHOWN}"
    lesson_url = f"{course_url}/lessons/bai-1-cua-khoa-0"
    quiz_url = f"{course_url}/quiz"

    def quiz_submission():
        page = client.get(quiz_url).get_data(as_text=True)
        attempt_id = next(g for g in CODE_INPUT.search(page).groups() if g)
        # Every question left blank, confirmed ("Vẫn nộp bài"): graded at once.
        data = {"csrf_token": TOKEN_INPUT.search(page).group(1), "attempt_id": attempt_id,
                "blanks": "confirmed"}
        return lambda: client.post(quiz_url, data=data)

    anonymous: dict[str, Callable[[], object]] = {
        "home": lambda: client.get("/"),
        "catalogue": lambda: client.get("/courses/"),
        "catalogue search": lambda: client.get("/courses/?q=khoa+hoc+so"),
        "course": lambda: client.get(course_url),
        "lesson": lambda: client.get(lesson_url),
        "verify": lambda: client.get(f"/verify/{code}"),
    }
    signed_in: dict[str, Callable[[], object]] = {
        "course (signed in)": lambda: client.get(course_url),
        "lesson (signed in)": lambda: client.get(lesson_url),
        "quiz page (signed in)": lambda: client.get(quiz_url),
        "my courses (signed in)": lambda: client.get("/my"),
        "quiz page again": lambda: client.get(quiz_url),
        "my courses again": lambda: client.get("/my"),
    }
    counts: dict[str, list[str]] = {}
    client.get("/")  # the session's CSRF token, as a returning visitor has
    for name, request in anonymous.items():
        with statements() as seen:
            response = request()
        assert response.status_code == 200, name
        counts[name] = seen
    assert login(client, "hoc@example.vn").status_code == 302
    client.get(quiz_url)  # the attempt is open: the page is read, as most reads are
    for name, request in signed_in.items():
        with statements() as seen:
            response = request()
        assert response.status_code == 200, name
        counts[name] = seen
    submit = quiz_submission()
    with statements() as seen:
        response = submit()
    assert response.status_code == 302
    counts["quiz submission (signed in)"] = seen
    with statements() as seen:  # the next attempt opens (a write) and is shown
        response = client.get(quiz_url)
    assert response.status_code == 200 and CODE_INPUT.search(response.get_data(as_text=True))
    counts["quiz page opening an attempt"] = seen
    client.post("/logout", data={"csrf_token": TOKEN_INPUT.search(
        client.get("/my").get_data(as_text=True)).group(1)})
    return counts


def test_learner_pages_run_the_same_statements_whatever_the_curriculum(client, courses_dir):
    write_curriculum(courses_dir, courses=2, lessons_shown=2)
    load_units()
    load_roster([["CB-HOC", "Lê Thị Học", "SNV", "công chức", "", "", "", "", "", "", ""]])
    learner = make_user("official", email="hoc@example.vn", name="Lê Thị Học")
    official = db.session.scalar(select(Official).where(Official.employee_code == "CB-HOC"))
    official.user_id = learner.id
    db.session.commit()
    courses = list(db.session.scalars(select(Course).order_by(Course.slug)))
    give_progress(learner, official, courses, completed=1)
    code = learning.latest_completion(learner, courses[1]).code
    small = measure(client, code)

    write_curriculum(courses_dir, courses=40, lessons_shown=15)
    courses = list(db.session.scalars(select(Course).order_by(Course.slug)))
    learner, official = db.session.merge(learner), db.session.merge(official)
    give_progress(learner, official, courses[2:31], completed=12)
    large = measure(client, code)

    grown = {name: (len(small[name]), len(large[name])) for name in small
             if len(large[name]) > len(small[name])}
    detail = "\n".join(f"{name}: {len(small[name])} -> {len(large[name])} statements:\n  "
                       + "\n  ".join(s[:160] for s in large[name]) for name in grown)
    assert not grown, f"statements grow with the curriculum:\n{detail}"
    over = {name: len(large[name]) for name in large if len(large[name]) > BUDGET[name]}
    assert not over, f"over budget {BUDGET}: {over}"


def test_pages_leave_lesson_html_and_quiz_json_unread_where_not_shown(client, course):
    html = re.compile(r"\blessons\.html\b")
    quiz = re.compile(r"\bcourses\.quiz\b")
    client.get("/")
    for url in ("/", "/courses/", "/courses/?q=ky+nang", "/courses/ky-nang-so-co-ban"):
        with statements() as seen:
            assert client.get(url).status_code == 200
        assert not [s for s in seen if html.search(s) or quiz.search(s)], url
    with statements() as seen:
        page = client.get("/courses/ky-nang-so-co-ban/lessons/bai-mo-dau")
    assert "<strong>Bài mở đầu</strong>" in page.get_data(as_text=True)
    assert not [s for s in seen if quiz.search(s)]
    # Only the lesson shown is read with its HTML.
    assert len([s for s in seen if html.search(s)]) == 1


def test_sync_stores_what_the_catalogue_shows(client, courses_dir):
    write_course(courses_dir, "co-kiem-tra", title="Có kiểm tra",
                 lessons=["Một", "Hai", "Ba"])
    write_course(courses_dir, "khong-kiem-tra", title="Không kiểm tra", quiz=False)
    sync_courses(courses_dir)
    db.session.commit()
    with_quiz = published_course_or_404("co-kiem-tra")
    without = published_course_or_404("khong-kiem-tra")
    assert (with_quiz.lesson_count, with_quiz.quiz_questions, with_quiz.quiz_pass_percent,
            with_quiz.quiz_max_attempts, with_quiz.has_quiz) == (3, 5, 60, 0, True)
    assert (without.lesson_count, without.quiz_questions, without.has_quiz) == (2, 0, False)
    page = client.get("/courses/").get_data(as_text=True)
    assert "3 bài" in page and "2 bài" in page and page.count("có bài kiểm tra") == 1
    assert "5 câu, đạt từ 60%" in client.get("/courses/co-kiem-tra").get_data(as_text=True)

    # A lesson removed and the quiz dropped: the next sync counts again.
    write_course(courses_dir, "co-kiem-tra", title="Có kiểm tra", lessons=["Một"], quiz=False)
    sync_courses(courses_dir)
    db.session.commit()
    with_quiz = published_course_or_404("co-kiem-tra")
    assert (with_quiz.lesson_count, with_quiz.quiz_questions, with_quiz.has_quiz) == (1, 0, False)
    assert "có bài kiểm tra" not in client.get("/courses/").get_data(as_text=True)


def test_migration_0009_fills_the_catalogue_data_of_existing_courses(tmp_path, courses_dir):
    (tmp_path / "m").mkdir()
    with running_app(database_url(tmp_path / "m"), create_tables=False,
                     LMS_COURSES_DIR=str(courses_dir)):
        upgrade(revision="0008")
        with db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO courses (id, slug, title, summary, audiences, hours, tags, "
                "competencies, required_for, quiz, search_text, is_published, content_hash, "
                "synced_at) VALUES (1, 'a', 'A', '', ' citizen ', 1, '[]', '[]', '[]', "
                "'{\"pass_percent\": 70, \"max_attempts\": 3, \"shuffle\": true, "
                "\"questions\": [{\"id\": \"x\"}, {\"id\": \"y\"}]}', '', true, 'h', "
                "'2026-01-01 00:00:00'), (2, 'b', 'B', '', ' citizen ', 1, '[]', '[]', '[]', "
                "NULL, '', true, 'h', '2026-01-01 00:00:00')"))
            conn.execute(text(
                "INSERT INTO lessons (course_id, slug, position, title, html, is_active) "
                "VALUES (1, 'l1', 1, 'L1', '', true), (1, 'l2', 2, 'L2', '', true), "
                "(1, 'old', 3, 'Old', '', false), (2, 'l1', 1, 'L1', '', true)"))
        upgrade()
        with db.engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT slug, lesson_count, quiz_questions, quiz_pass_percent, "
                "quiz_max_attempts FROM courses ORDER BY slug")).all()
        assert [tuple(row) for row in rows] == [("a", 2, 2, 70, 3), ("b", 1, 0, None, 0)]
