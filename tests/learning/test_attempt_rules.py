"""Attempt rules: a cooldown after a failed attempt (its end shown in the province's
time) and a time limit kept by the server (a late submission counts at the deadline;
after the grace its answers are not accepted)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from lms.courses.logic import published_course_or_404
from lms.courses.sync import sync_courses
from lms.extensions import db
from lms.learning import logic
from lms.learning.models import QuizAttempt
from tests.builders import DEFAULT_QUIZ, RIGHT_ANSWERS, WRONG_ANSWERS, write_course
from tests.conftest import csrf_token

URL = "/courses/ky-nang-so-co-ban/quiz"
T0 = datetime(2026, 12, 1, 2, 0)  # 09:00 in Nghệ An (UTC+7)


class Clock:
    def __init__(self, monkeypatch) -> None:
        self.now = T0
        monkeypatch.setattr(logic, "utcnow", lambda: self.now)

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


def quiz_with(courses_dir, **rules):
    write_course(courses_dir, quiz=dict(DEFAULT_QUIZ, **rules))
    sync_courses(courses_dir)
    db.session.commit()


def attempt_id_on(page: str) -> str | None:
    found = re.search(r'name="attempt_id"[^>]*value="(\d+)"', page)
    return found.group(1) if found else None


def post_answers(client, attempt_id, answers):
    data = {"attempt_id": attempt_id, "csrf_token": csrf_token(client)}
    data.update({f"q-{k}": v for k, v in answers.items()})
    return client.post(URL, data=data, follow_redirects=True).get_data(as_text=True)


def attempts() -> list[QuizAttempt]:
    db.session.expire_all()
    return list(db.session.scalars(select(QuizAttempt).order_by(QuizAttempt.id)))


# --- cooldown -------------------------------------------------------------------------

def test_a_failed_attempt_closes_the_quiz_until_the_cooldown_ends(citizen_client,
                                                                  courses_dir, clock):
    quiz_with(courses_dir, cooldown_minutes=30)
    page = citizen_client.get(URL).get_data(as_text=True)
    assert "Nếu chưa đạt, bạn làm lại được sau 30 phút." in page
    clock.advance(minutes=4)
    result = post_answers(citizen_client, attempt_id_on(page), WRONG_ANSWERS)
    assert "Chưa đạt" in result
    # When the next attempt opens, in the province's time (UTC+7), read by machines too.
    assert "Bạn có thể làm lại từ" in result
    assert '<time datetime="2026-12-01T02:34:00Z">01/12/2026 09:34</time>' in result
    assert "Làm lại bài kiểm tra" not in result
    assert "Bạn trả lời chưa đúng." in result  # a cooldown: the marks may be shown

    clock.advance(minutes=29)
    page = citizen_client.get(URL).get_data(as_text=True)
    assert "Chưa thể làm bài kiểm tra" in page
    assert "Lần làm bài tiếp theo mở lúc" in page and "01/12/2026 09:34" in page
    assert attempt_id_on(page) is None
    assert len(attempts()) == 1

    clock.advance(minutes=1, seconds=1)
    page = citizen_client.get(URL).get_data(as_text=True)
    assert attempt_id_on(page) is not None
    assert len(attempts()) == 2


def test_a_passed_attempt_starts_no_cooldown(app, courses_dir, citizen, clock):
    quiz_with(courses_dir, cooldown_minutes=30)
    course = published_course_or_404("ky-nang-so-co-ban")
    logic.submit_attempt(citizen, logic.open_attempt(citizen, course), RIGHT_ANSWERS)
    assert logic.next_attempt_at(citizen, course) is None
    logic.submit_attempt(citizen, logic.open_attempt(citizen, course), WRONG_ANSWERS)
    assert logic.next_attempt_at(citizen, course) == T0 + timedelta(minutes=30)
    with pytest.raises(logic.QuizClosed) as closed:
        logic.open_attempt(citizen, course)
    assert closed.value.opens_at == T0 + timedelta(minutes=30)


# --- time limit -----------------------------------------------------------------------

def start(client) -> str:
    """The start page, its button, and the quiz page it leads to: the attempt's id."""
    page = client.get(URL).get_data(as_text=True)
    assert "Bắt đầu làm bài" in page and attempt_id_on(page) is None
    response = client.post(URL + "/start", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302 and response.headers["Location"] == URL
    page = client.get(URL).get_data(as_text=True)
    return attempt_id_on(page), page


def test_a_timed_attempt_starts_on_request_and_shows_its_deadline(citizen_client,
                                                                  courses_dir, clock):
    quiz_with(courses_dir, time_limit_minutes=20)
    page = citizen_client.get(URL).get_data(as_text=True)
    assert "Thời gian làm bài: 20 phút" in page
    assert attempts() == []  # opening the page starts no clock
    clock.advance(minutes=1)
    attempt_id, page = start(citizen_client)
    [attempt] = attempts()
    assert attempt.started_at == T0 + timedelta(minutes=1)
    assert attempt.deadline == T0 + timedelta(minutes=21)
    clock.advance(minutes=5)
    page = citizen_client.get(URL).get_data(as_text=True)
    assert ('<time datetime="2026-12-01T02:21:00Z" data-quiz-deadline data-seconds-left="900">'
            "01/12/2026 09:21</time>") in page
    assert re.search(r'<script src="/static/js/quiz\.js\?v=\w+" defer></script>', page)
    assert "<script>" not in page  # CSP: no inline script
    assert attempt_id_on(page) == attempt_id
    # Starting again while an attempt runs changes nothing.
    citizen_client.post(URL + "/start", data={"csrf_token": csrf_token(citizen_client)})
    assert len(attempts()) == 1


def test_answers_in_time_are_graded_as_usual(citizen_client, courses_dir, clock):
    quiz_with(courses_dir, time_limit_minutes=20)
    attempt_id, _page = start(citizen_client)
    clock.advance(minutes=19, seconds=59)
    result = post_answers(citizen_client, attempt_id, RIGHT_ANSWERS)
    assert "Chúc mừng, bạn đã đạt!" in result
    [attempt] = attempts()
    assert attempt.submitted_at == T0 + timedelta(minutes=19, seconds=59)


def test_answers_arriving_just_after_the_limit_count_as_submitted_at_it(citizen_client,
                                                                         courses_dir, clock):
    quiz_with(courses_dir, time_limit_minutes=20)
    attempt_id, _page = start(citizen_client)
    clock.advance(minutes=20, seconds=45)  # the countdown sent them; the network was slow
    result = post_answers(citizen_client, attempt_id, RIGHT_ANSWERS)
    assert "Chúc mừng, bạn đã đạt!" in result
    [attempt] = attempts()
    assert attempt.passed and attempt.submitted_at == T0 + timedelta(minutes=20)


def test_answers_arriving_after_the_grace_are_not_accepted(citizen_client, courses_dir, clock):
    quiz_with(courses_dir, time_limit_minutes=20)
    attempt_id, _page = start(citizen_client)
    clock.advance(minutes=21, seconds=1)
    result = post_answers(citizen_client, attempt_id, RIGHT_ANSWERS)
    assert "Đúng 0/5 câu (0%)." in result
    assert "các câu trả lời không được chấm" in result
    [attempt] = attempts()
    assert not attempt.passed and attempt.responses is None
    assert attempt.submitted_at == T0 + timedelta(minutes=20)


def test_an_attempt_left_open_past_its_limit_is_closed_at_its_deadline(citizen_client,
                                                                      courses_dir, clock):
    quiz_with(courses_dir, time_limit_minutes=20, max_attempts=2)
    first, _page = start(citizen_client)
    clock.advance(hours=3)
    page = citizen_client.get(URL).get_data(as_text=True)
    [attempt] = attempts()
    assert attempt.submitted_at == T0 + timedelta(minutes=20) and attempt.responses is None
    assert "Bắt đầu làm bài" in page and "Bạn còn 1 lần làm bài." in page
    # Its answers, sent now, change nothing.
    post_answers(citizen_client, first, RIGHT_ANSWERS)
    assert not attempts()[0].passed
    second, _page = start(citizen_client)
    clock.advance(hours=3)
    page = citizen_client.get(URL).get_data(as_text=True)
    assert "Bạn đã dùng hết số lần làm bài kiểm tra" in page  # the closing counted
    assert db.session.scalar(select(func.count(QuizAttempt.id))
                             .where(QuizAttempt.submitted_at.is_not(None))) == 2
    assert second != first
