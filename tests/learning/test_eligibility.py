"""An officials-only course certifies only accounts linked to the roster
(penetration test 2026-11: a citizen account made under an official's name passed
an official-only course in 45 scripted requests)."""

from __future__ import annotations

import pytest

from lms.courses.logic import published_course_or_404
from lms.courses.sync import sync_courses
from lms.extensions import db
from lms.learning import logic as learning
from lms.learning.models import Completion
from tests.builders import load_roster, load_units, make_user, write_course
from tests.conftest import login


@pytest.fixture
def officials_course(app, courses_dir):
    write_course(courses_dir, "chi-can-bo", audiences=["official"], quiz=True)
    sync_courses(courses_dir)
    db.session.commit()
    return published_course_or_404("chi-can-bo")


def test_a_citizen_reads_but_cannot_take_an_officials_only_course(client, officials_course):
    citizen = make_user("citizen", email="gia-mao@example.vn", name="Nguyễn Văn Cán Bộ")
    login(client, "gia-mao@example.vn")
    lesson = officials_course.active_lessons[0]
    assert client.get(f"/courses/chi-can-bo/lessons/{lesson.slug}").status_code == 200
    page = client.get("/courses/chi-can-bo/quiz").get_data(as_text=True)
    assert "chỉ tài khoản gắn với hồ sơ cán bộ" in page
    with pytest.raises(learning.QuizClosed):
        learning.open_attempt(citizen, officials_course)
    for item in officials_course.active_lessons:
        assert learning.mark_lesson_done(citizen, item) is None
    db.session.commit()
    assert db.session.query(Completion).count() == 0


def test_an_official_on_the_roster_takes_it(app, officials_course):
    load_units()
    load_roster([["CB1", "Lê Thị Thật", "X1", "công chức", "", "", "", "that@example.vn", "",
                  "", ""]])
    from lms.auth import logic as auth
    user = auth.grant_role("CB1", "official")
    db.session.commit()
    attempt = learning.open_attempt(user, officials_course)
    assert attempt.id is not None
