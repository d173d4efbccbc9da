"""Question pools: each attempt draws `draw` questions (or so many per tag), preferring
what the learner has not seen; the attempt stores exactly what it showed."""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from datetime import date, timedelta

from flask_migrate import upgrade
from sqlalchemy import select, text

from lms.courses.logic import published_course_or_404
from lms.courses.sync import sync_courses
from lms.extensions import db
from lms.learning import logic
from lms.learning.models import Completion, QuizAttempt
from lms.learning.pools import Seen, draw_questions
from lms.util.time import utcnow
from tests.builders import make_user, write_course
from tests.conftest import database_url, running_app
from tests.conftest import statements as recorded
from tests.learning.test_quiz import open_quiz


def pool_quiz(n: int, **quiz) -> dict:
    """``n`` true/false questions, tagged chan (even) or le (odd), each with its own
    explanation."""
    return {"pass_percent": 60, **quiz, "questions": [
        {"id": f"cau-{i}", "type": "true_false", "text": f"Câu số {i}?", "answer": True,
         "explanation": f"Giải thích riêng của câu {i}.",
         "tags": ["chan" if i % 2 == 0 else "le"]} for i in range(n)]}


def pooled_course(courses_dir, **quiz):
    write_course(courses_dir, quiz=pool_quiz(quiz.pop("n", 10), **quiz), valid_days=365)
    sync_courses(courses_dir)
    db.session.commit()
    return published_course_or_404("ky-nang-so-co-ban")


def take(user, course, rng) -> list[str]:
    """One attempt, opened and failed: the ids it asked."""
    attempt = logic.open_attempt(user, course, rng)
    logic.submit_attempt(user, attempt, {})
    db.session.commit()
    return [q["id"] for q in attempt.questions]


def test_every_question_is_drawn_and_none_is_starved(app, courses_dir, citizen):
    course = pooled_course(courses_dir, draw=3)
    rng = random.Random(7)
    counts: Counter[str] = Counter()
    for n in range(1, 21):
        asked = take(citizen, course, rng)
        assert len(asked) == len(set(asked)) == 3
        counts.update(asked)
        # Least seen first: no question is asked again before all have been asked once,
        # so the counts never differ by more than one.
        assert max(counts.values()) - min(counts[f"cau-{i}"] for i in range(10)) <= 1, n
        if n == 4:  # 12 questions asked: all ten seen
            assert len(counts) == 10
    assert set(counts.values()) == {6}  # 60 draws over ten questions


def test_draws_differ_between_learners_and_attempts():
    quiz = pool_quiz(10, draw=3)
    firsts = {tuple(q["id"] for q in draw_questions(quiz, random.Random(seed)))
              for seed in range(20)}
    assert len(firsts) > 5


def test_per_tag_counts_are_exact(app, courses_dir, citizen):
    course = pooled_course(courses_dir, n=11, draw={"chan": 2, "le": 1})
    assert course.quiz_questions == 3 and course.quiz_pool_questions == 11
    rng = random.Random(3)
    seen: Counter[str] = Counter()
    for n in range(1, 13):
        asked = take(citizen, course, rng)
        tags = Counter("chan" if int(qid.split("-")[1]) % 2 == 0 else "le" for qid in asked)
        assert tags == {"chan": 2, "le": 1}
        seen.update(asked)
        if n == 5:  # six even questions in three attempts, five odd ones in five
            assert len(seen) == 11


def test_a_new_validity_window_prefers_what_the_last_one_did_not_ask(app, courses_dir, citizen):
    course = pooled_course(courses_dir, n=6, draw=3)
    rng = random.Random(11)
    last_year = take(citizen, course, rng)
    # A year on: that attempt led to a completion that has since expired.
    attempt = db.session.scalar(select(QuizAttempt))
    attempt.started_at = utcnow() - timedelta(days=401)
    completion = logic.record_completion(citizen, course, attempt,
                                         on=date.today() - timedelta(days=400))
    completion.completed_at = utcnow() - timedelta(days=400)
    db.session.commit()
    assert logic.current_completion(citizen, course) is None
    this_year = take(citizen, course, rng)
    assert set(this_year).isdisjoint(last_year)
    # Within the new window, the questions it has not asked yet come first.
    assert set(take(citizen, course, rng)) == set(last_year)
    history = logic.question_history(citizen, course)
    assert history.previous == Counter(last_year)
    assert history.current == Counter(this_year + last_year)
    assert db.session.scalar(select(Completion.sequence)) == 1


def test_seen_counts_order_the_draw():
    quiz = pool_quiz(4, draw=2)
    seen = Seen(current=Counter({"cau-0": 1, "cau-1": 1}), previous=Counter({"cau-2": 1}))
    for seed in range(5):
        assert [q["id"] for q in draw_questions(quiz, random.Random(seed), seen)] == [
            "cau-2", "cau-3"]
    seen.current.update(["cau-2", "cau-3", "cau-3"])
    assert {q["id"] for q in draw_questions(quiz, random.Random(1), seen)} == {"cau-0", "cau-1"}


