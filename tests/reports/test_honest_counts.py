"""Every counted figure moves only with submitted work (penetration test 2026-11):
opening pages — a course, its lessons, its quiz, a certificate — changes nothing."""

from __future__ import annotations

from datetime import date

import pytest

from lms.courses.logic import published_course_or_404
from lms.courses.sync import sync_courses
from lms.extensions import db
from lms.learning import logic as learning
from lms.org.logic import unit_by_code
from lms.reports.indicator import compliance_report
from lms.reports.learners import learner_stats
from tests.builders import RIGHT_ANSWERS, load_roster, load_units, make_user, write_course
from tests.conftest import login
from tests.learning.test_quiz import submit


def figures() -> tuple:
    stats = learner_stats(None)
    report = compliance_report(None, date(2030, 1, 1))
    return (stats.ecommerce_participations, stats.ecommerce_completions,
            tuple(stats.by_commune), tuple(stats.by_course),
            report.root.officials_trained, report.root.officials_total)


@pytest.fixture
def shop(app, courses_dir):
    write_course(courses_dir, "tmdt", title="Thương mại điện tử",
                 audiences=["business", "official"], tags=["thuong-mai-dien-tu"],
                 required_for=[{"audience": "official"}])
    sync_courses(courses_dir)
    load_units()
    load_roster([["CB1", "Cán bộ Một", "X1", "công chức", "", "", "", "cb1@example.vn", "", "",
                  ""]])
    user = make_user("business", email="shop@example.vn", unit=unit_by_code("X1"))
    user.tax_code, user.business_type = "2901234567", "household"
    db.session.commit()
    return user


def test_opening_every_page_changes_no_figure(client, shop):
    course = published_course_or_404("tmdt")
    before = figures()
    login(client, "shop@example.vn")
    for url in ["/", "/courses/", "/courses/tmdt", "/courses/tmdt/quiz", "/courses/tmdt/quiz",
                "/my", *[f"/courses/tmdt/lessons/{lesson.slug}"
                         for lesson in course.active_lessons]]:
        assert client.get(url).status_code == 200, url
    assert figures() == before  # the quiz page opened an attempt: it counts for nothing


def test_a_submitted_quiz_is_a_participation_and_a_completion_completes(client, shop):
    course = published_course_or_404("tmdt")
    login(client, "shop@example.vn")
    response = submit(client, {**RIGHT_ANSWERS, "mot": "0"}, slug="tmdt")
    assert "/attempts/" in response.request.path, response.request.path
    participations, completions, *_rest = figures()
    assert (participations, completions) == (1, 0)  # a failed, submitted attempt
    for lesson in course.active_lessons:
        learning.mark_lesson_done(shop, lesson)
    attempt = learning.open_attempt(shop, course)
    learning.submit_attempt(shop, attempt, {q["id"]: _right(q) for q in attempt.questions})
    db.session.commit()
    participations, completions, *_rest = figures()
    assert (participations, completions) == (1, 1)  # the same business, now finished


def test_an_officials_page_views_do_not_train_them(client, shop):
    from lms.org.models import Official

    official = db.session.query(Official).filter_by(employee_code="CB1").one()
    user = make_user("official", email="cb1@example.vn")
    official.user_id = user.id
    db.session.commit()
    before = figures()
    login(client, "cb1@example.vn")
    course = published_course_or_404("tmdt")
    for url in ["/my", "/courses/tmdt", "/courses/tmdt/quiz",
                *[f"/courses/tmdt/lessons/{lesson.slug}" for lesson in course.active_lessons]]:
        client.get(url)
    assert figures() == before


def _right(question: dict):
    kind, answer = question["type"], question["answer"]
    if kind == "multiple":
        return [str(a) for a in answer]
    if kind == "true_false":
        return "true" if answer else "false"
    if kind == "short":
        return answer[0]
    return str(answer)


@pytest.mark.parametrize(("tax_code", "accepted"), [
    ("x", False), ("123", False), ("29012345678", False), ("2901234568-1", False),
    ("2901234567", False), ("2901234568", True), ("2901234568-001", True)])
def test_a_business_registers_only_with_a_tax_code_of_the_right_form(app, tax_code, accepted):
    from lms.auth import logic as auth

    registration = auth.Registration(
        kind="business", full_name="HTX Thử", email=f"htx{len(tax_code)}@example.vn",
        phone=None, password="mot-cum-tu-de-nho-2026", unit=None, tax_code=tax_code,
        business_type="cooperative", consent_version="2026-01")
    if accepted:
        assert auth.register_learner(registration).tax_code == tax_code
    else:
        with pytest.raises(auth.AccountError, match="Mã số thuế"):
            auth.register_learner(registration)
