"""Quiz answers are bounded: what a browser can send is stored, nothing more.

Pen test 2026-11: one POST stored 18.6 MB in one attempt (every value of a field was
kept, and any number of them). Now each field holds at most what its question takes,
other fields are ignored, the whole is bounded, and a body over 64 KB is refused
before it is read; a refusal stores nothing and says why, in Vietnamese.
"""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict
from werkzeug.test import encode_multipart

from lms.extensions import db
from lms.learning import logic
from lms.learning.models import QuizAttempt
from tests.builders import DEFAULT_QUIZ, RIGHT_ANSWERS, write_course
from tests.conftest import csrf_token
from tests.learning.test_quiz import open_quiz

URL = "/courses/ky-nang-so-co-ban/quiz"


def stored() -> tuple[int, int]:
    """How many attempts there are and how many bytes their responses take, as stored."""
    attempts = db.session.scalars(select(QuizAttempt)).all()
    for attempt in attempts:
        db.session.refresh(attempt)
    return len(attempts), sum(len(json.dumps(a.responses)) for a in attempts
                              if a.responses is not None)


def post(client, fields, *, multipart=False):
    """Submit the open attempt with ``fields`` (a list of (name, value) pairs)."""
    _page, attempt_id = open_quiz(client)
    data = MultiDict([("attempt_id", attempt_id), ("csrf_token", csrf_token(client)),
                      *fields])
    if multipart:  # encoded here, in memory: the test client would spool it to a file
        boundary, body = encode_multipart(data)
        return client.post(URL, data=body, content_type="multipart/form-data; boundary="
                           + boundary), int(attempt_id)
    return client.post(URL, data=data), int(attempt_id)


def number_of(attempt_id: int, question_id: str) -> int:
    """The question's number as this attempt shows it (questions are shuffled)."""
    questions = db.session.get(QuizAttempt, attempt_id).questions
    return [q["id"] for q in questions].index(question_id) + 1


def unsubmitted(attempt_id: int) -> bool:
    attempt = db.session.get(QuizAttempt, attempt_id)
    db.session.refresh(attempt)
    return attempt.submitted_at is None and attempt.responses is None


MEGABYTES = {
    # As the pen test did it: multipart, up to 1,000 parts of up to 500 KB each pass
    # Flask's own form limits; each is a "choice" of the multiple-choice question.
    "many-choices": ([("q-hai", "0" * 2000)] * 900, True),
    "huge-short-answer": ([("q-bon", "1" * 400_000)] * 3, True),
    "junk-keys": ([(f"rac-{i}", "x" * 200) for i in range(5000)], False),
}


@pytest.mark.parametrize("case", MEGABYTES, ids=list(MEGABYTES))
def test_megabytes_of_answers_get_413_and_store_nothing(citizen_client, course, case):
    fields, multipart = MEGABYTES[case]
    _page, first = open_quiz(citizen_client)
    before = stored()
    response, attempt_id = post(citizen_client, fields, multipart=multipart)
    assert attempt_id == int(first)
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "Bài làm gửi lên lớn hơn 64 KB" in page
    assert "Tệp tải lên" not in page  # not the file-upload message
    assert stored() == before == (1, 0)
    assert unsubmitted(attempt_id)
    # The attempt is still open: the learner submits it normally afterwards.
    response, again = post(citizen_client, [(f"q-{k}", v) for k, v in RIGHT_ANSWERS.items()
                                            if k != "hai"] + [("q-hai", "0"), ("q-hai", "2")])
    assert response.status_code == 302 and again == attempt_id
    assert db.session.get(QuizAttempt, attempt_id).passed


@pytest.mark.parametrize(("fields", "question", "message"), [
    ([("q-hai", "0"), ("q-hai", "1"), ("q-hai", "2"), ("q-hai", "2")], "hai",
     "Câu {n}: gửi 4 lựa chọn, nhiều hơn số phương án (3)."),
    ([("q-mot", "0"), ("q-mot", "1")], "mot", "Câu {n} chỉ nhận một câu trả lời."),
    ([("q-ba", "true"), ("q-ba", "false")], "ba", "Câu {n} chỉ nhận một câu trả lời."),
    ([("q-bon", "1" * 201)], "bon", "Câu {n}: câu trả lời dài 201 ký tự, quá mức 200 ký tự."),
], ids=["multiple", "single", "true-false", "short"])
def test_more_than_a_question_takes_gets_400_and_stores_nothing(citizen_client, course,
                                                                  fields, question, message):
    response, attempt_id = post(citizen_client, fields)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Bài làm không hợp lệ" in page
    assert message.format(n=number_of(attempt_id, question)) in page
    assert stored() == (1, 0)
    assert unsubmitted(attempt_id)