def test_the_attempt_stores_and_explains_exactly_what_it_showed(citizen_client, courses_dir):
    pooled_course(courses_dir, draw=3)
    page, attempt_id = open_quiz(citizen_client)
    shown = re.findall(r'name="q-(cau-\d+)" value="true"', page)
    attempt = db.session.get(QuizAttempt, int(attempt_id))
    assert [q["id"] for q in attempt.questions] == shown and len(shown) == 3
    assert page.count('class="question"') == 3
    assert "3 câu hỏi." in page
    result = citizen_client.post("/courses/ky-nang-so-co-ban/quiz", data={
        "attempt_id": attempt_id, "blanks": "confirmed", "csrf_token": re.search(
            r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)},
        follow_redirects=True).get_data(as_text=True)
    assert "Chưa đạt" in result
    # A pool larger than an attempt: the failed attempt is explained, its questions only.
    explained = re.findall(r"Giải thích riêng của câu (\d+)\.", result)
    assert sorted(f"cau-{n}" for n in explained) == sorted(shown)
    assert result.count("Chưa trả lời (không được tính điểm).") == 3  # all left blank


def expire(citizen, course, attempt, days_ago):
    """``attempt`` led to a completion ``days_ago`` days back (a validity window ago)."""
    attempt.started_at = utcnow() - timedelta(days=days_ago + 1)
    completion = logic.record_completion(citizen, course, attempt,
                                         on=date.today() - timedelta(days=days_ago))
    completion.completed_at = utcnow() - timedelta(days=days_ago)
    db.session.commit()


def test_the_yearly_refresher_asks_what_no_earlier_year_asked_then_the_oldest(
        app, courses_dir, citizen):
    # Three years of a yearly course: the third year's first attempt asks neither last
    # year's questions nor those of the year before (never-shown ones exist); once the
    # pool runs short, what was shown longest ago comes back first.
    course = pooled_course(courses_dir, n=6, draw=2)
    rng = random.Random(5)
    first_year = take(citizen, course, rng)
    expire(citizen, course, db.session.scalar(select(QuizAttempt)), days_ago=800)
    second_year = take(citizen, course, rng)
    expire(citizen, course, db.session.scalar(
        select(QuizAttempt).order_by(QuizAttempt.number.desc())), days_ago=400)
    assert set(second_year).isdisjoint(first_year)
    assert logic.current_completion(citizen, course) is None
    third_year = take(citizen, course, rng)
    assert set(third_year).isdisjoint(first_year + second_year)
    # Everything has been shown once: the first year's questions (shown longest ago,
    # and not last year) come before last year's.
    assert set(take(citizen, course, rng)) == set(first_year)
    history = logic.question_history(citizen, course)
    assert history.last_shown[first_year[0]] > history.last_shown[second_year[0]]


def test_equal_counts_prefer_the_least_recently_shown():
    quiz = pool_quiz(4, draw=2)
    now = utcnow()
    seen = Seen(current=Counter({f"cau-{i}": 1 for i in range(4)}),
                last_shown={"cau-0": now, "cau-1": now - timedelta(days=3),
                            "cau-2": now - timedelta(days=2), "cau-3": now})
    for seed in range(5):
        assert [q["id"] for q in draw_questions(quiz, random.Random(seed), seen)] == [
            "cau-1", "cau-2"]


def test_the_draw_reads_the_ids_each_attempt_asked_not_its_questions(app, courses_dir,
                                                                     citizen):
    """Each attempt keeps the ids it asked beside its questions, and the history the
    next draw reads comes from those ids, whatever the questions' texts weigh."""
    course = pooled_course(courses_dir, n=6, draw=3)
    asked = take(citizen, course, random.Random(5))
    attempt = db.session.scalar(select(QuizAttempt))
    assert attempt.question_ids == asked
    with recorded() as seen:
        history = logic.question_history(citizen, course)
    assert history.current == Counter(asked)
    assert not any("quiz_attempts.questions" in statement for statement in seen), seen


def test_migration_0021_gives_existing_attempts_their_question_ids(tmp_path, courses_dir):
    (tmp_path / "m").mkdir()
    with running_app(database_url(tmp_path / "m"), create_tables=False,
                     LMS_COURSES_DIR=str(courses_dir)):
        upgrade(revision="0020")
        make_user("citizen", email="dan@example.vn")
        write_course(courses_dir, quiz=pool_quiz(4, draw=2))
        sync_courses(courses_dir)
        db.session.commit()
        questions = json.dumps([{"id": "cau-2", "text": "Câu hai?"},
                                {"id": "cau-0", "text": "Câu không?"}])
        with db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO quiz_attempts (user_id, course_id, number, questions, "
                "pass_percent, passed, started_at) SELECT users.id, courses.id, 1, :q, 60, "
                "false, '2026-01-01 00:00:00' FROM users, courses"), {"q": questions})
        db.session.remove()
        upgrade()
        attempt = db.session.scalar(select(QuizAttempt))
        assert attempt.question_ids == ["cau-2", "cau-0"]
        assert logic.question_history(attempt.user, attempt.course).current == Counter(
            ["cau-2", "cau-0"])
