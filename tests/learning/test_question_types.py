"""The question-type registry: every type checked, snapshotted, parsed and graded
through one interface; matching and numerical graded on the server; short answers'
options. (The four original types' grading stays in test_grading.py, unchanged.)"""

from __future__ import annotations

import random
import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from lms.courses.sync import sync_courses
from lms.extensions import db
from lms.learning import logic
from lms.learning.models import QuizAttempt
from lms.learning.questions import (
    REGISTRY,
    AnswersRejected,
    UnknownQuestionType,
    Where,
    check_question,
    question_type,
    to_yaml,
)
from lms.learning.questions.numerical import read_number
from tests.builders import write_course
from tests.conftest import csrf_token

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"

EXAMPLES = {
    "single": {"id": "mot", "type": "single", "text": "Chọn?", "choices": ["A", "B", "C"],
               "answer": 1, "explanation": "B."},
    "multiple": {"id": "hai", "type": "multiple", "text": "Chọn?", "choices": ["A", "B", "C"],
                 "answer": [0, 2], "partial": True, "explanation": "A và C.",
                 "tags": ["chon"]},
    "true_false": {"id": "ba", "type": "true_false", "text": "Đúng?", "answer": False,
                   "explanation": "Sai."},
    "short": {"id": "bon", "type": "short", "text": "Tên?", "answer": ["VNeID"],
              "ignore_case": False, "explanation": "VNeID."},
    "matching": {"id": "nam", "type": "matching", "text": "Ghép.",
                 "pairs": [["Khai sinh", "Cổng DVC"], ["Định danh", "VNeID"],
                           ["Lừa đảo", "156"]],
                 "distractors": ["113"], "explanation": "Như bài 2."},
    "numerical": {"id": "sau", "type": "numerical", "text": "Bao nhiêu %?", "answer": 75,
                  "tolerance": 0.5, "explanation": "45/60 = 75%."},
}
WHERE = Where("quiz.yml", 7)


def snapshot(question, seed=1):
    checked, problems, _ = check_question(question, WHERE)
    assert problems == []
    return question_type(checked["type"]).snapshot(checked, random.Random(seed), True)


def test_every_type_has_its_template_and_an_example():
    assert set(REGISTRY) == set(EXAMPLES)
    for kind in REGISTRY.values():
        assert (TEMPLATES / kind.template).is_file(), kind.template


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_each_type_round_trips_through_yaml_and_grades_its_right_response(name):
    checked, problems, warnings = check_question(EXAMPLES[name], WHERE)
    assert problems == [] and warnings == []
    assert to_yaml(checked) == EXAMPLES[name]  # what an exporter writes, an importer reads
    assert check_question(to_yaml(checked), WHERE)[0] == checked
    kind = question_type(name)
    shown = kind.snapshot(checked, random.Random(3), True)
    assert kind.grade(shown, kind.right_response(shown)) == 1.0
    assert kind.grade(shown, None) == 0.0


def test_an_unknown_type_is_never_graded():
    with pytest.raises(UnknownQuestionType):
        logic.grade_question({"type": "essay", "answer": "x"}, "x")
    with pytest.raises(UnknownQuestionType):
        question_type("essay")


def test_problems_name_the_file_and_line_the_where_gives():
    lines = {("type",): 4, ("pairs",): 6}
    where = Where("quiz.yml", lambda *path: lines.get(path, 3))
    _q, problems, _w = check_question({"id": "x", "type": "essay", "text": "?",
                                       "explanation": "."}, where)
    assert [str(p) for p in problems] == [
        "quiz.yml:4: 'type' must be one of single, multiple, true_false, short, matching, "
        "numerical"]
    _q, problems, _w = check_question({"id": "x", "type": "single", "text": "?",
                                       "choices": ["a", "b"], "answer": 0,
                                       "pairs": [["a", "b"]], "explanation": "."}, where)
    assert [str(p) for p in problems] == ["quiz.yml:6: a single question has no 'pairs'"]


# --- matching ------------------------------------------------------------------------

MATCHING = EXAMPLES["matching"]


def positions_for(question, rights):
    """The form values that choose ``rights`` (texts) for the left items, in order."""
    options = question_type("matching").context(question)["options"]
    return [next(value for value, text in options if text == right) for right in rights]


