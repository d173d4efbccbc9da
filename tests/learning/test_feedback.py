"""What a failed attempt tells (penetration test 2026-11, issue 18 point 6): a new
citizen account passed an officials' course in 45 scripted requests using the
per-question right/wrong marks and unlimited attempts. Now a failed attempt marks
questions right or wrong (and explains them) only where retrying is limited: a pool
larger than an attempt, a cooldown or a maximum of attempts. With unlimited immediate
retries of a fixed set it shows the score and the topics to review."""

from __future__ import annotations

import copy

import pytest

from lms.courses.sync import sync_courses
from lms.extensions import db
from tests.builders import DEFAULT_QUIZ, RIGHT_ANSWERS, WRONG_ANSWERS, write_course
from tests.learning.test_quiz import submit

MARKS = ("Bạn trả lời đúng.", "Bạn trả lời chưa đúng.", "B là đúng.", "A và C.", "VNeID.")


def quiz_with(courses_dir, tags: dict[str, list[str]] | None = None, **rules):
    quiz = copy.deepcopy(dict(DEFAULT_QUIZ, **rules))
    for question in quiz["questions"]:
        if tags and question["id"] in tags:
            question["tags"] = tags[question["id"]]
    write_course(courses_dir, quiz=quiz)
    sync_courses(courses_dir)
    db.session.commit()


@pytest.mark.parametrize(("rules", "marked"), [
    ({}, False),  # unlimited immediate retries of the same five questions
    ({"max_attempts": 3}, True),
    ({"cooldown_minutes": 10}, True),
    ({"draw": 4}, True),  # a pool larger than an attempt
    ({"draw": 5}, False),  # "drawing" every question is no pool
])
def test_failed_attempts_are_marked_only_where_retrying_is_limited(citizen_client,
                                                                   courses_dir, rules, marked):
    quiz_with(courses_dir, **rules)
    page = submit(citizen_client, WRONG_ANSWERS).get_data(as_text=True)
    assert "Chưa đạt" in page and "Đúng 0/" in page  # the score is always shown
    if marked:
        assert "Bạn trả lời chưa đúng." in page and "Giải thích" in page
    else:
        assert not any(mark in page for mark in MARKS), page
        assert "Nội dung cần ôn lại" in page
        assert "không cho biết câu nào đúng, câu nào sai" in page


def test_a_script_retrying_a_fixed_set_learns_nothing_per_question(citizen_client,
                                                                   courses_dir):
    quiz_with(courses_dir, pass_percent=100)
    # As the pen test did: change one answer at a time and read the result page.
    for answers in (WRONG_ANSWERS, dict(WRONG_ANSWERS, mot="1"), dict(RIGHT_ANSWERS, nam="x")):
        page = submit(citizen_client, answers).get_data(as_text=True)
        assert "Chưa đạt" in page
        assert not any(mark in page for mark in MARKS)
        assert 'class="right"' not in page and 'class="wrong"' not in page


def test_passing_always_shows_the_marks_and_explanations(citizen_client, courses_dir):
    quiz_with(courses_dir)
    page = submit(citizen_client, dict(RIGHT_ANSWERS, nam="x")).get_data(as_text=True)
    assert "Chúc mừng, bạn đã đạt!" in page
    assert page.count("Bạn trả lời đúng.") == 4 and "Bạn trả lời chưa đúng." in page
    assert "B là đúng." in page


def test_topics_to_review_name_only_what_covers_several_questions(citizen_client,
                                                                  courses_dir):
    # "bai-mo-dau" is a lesson's slug: shown as that lesson, with a link.
    quiz_with(courses_dir, tags={"mot": ["bai-mo-dau"], "hai": ["bai-mo-dau"],
                                 "ba": ["mat-khau"], "bon": ["so-lieu"], "nam": ["so-lieu"]})
    page = submit(citizen_client, WRONG_ANSWERS).get_data(as_text=True)
    assert ('<a href="/courses/ky-nang-so-co-ban/lessons/bai-mo-dau">Bài mở đầu</a>'
            in page)
    assert "<li>so-lieu</li>" in page
    assert "mat-khau" not in page  # one question's tag would mark that question wrong
    # Right about the first lesson: only the rest is to review.
    page = submit(citizen_client, dict(WRONG_ANSWERS, mot="1", hai=["0", "2"])
                  ).get_data(as_text=True)
    assert "Chưa đạt" in page
    assert "lessons/bai-mo-dau" not in page.split("Nội dung cần ôn lại")[1]
    assert "<li>so-lieu</li>" in page
