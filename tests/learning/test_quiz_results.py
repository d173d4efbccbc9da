"""What a learner reads after a quiz (what they chose, the right answer, blanks flagged,
the score as "80%") and the question before a submission that leaves blanks, asked by
the server when the browser runs no script."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from lms.extensions import db
from lms.learning.models import QuizAttempt
from tests.builders import RIGHT_ANSWERS, WRONG_ANSWERS
from tests.conftest import csrf_token
from tests.learning.test_attempt_rules import clock, quiz_with, start  # noqa: F401
from tests.learning.test_quiz import finish_lessons, open_quiz

URL = "/courses/ky-nang-so-co-ban/quiz"


def post(client, answers, **extra):
    _page, attempt_id = open_quiz(client)
    data = {"attempt_id": attempt_id, "csrf_token": csrf_token(client), **extra}
    data.update({f"q-{k}": v for k, v in answers.items()})
    return client.post(URL, data=data, follow_redirects=True), int(attempt_id)


QUESTIONS = ("Câu một?", "Câu hai?", "Câu ba?", "Đường dây nóng?", "Ứng dụng định danh?")


def review_of(page: str) -> list[str]:
    """Each question of the result page's review as its text, tags removed, in the
    order of DEFAULT_QUIZ (the attempt shuffles them)."""
    items = re.findall(r"<li class=\"(?:right|wrong|unanswered)\">(.*?)</li>\s*(?=<li class|</ol>)",
                       page, re.S)
    texts = [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items]
    return [next(t for t in texts if t.startswith(question)) for question in QUESTIONS]


def test_a_passed_attempt_shows_what_was_chosen_and_the_right_answer(citizen_client, course):
    finish_lessons(citizen_client, course)
    answers = dict(RIGHT_ANSWERS, mot="0")  # one wrong choice: 80%, passed
    page = post(citizen_client, answers)[0].get_data(as_text=True)
    assert "Đúng 4/5 câu (80%)." in page and "80.0" not in page and "80,0" not in page
    mot, hai, ba, bon, nam = review_of(page)
    assert "✗ Bạn trả lời chưa đúng." in mot
    assert "Bạn chọn: A" in mot and "Đáp án đúng: B" in mot
    assert "Giải thích: B là đúng." in mot
    # Listed one per line, in the order the attempt showed the choices.
    assert re.search(r"Bạn chọn: (A C|C A) Đáp án đúng: (A C|C A) ", hai)
    # True/false: the verdict, then the answer, then the explanation, each labelled; no
    # "Bạn trả lời đúng." running straight into the explanation's "Sai."
    assert "✓ Bạn trả lời đúng." in ba
    assert "Bạn chọn: Sai" in ba and "Đáp án: Sai" in ba and "Giải thích: Sai." in ba
    assert "Bạn trả lời: 156" in bon and "Đáp án đúng: 156" in bon
    assert "Bạn trả lời: vneid" in nam and "Đáp án đúng: VNeID" in nam


def test_blanks_are_flagged_on_the_result_page(citizen_client, course, courses_dir):
    quiz_with(courses_dir, cooldown_minutes=5)  # a failure may then show the marks
    page = post(citizen_client, {"mot": "1"}, blanks="confirmed")[0].get_data(as_text=True)
    assert "Chưa đạt" in page and "Bạn bỏ trống 4 câu (không được tính điểm)." in page
    mot, hai, ba, bon, nam = review_of(page)
    assert "Bạn chọn: B" in mot
    for item in (hai, ba, bon, nam):
        assert "Chưa trả lời (không được tính điểm)." in item
        assert "Bạn trả lời chưa đúng" not in item
    assert "Bạn chọn: Chưa trả lời" in ba and "Đáp án: Sai" in ba
    assert "Bạn trả lời: Chưa trả lời" in bon


def test_a_quiz_that_hides_its_marks_shows_no_answer(citizen_client, course):
    # Unlimited immediate retries of a fixed set: a failure shows neither the marks nor
    # the right answers (lms.learning.logic.shows_marks).
    page = post(citizen_client, WRONG_ANSWERS)[0].get_data(as_text=True)
    assert "Chưa đạt" in page
    assert "Đáp án đúng" not in page and "Bạn chọn" not in page and "B là đúng." not in page


def test_a_fractional_score_reads_with_a_decimal_comma(citizen_client, course):
    _response, attempt_id = post(citizen_client, RIGHT_ANSWERS)
    attempt = db.session.get(QuizAttempt, attempt_id)
    attempt.score_percent = 82.5
    db.session.commit()
    page = citizen_client.get(f"{URL}/attempts/{attempt_id}").get_data(as_text=True)
    assert "(82,5%)." in page


def test_a_submission_with_blanks_is_shown_again_with_its_answers(citizen_client, course):
    response, attempt_id = post(citizen_client, {"mot": "2", "hai": ["0", "2"],
                                                 "bon": "156"})
    assert response.status_code == 200 and not response.history  # no redirect: not graded
    page = response.get_data(as_text=True)
    assert "Bạn còn 2 câu chưa trả lời:" in page
    assert 'href="#question-' in page and "Vẫn nộp bài" in page
    assert "Đã trả lời 3/5 câu." in page
    assert page.count("Chưa trả lời</p>") == 2  # flagged on the two blank questions
    # Every answer kept, as given.
    assert re.search(r'name="q-mot" value="2" checked', page)
    assert re.search(r'name="q-hai" value="0" checked', page)
    assert re.search(r'name="q-hai" value="2" checked', page)
    assert not re.search(r'name="q-hai" value="1" checked', page)
    assert 'name="q-bon" maxlength="200" autocomplete="off" value="156"' in page
    assert not re.search(r'name="q-ba" value="\w+" checked', page)
    attempt = db.session.get(QuizAttempt, attempt_id)
    assert attempt.submitted_at is None and attempt.responses is None

    # "Vẫn nộp bài": graded with the blanks.
    data = {"attempt_id": str(attempt_id), "csrf_token": csrf_token(citizen_client),
            "q-mot": "1", "q-hai": ["0", "2"], "q-bon": "156", "blanks": "confirmed"}
    result = citizen_client.post(URL, data=data)
    assert result.status_code == 302
    db.session.expire_all()
    attempt = db.session.get(QuizAttempt, attempt_id)
    assert attempt.submitted_at is not None and attempt.correct_count == 3
    assert db.session.scalars(select(QuizAttempt)).all() == [attempt]


def test_a_complete_submission_is_not_asked_again(citizen_client, course):
    response, _attempt_id = post(citizen_client, RIGHT_ANSWERS)
    assert response.history and "Chúc mừng, bạn đã đạt!" in response.get_data(as_text=True)


def test_the_quiz_page_counts_answers_and_asks_through_a_script_file(citizen_client, course):
    page, _attempt_id = open_quiz(citizen_client)
    assert re.search(r'<p class="quiz-count" data-quiz-count[^>]*hidden>Đã trả lời 0/5 câu.',
                     page, re.S)
    assert 'src="/static/js/quiz-answers.js' in page
    assert "<script>" not in page  # no inline script (the CSP forbids it)
    assert 'value="confirmed"' not in page  # "Vẫn nộp bài" only once blanks were sent


def test_time_up_grades_the_blanks_without_asking(citizen_client, courses_dir, clock):  # noqa: F811
    quiz_with(courses_dir, time_limit_minutes=20)
    attempt_id, _page = start(citizen_client)
    clock.advance(minutes=20, seconds=10)  # past the deadline, within the grace
    data = {"attempt_id": attempt_id, "csrf_token": csrf_token(citizen_client), "q-mot": "1"}
    response = citizen_client.post(URL, data=data)
    assert response.status_code == 302
    attempt = db.session.get(QuizAttempt, int(attempt_id))
    assert attempt.responses["mot"] == "1" and attempt.submitted_at is not None
    assert attempt.submitted_at - clock.now <= timedelta(0)