def test_only_the_questions_are_read_and_only_real_choices_kept(citizen_client, course):
    junk = [(f"rac-{i}", "x") for i in range(2000)]  # ~20 KB: under the body limit
    response, attempt_id = post(citizen_client, [
        *junk, ("q-hai", "2"), ("q-hai", "0"), ("q-hai", "2"), ("q-mot", "7"),
        ("q-ba", "có lẽ"), ("q-bon", "1" * 200), ("q-nam", "vneid"),
        ("blanks", "confirmed")])  # "Vẫn nộp bài": mot and ba read as blank
    assert response.status_code == 302
    attempt = db.session.get(QuizAttempt, attempt_id)
    assert attempt.responses == {"mot": None, "hai": ["0", "2"], "ba": None,
                                 "bon": "1" * 200, "nam": "vneid"}
    assert attempt.correct_count == 2  # hai and nam


def test_the_short_answer_limit_follows_the_accepted_answers(courses_dir, citizen_client):
    from lms.courses.sync import sync_courses

    long_answer = "Cổng Dịch vụ công quốc gia " * 3  # 81 characters: the limit is 4 times
    quiz = dict(DEFAULT_QUIZ, questions=[
        {"id": "dai", "type": "short", "text": "Tên cổng?", "answer": [long_answer],
         "explanation": "."}])
    write_course(courses_dir, quiz=quiz)
    sync_courses(courses_dir)
    db.session.commit()
    page, _attempt_id = open_quiz(citizen_client)
    assert f'maxlength="{4 * len(long_answer)}"' in page
    response, _ = post(citizen_client, [("q-dai", "x" * (4 * len(long_answer) + 1))])
    assert response.status_code == 400
    response, attempt_id = post(citizen_client, [("q-dai", long_answer.upper())])
    assert response.status_code == 302
    assert db.session.get(QuizAttempt, attempt_id).passed


def test_parse_responses_refuses_megabytes_without_the_web(app, course, citizen):
    attempt = logic.open_attempt(citizen, course)
    form = MultiDict([("q-hai", "0")] * 1_000_000)
    with pytest.raises(logic.AnswersRejected) as refused:
        logic.parse_responses(attempt, form)
    assert refused.value.params["given"] == 1_000_000
    form = MultiDict([("q-nam", "x" * 5_000_000)])
    with pytest.raises(logic.AnswersRejected):
        logic.parse_responses(attempt, form)


def test_the_stored_total_is_bounded_too(app, course, citizen, monkeypatch):
    attempt = logic.open_attempt(citizen, course)
    form = MultiDict([("q-bon", "1" * 200), ("q-nam", "ư" * 200)])
    assert logic.parse_responses(attempt, form)["nam"] == "ư" * 200
    monkeypatch.setattr(logic, "MAX_RESPONSES_BYTES", 1024)  # 200 × "\u01b0" is 1,200
    with pytest.raises(logic.AnswersRejected) as refused:
        logic.parse_responses(attempt, form)
    assert str(refused.value) == "Bài làm quá lớn để lưu (2 KB, tối đa 1 KB)."


def test_a_body_without_a_length_is_bounded_as_it_is_read(app, citizen_client, course):
    """As a server passes on a chunked body: no Content-Length, the stream ends itself."""
    _page, attempt_id = open_quiz(citizen_client)
    body = (f"attempt_id={attempt_id}&csrf_token={csrf_token(citizen_client)}&q-bon="
            + "1" * 200_000)
    response = citizen_client.post(
        URL, input_stream=io.BytesIO(body.encode()),
        content_type="application/x-www-form-urlencoded",
        environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 413
    assert db.session.scalar(select(func.count(QuizAttempt.id))) == 1
    assert unsubmitted(int(attempt_id))
