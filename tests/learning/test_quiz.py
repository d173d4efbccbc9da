"""Quiz attempts through the web, and completion exactly once."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from lms.courses.sync import sync_courses
from lms.extensions import db
from lms.learning import logic
from lms.learning.models import Completion, QuizAttempt
from tests.builders import DEFAULT_QUIZ, RIGHT_ANSWERS, WRONG_ANSWERS, write_course
from tests.conftest import csrf_token


def open_quiz(client, slug="ky-nang-so-co-ban"):
    page = client.get(f"/courses/{slug}/quiz").get_data(as_text=True)
    attempt_id = re.search(r'name="attempt_id"[^>]*value="(\d+)"', page)
    assert attempt_id, page
    return page, attempt_id.group(1)


def submit(client, answers, slug="ky-nang-so-co-ban"):
    _page, attempt_id = open_quiz(client, slug)
    data = {"attempt_id": attempt_id, "csrf_token": csrf_token(client)}
    data.update({f"q-{k}": v for k, v in answers.items()})
    return client.post(f"/courses/{slug}/quiz", data=data, follow_redirects=True)


def finish_lessons(client, course):
    for lesson in course.active_lessons:
        client.post(
            f"/courses/{course.slug}/lessons/{lesson.slug}/done",
            data={"csrf_token": csrf_token(client)},
        )


def completions():
    return db.session.scalar(select(func.count(Completion.id)))


def test_quiz_shows_every_question_type(citizen_client, course):
    page, _ = open_quiz(citizen_client)
    assert page.count('class="question"') == 5
    assert 'type="checkbox" name="q-hai"' in page
    assert 'type="radio" name="q-ba" value="false"' in page
    assert 'type="text" id="q-bon" name="q-bon"' in page


def test_the_quiz_page_says_lessons_are_left_until_they_are_done(citizen_client, course):
    note = "khóa học hoàn thành khi bạn đã học hết các bài và đạt bài kiểm tra"
    page, attempt = open_quiz(citizen_client)
    assert note in page
    finish_lessons(citizen_client, course)
    page, same = open_quiz(citizen_client)
    assert note not in page and same == attempt  # the open attempt, without the note


def test_failing_then_passing_records_one_completion_with_certificate(citizen_client, course):
    finish_lessons(citizen_client, course)
    failed = submit(citizen_client, WRONG_ANSWERS).get_data(as_text=True)
    assert "Chưa đạt" in failed
    # A fixed set of questions with unlimited immediate retries: the score and what to
    # review, no per-question marks or explanations (tests/learning/test_feedback.py).
    assert "B là đúng." not in failed and "Bạn trả lời chưa đúng" not in failed
    assert completions() == 0

    passed = submit(citizen_client, RIGHT_ANSWERS).get_data(as_text=True)
    assert "Đúng 5/5 câu (100%)" in passed
    assert "B là đúng." in passed  # explanations shown after a pass
    assert "Xem chứng nhận" in passed
    assert completions() == 1
    completion = db.session.scalar(select(Completion))
    assert completion.completed_on == date.today() or abs(
        (completion.completed_on - date.today()).days) <= 1
    assert completion.score_percent == 100.0

    # Opening the quiz again does not start a new attempt or a second completion.
    again = citizen_client.get("/courses/ky-nang-so-co-ban/quiz").get_data(as_text=True)
    assert "Bạn đã hoàn thành khóa học" in again
    assert completions() == 1


def test_passing_before_lessons_are_done_completes_when_the_last_lesson_is(
        citizen_client, course):
    result = submit(citizen_client, RIGHT_ANSWERS).get_data(as_text=True)
    assert "Hãy học hết các bài còn lại" in result
    assert completions() == 0
    finish_lessons(citizen_client, course)
    assert completions() == 1


def test_resubmitting_the_same_attempt_grades_it_once(citizen_client, course):
    _page, attempt_id = open_quiz(citizen_client)
    data = {"attempt_id": attempt_id, "csrf_token": csrf_token(citizen_client)}
    data.update({f"q-{k}": v for k, v in WRONG_ANSWERS.items()})
    citizen_client.post("/courses/ky-nang-so-co-ban/quiz", data=data)
    data.update({f"q-{k}": v for k, v in RIGHT_ANSWERS.items()})
    citizen_client.post("/courses/ky-nang-so-co-ban/quiz", data=data)
    attempt = db.session.get(QuizAttempt, int(attempt_id))
    assert attempt.passed is False and attempt.correct_count == 0
    assert db.session.scalar(
        select(func.count(QuizAttempt.id)).where(QuizAttempt.submitted_at.is_not(None))) == 1


def test_max_attempts_is_enforced(citizen_client, courses_dir):
    write_course(courses_dir, quiz=dict(DEFAULT_QUIZ, max_attempts=2))
    sync_courses(courses_dir)
    db.session.commit()
    submit(citizen_client, WRONG_ANSWERS)
    second = submit(citizen_client, WRONG_ANSWERS).get_data(as_text=True)
    assert "Bạn đã dùng hết số lần làm bài" in second
    page = citizen_client.get("/courses/ky-nang-so-co-ban/quiz").get_data(as_text=True)
    assert "Không thể làm bài kiểm tra" in page
    assert 'name="attempt_id"' not in page


def test_someone_elses_attempt_cannot_be_submitted_or_viewed(client, course, citizen):
    from tests.builders import make_user
    from tests.conftest import login

    other = make_user(email="khac@example.vn")
    attempt = logic.open_attempt(other, course)
    db.session.commit()
    login(client, "dan@example.vn")
    data = {"attempt_id": str(attempt.id), "csrf_token": csrf_token(client), "q-mot": "1"}
    assert client.post("/courses/ky-nang-so-co-ban/quiz", data=data).status_code == 404
    url = f"/courses/ky-nang-so-co-ban/quiz/attempts/{attempt.id}"
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("attempt_id", ["9" * 30, "²", "١٢", "-1", str(2**31)])
def test_odd_attempt_ids_are_an_expired_quiz_not_a_crash(citizen_client, course, attempt_id):
    """Found by fuzzing (tests/test_fuzz.py): "²" passes isdigit() but not int(), and
    10**30 fits no id column (both were 500s)."""
    data = {"attempt_id": attempt_id, "csrf_token": csrf_token(citizen_client), "q-mot": "1"}
    response = citizen_client.post("/courses/ky-nang-so-co-ban/quiz", data=data)
    assert response.status_code == 302
    assert response.headers["Location"] == "/courses/ky-nang-so-co-ban/quiz"
    url = f"/courses/ky-nang-so-co-ban/quiz/attempts/{'9' * 30}"
    assert citizen_client.get(url).status_code == 404


def test_quiz_requires_login(client, course):
    response = client.get("/courses/ky-nang-so-co-ban/quiz")
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]


def test_completion_is_unique_in_the_database_not_only_in_python(app, course, citizen):
    db.session.add(Completion(user_id=citizen.id, course_id=course.id, sequence=1,
                              completed_on=date(2026, 1, 5), code="AAAA-BBBB-CCCC"))
    db.session.commit()
    db.session.add(Completion(user_id=citizen.id, course_id=course.id, sequence=1,
                              completed_on=date(2026, 1, 5), code="DDDD-EEEE-FFFF"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_record_completion_twice_returns_the_same_record(app, course, citizen):
    first = logic.record_completion(citizen, course, on=date(2026, 3, 1))
    second = logic.record_completion(citizen, course, on=date(2026, 3, 2))
    db.session.commit()
    assert first.id == second.id
    assert completions() == 1


def test_a_refresher_course_can_be_completed_again_after_it_expires(app, courses_dir, citizen):
    write_course(courses_dir, valid_days=365, quiz=False)
    sync_courses(courses_dir)
    course = db.session.scalar(select(logic.Course))
    start = date(2025, 1, 10)
    first = logic.record_completion(citizen, course, on=start)
    assert logic.record_completion(citizen, course, on=start + timedelta(days=365)).id == first.id
    renewed = logic.record_completion(citizen, course, on=start + timedelta(days=366))
    db.session.commit()
    assert renewed.id != first.id and renewed.sequence == 2
    assert completions() == 2


def test_validity_window_boundaries():
    done = date(2026, 1, 1)
    assert logic.is_valid_on(done, 365, date(2026, 1, 1))
    assert logic.is_valid_on(done, 365, date(2027, 1, 1))  # D = c + valid_days counts
    assert not logic.is_valid_on(done, 365, date(2027, 1, 2))
    assert not logic.is_valid_on(done, None, date(2025, 12, 31))  # not before it happened
    assert logic.is_valid_on(done, None, date(2040, 1, 1))