def test_matching_right_side_is_shuffled_per_attempt_and_values_are_positions():
    orders = {tuple(snapshot(MATCHING, seed)["order"]) for seed in range(12)}
    assert len(orders) > 1
    shown = snapshot(MATCHING, 5)
    context = question_type("matching").context(shown)
    assert [row["left"] for row in context["rows"]] == ["Khai sinh", "Định danh", "Lừa đảo"]
    assert [row["name"] for row in context["rows"]] == ["q-nam.0", "q-nam.1", "q-nam.2"]
    assert sorted(text for _v, text in context["options"]) == ["113", "156", "Cổng DVC",
                                                               "VNeID"]
    assert [value for value, _t in context["options"]] == ["0", "1", "2", "3"]


def test_matching_is_all_or_nothing_unless_partial():
    kind = question_type("matching")
    strict = snapshot(dict(MATCHING, partial=False), 2)
    right = positions_for(strict, ["Cổng DVC", "VNeID", "156"])
    assert kind.grade(strict, right) == 1.0
    one_wrong = positions_for(strict, ["Cổng DVC", "VNeID", "113"])
    assert kind.grade(strict, one_wrong) == 0.0
    partial = snapshot(dict(MATCHING, partial=True), 2)
    assert kind.grade(partial, one_wrong) == pytest.approx(2 / 3)
    assert kind.grade(partial, [None, None, None]) == 0.0
    assert kind.grade(partial, "not a list") == 0.0


def test_matching_with_a_shared_right_item_lists_it_once():
    question = dict(MATCHING, pairs=[["Mã OTP", "Không đưa ai"], ["Mật khẩu", "Không đưa ai"],
                                     ["Số tài khoản", "Được đưa khi cần"]], distractors=[])
    shown = snapshot(question)
    kind = question_type("matching")
    assert len(kind.context(shown)["options"]) == 2
    answer = positions_for(shown, ["Không đưa ai", "Không đưa ai", "Được đưa khi cần"])
    assert kind.grade(shown, answer) == 1.0


def test_matching_parse_reads_one_value_per_left_item_and_drops_the_rest():
    shown = snapshot(MATCHING)
    kind = question_type("matching")
    form = MultiDict([("q-nam.0", "2"), ("q-nam.1", "9"), ("q-nam.2", "x"), ("q-nam.7", "1")])
    assert kind.parse(form, shown, 4) == ["2", None, None]
    with pytest.raises(AnswersRejected) as refused:
        kind.parse(MultiDict([("q-nam.1", "0"), ("q-nam.1", "1")]), shown, 4)
    assert str(refused.value) == "Câu 4 chỉ nhận một câu trả lời."


@pytest.mark.parametrize(("question", "message"), [
    ({"pairs": [["a", "b"]]}, "'pairs' must list at least two [left, right] pairs"),
    ({"pairs": [["a", "b"], ["c"]]}, "pair 1 must be [left, right], both text"),
    ({"pairs": [["a", "b"], ["a", "c"]]}, "left item 'a' is listed twice"),
    ({"pairs": [["a", "b"], ["c", "d"]], "distractors": ["d"]},
     "distractor 'd' is also the right item of a pair"),
    ({"pairs": [["a", "b"], ["c", True]]}, "pair 1 must be [left, right], both text"),
])
def test_matching_problems(question, message):
    raw = {"id": "m", "type": "matching", "text": "?", "explanation": ".", **question}
    _q, problems, _w = check_question(raw, WHERE)
    assert any(message in p.message for p in problems), problems


# --- numerical -----------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "values"), [
    ("3,5", ["3.5"]),  # the Vietnamese decimal comma
    ("3.5", ["3.5"]),
    (" 75 ", ["75"]),
    ("-2,25", ["-2.25"]),
    ("\u22122", ["-2"]),
    (",5", ["0.5"]),
    ("1.000.000", ["1000000"]),  # thousands, the Vietnamese way
    ("1,000,000", ["1000000"]),  # ... and the English way
    ("1 000 000", ["1000000"]),
    ("1\u00a0000,5", ["1000.5"]),
    ("1.234.567,89", ["1234567.89"]),
    ("1,234,567.89", ["1234567.89"]),
    ("1.000", ["1.000", "1000"]),  # a lone separator before three digits reads both ways
    ("2,500", ["2.500", "2500"]),
    ("0,125", ["0.125"]),  # a thousands group never starts with 0
    ("12,5", ["12.5"]),
    ("1.2.3", []), ("1,23,4", []), ("1.234,5,6", []), ("3 5", []), ("", []), ("ba", []),
    ("1e3", []), ("١٢", []), ("3,5%", []), ("--1", []),
])
def test_typed_numbers_are_read_the_vietnamese_or_the_english_way(typed, values):
    assert read_number(typed) == [Decimal(v) for v in values]


