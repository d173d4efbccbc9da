"""Server-side grading of every question type."""

from __future__ import annotations

import random

import pytest

from lms.learning.logic import grade_question, snapshot_questions
from tests.builders import DEFAULT_QUIZ

SINGLE = {"type": "single", "choices": ["a", "b", "c"], "answer": 2}
MULTIPLE = {"type": "multiple", "choices": ["a", "b", "c", "d"], "answer": [0, 3]}
TRUE = {"type": "true_false", "answer": True}
FALSE = {"type": "true_false", "answer": False}
SHORT = {"type": "short", "answer": ["Cổng dịch vụ công quốc gia", "dichvucong.gov.vn"]}


@pytest.mark.parametrize(
    ("question", "response", "expected"),
    [
        (SINGLE, "2", True),
        (SINGLE, "1", False),
        (SINGLE, None, False),
        (SINGLE, "not-a-number", False),
        (MULTIPLE, ["0", "3"], True),
        (MULTIPLE, ["3", "0"], True),
        (MULTIPLE, ["0"], False),  # a missing right choice is wrong
        (MULTIPLE, ["0", "1", "3"], False),  # an extra wrong choice is wrong
        (MULTIPLE, [], False),
        (TRUE, "true", True),
        (TRUE, "false", False),
        (FALSE, "false", True),
        (FALSE, None, False),  # no answer is not "false"
        (SHORT, "cong dich vu cong quoc gia", True),  # no diacritics, lower case
        (SHORT, "  CỔNG   Dịch vụ công Quốc gia. ", True),
        (SHORT, "DichVuCong.gov.vn", True),
        (SHORT, "cổng thông tin", False),
        (SHORT, "", False),
    ],
)
def test_grading(question, response, expected):
    assert grade_question(question, response) is expected


def test_shuffle_changes_order_but_keeps_every_question_and_choice():
    quiz = dict(DEFAULT_QUIZ, questions=[
        {"id": f"q{i}", "type": "single", "text": "?", "choices": ["a", "b", "c", "d"],
         "answer": 0, "explanation": "."} for i in range(12)
    ])
    orders = set()
    for seed in range(5):
        snapshot = snapshot_questions(quiz, random.Random(seed))
        assert sorted(q["id"] for q in snapshot) == sorted(f"q{i}" for i in range(12))
        assert all(sorted(q["order"]) == [0, 1, 2, 3] for q in snapshot)
        orders.add(tuple(q["id"] for q in snapshot))
    assert len(orders) > 1


def test_no_shuffle_keeps_file_order():
    quiz = dict(DEFAULT_QUIZ, shuffle=False)
    snapshot = snapshot_questions(quiz, random.Random(1))
    assert [q["id"] for q in snapshot] == ["mot", "hai", "ba", "bon", "nam"]
    assert snapshot[0]["order"] == [0, 1, 2]