@pytest.mark.parametrize(("answer", "response", "expected"), [
    ({"answer": 3.5}, "3,5", True),
    ({"answer": 3.5}, "3.50", True),
    ({"answer": 3.5}, "3,6", False),
    ({"answer": 75, "tolerance": 0.5}, "75,5", True),  # the ends are included
    ({"answer": 75, "tolerance": 0.5}, "74.4", False),
    ({"answer": 0.3}, "0,3", True),  # decimals: no binary rounding
    ({"answer": {"min": 3, "max": 5}}, "4,99", True),
    ({"answer": {"min": 3, "max": 5}}, "5,01", False),
    ({"answer": [10, {"min": 20, "max": 30}]}, "25", True),
    ({"answer": [10, {"min": 20, "max": 30}]}, "10", True),
    ({"answer": [10, {"min": 20, "max": 30}]}, "15", False),
    ({"answer": 1000}, "1.000", True),
    ({"answer": 1000}, "1,000", True),
    ({"answer": 1.5}, "1,500", True),
    ({"answer": 1000000}, "1 000 000", True),
    ({"answer": 5}, "năm", False),
    ({"answer": 5}, None, False),
])
def test_numerical_grading(answer, response, expected):
    question = {"id": "n", "type": "numerical", **answer}
    assert logic.grade_question(question, response) is expected


@pytest.mark.parametrize(("answer", "message"), [
    ({"answer": "3,5"}, "'answer' must be a number"),
    ({"answer": True}, "'answer' must be a number"),
    ({"answer": float("nan")}, "'answer' must be a number"),
    ({"answer": {"min": 5, "max": 3}}, "the range's min (5) is above its max (3)"),
    ({"answer": {"min": 5}}, "'answer' must be a number"),
    ({"answer": []}, "'answer' must be a number"),
    ({"answer": 5, "tolerance": -1}, "'tolerance' must be a number, 0 or more"),
])
def test_numerical_problems(answer, message):
    raw = {"id": "n", "type": "numerical", "text": "?", "explanation": ".", **answer}
    _q, problems, _w = check_question(raw, WHERE)
    assert any(message in p.message for p in problems), problems


def test_numerical_answers_are_bounded():
    shown = snapshot(EXAMPLES["numerical"])
    kind = question_type("numerical")
    assert kind.parse(MultiDict([("q-sau", " 75,5 ")]), shown, 2) == "75,5"
    assert kind.parse(MultiDict([("q-sau", "  ")]), shown, 2) is None
    with pytest.raises(AnswersRejected) as refused:
        kind.parse(MultiDict([("q-sau", "1" * 41)]), shown, 2)
    assert str(refused.value) == "Câu 2: câu trả lời dài 41 ký tự, quá mức 40 ký tự."


# --- short answers and partial multiple choice ----------------------------------------

@pytest.mark.parametrize(("options", "response", "expected"), [
    ({}, "vneid", True),  # the defaults: case and marks ignored, as always
    ({}, "Cổng dịch vụ công", True),
    ({}, "cong dich vu cong", True),
    ({"ignore_case": False}, "vneid", False),
    ({"ignore_case": False}, "VNeID", True),
    ({"ignore_case": False}, "VNeID.", True),
    ({"ignore_diacritics": False}, "cong dich vu cong", False),
    ({"ignore_diacritics": False}, "CỔNG  dịch vụ công", True),
    ({"ignore_case": False, "ignore_diacritics": False}, "Cổng dịch vụ công", True),
    ({"ignore_case": False, "ignore_diacritics": False}, "cổng dịch vụ công", False),
])
def test_short_answer_options(options, response, expected):
    question = {"type": "short", "answer": ["VNeID", "Cổng dịch vụ công"], **options}
    assert logic.grade_question(question, response) is expected


def test_multiple_choice_partial_credit_takes_off_wrong_ticks():
    question = {"type": "multiple", "choices": ["a", "b", "c", "d"], "answer": [0, 1, 3],
                "partial": True}
    assert logic.question_score(question, ["0", "1", "3"]) == 1.0
    assert logic.question_score(question, ["0", "1"]) == pytest.approx(2 / 3)
    assert logic.question_score(question, ["0", "1", "2"]) == pytest.approx(1 / 3)
    assert logic.question_score(question, ["2"]) == 0.0
    assert logic.question_score(dict(question, partial=False), ["0", "1"]) == 0.0


# --- through the quiz page -------------------------------------------------------------

def test_matching_and_numerical_through_the_quiz_page(citizen_client, courses_dir):
    write_course(courses_dir, quiz={"pass_percent": 100, "questions": [
        EXAMPLES["matching"], EXAMPLES["numerical"],
        dict(EXAMPLES["single"], text="Xem hình ![sơ đồ](images/so-do.png) rồi **chọn**.")]})
    (courses_dir / "ky-nang-so-co-ban" / "images").mkdir()
    (courses_dir / "ky-nang-so-co-ban" / "images" / "so-do.png").write_bytes(b"png")
    sync_courses(courses_dir)
    db.session.commit()
    url = "/courses/ky-nang-so-co-ban/quiz"
    page = citizen_client.get(url).get_data(as_text=True)
    attempt_id = re.search(r'name="attempt_id"[^>]*value="(\d+)"', page).group(1)
    # Each left item is a labelled list box; the numerical box opens a phone's keypad.
    for i, left in enumerate(["Khai sinh", "Định danh", "Lừa đảo"]):
        assert f'<label for="q-nam-{i}">{left}</label>' in page
        assert f'<select id="q-nam-{i}" name="q-nam.{i}">' in page
    assert 'inputmode="decimal" id="q-sau" name="q-sau" maxlength="40"' in page
    # Question text is Markdown: emphasis and the course's own pictures.
    assert ('<img alt="sơ đồ" src="/courses/ky-nang-so-co-ban/files/images/so-do.png">'
            in page)
    assert "<strong>chọn</strong>" in page

    attempt = db.session.get(QuizAttempt, int(attempt_id))
    matching = next(q for q in attempt.questions if q["type"] == "matching")
    data = {"attempt_id": attempt_id, "csrf_token": csrf_token(citizen_client),
            "q-sau": "75,4", "q-mot": "1"}
    for i, position in enumerate(positions_for(matching, ["Cổng DVC", "VNeID", "156"])):
        data[f"q-nam.{i}"] = position
    result = citizen_client.post(url, data=data, follow_redirects=True).get_data(as_text=True)
    assert "Đúng 3/3 câu (100%)." in result
    db.session.refresh(attempt)
    assert attempt.passed and attempt.responses["sau"] == "75,4"
    assert attempt.responses["nam"] == [data[f"q-nam.{i}"] for i in range(3)]


def test_a_matching_field_sent_twice_is_refused(citizen_client, courses_dir):
    write_course(courses_dir, quiz={"questions": [EXAMPLES["matching"]]})
    sync_courses(courses_dir)
    db.session.commit()
    url = "/courses/ky-nang-so-co-ban/quiz"
    page = citizen_client.get(url).get_data(as_text=True)
    attempt_id = re.search(r'name="attempt_id"[^>]*value="(\d+)"', page).group(1)
    response = citizen_client.post(url, data=MultiDict([
        ("attempt_id", attempt_id), ("csrf_token", csrf_token(citizen_client)),
        ("q-nam.0", "1"), ("q-nam.0", "2")]))
    assert response.status_code == 400
    assert "Câu 1 chỉ nhận một câu trả lời." in response.get_data(as_text=True)


@settings(max_examples=150, deadline=None)
@given(name=st.sampled_from(sorted(EXAMPLES)),
       fields=st.lists(st.tuples(
           st.sampled_from(["q-mot", "q-hai", "q-ba", "q-bon", "q-nam.0", "q-nam.2", "q-nam.9",
                            "q-sau", "q-khac"]),
           st.one_of(st.text(max_size=50), st.sampled_from(["0", "1", "3", "99999", "²",
                                                            "3,5", "1.000", "-0"]))),
           max_size=8))
def test_any_form_is_parsed_or_refused_and_any_parse_is_graded(name, fields):
    shown = snapshot(EXAMPLES[name])
    kind = question_type(name)
    try:
        response = kind.parse(MultiDict(fields), shown, 1)
    except AnswersRejected:
        return
    assert 0.0 <= kind.grade(shown, response) <= 1.0


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789.,- \u00a0'+e", max_size=20))
def test_reading_a_number_never_fails(text):
    for value in read_number(text):
        assert value.is_finite()
