""""Khóa học của tôi" sorted by urgency: overdue first ("Quá hạn N ngày"), then the
soonest due, then in progress, then done; each unfinished course with its progress and
"Học ngay", each finished one with "Xem chứng nhận" (when earned online) and "Ôn tập"."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.auth.activation import activate, invite
from lms.courses.logic import published_course_or_404
from lms.courses.sync import sync_courses
from lms.extensions import db
from lms.learning import logic
from lms.learning.models import ExternalTraining
from lms.org.models import Official
from lms.util.time import local_today
from tests.builders import load_roster, load_units, write_course
from tests.conftest import login

OFFICIALS = [{"audience": "official"}]


@pytest.fixture
def official_client(app, courses_dir):
    """An official required to take five courses since 40 days ago, with one optional
    course started, one required course done in class and one online."""
    lessons = ["Bài một", "Bài hai"]
    for slug, title, due in [
            ("qua-han", "Khóa E quá hạn", 30), ("sap-den-han", "Khóa D sắp đến hạn", 60),
            ("con-lau", "Khóa C còn lâu", 90), ("khong-han", "Khóa B không hạn", None),
            ("hoc-lop", "Khóa H học ở lớp", 30), ("hoc-mang", "Khóa G học trên mạng", 30)]:
        write_course(courses_dir, slug, title=title, required_for=OFFICIALS, quiz=False,
                     lessons=lessons, **({"due_days": due} if due else {}))
    write_course(courses_dir, "tu-chon", title="Khóa A tự chọn", quiz=False, lessons=lessons)
    sync_courses(courses_dir)
    load_units()
    load_roster([["CB-XA", "Công chức xã", "X1", "công chức", "", "", "", "", "", "", ""]],
                today=local_today() - timedelta(days=40))
    official = db.session.scalar(select(Official).where(Official.employee_code == "CB-XA"))
    [invitation] = invite([official])
    user = activate(invitation.token, "mat-khau-can-bo")
    db.session.commit()
    course = published_course_or_404
    logic.mark_lesson_done(user, course("khong-han").active_lessons[0])
    logic.mark_lesson_done(user, course("tu-chon").active_lessons[0])
    logic.mark_lesson_done(user, course("sap-den-han").active_lessons[0])
    db.session.add(ExternalTraining(official_id=official.id, course_id=course("hoc-lop").id,
                                    completed_on=local_today() - timedelta(days=3),
                                    source="Lớp tập huấn của xã", status="verified"))
    for lesson in course("hoc-mang").active_lessons:
        logic.mark_lesson_done(user, lesson)  # the last one completes it (no quiz)
    db.session.commit()
    client = app.test_client()
    assert login(client, "CB-XA", "mat-khau-can-bo").status_code == 302
    return client


def cards(page: str) -> list[str]:
    items = re.findall(r'<li class="card my-course [a-z_]+">(.*?)</li>', page, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items]


def test_courses_are_listed_most_urgent_first(official_client):
    page = official_client.get("/my").get_data(as_text=True)
    shown = cards(page)
    titles = [card.split(" ", 3)[:3] for card in shown]
    assert [" ".join(t) for t in titles] == [
        "Khóa E quá", "Khóa D sắp", "Khóa C còn",  # overdue, then the soonest due
        "Khóa A tự", "Khóa B không",  # in progress, by title
        "Khóa G học", "Khóa H học",  # done, the latest first
    ]
    overdue, soon, later, optional, no_due, online, in_class = shown
    assert "Quá hạn 10 ngày" in overdue and "Học ngay" in overdue and "Tiến độ: 0%" in overdue
    due_soon = (local_today() - timedelta(days=40) + timedelta(days=60))
    assert f"Hạn hoàn thành: {due_soon:%d/%m/%Y} (còn 20 ngày)" in soon
    assert "Đang học" in soon and "Tiến độ: 50%" in soon
    assert "còn 50 ngày" in later and "Chưa học" in later
    assert "Đang học" in optional and "Bắt buộc" not in optional
    assert "Đang học" in no_due and "Bắt buộc" in no_due
    for card in (overdue, soon, later, optional, no_due):
        assert "Học ngay" in card and "Ôn tập" not in card and "Tiếp tục học" not in card
    # Done: online with its certificate, in class without one; neither to "continue".
    assert "Xem chứng nhận" in online and "Ôn tập" in online
    assert "Xem chứng nhận" not in in_class and "Ôn tập" in in_class
    assert "Lớp tập huấn của xã" in in_class
    for card in (online, in_class):
        assert "Học ngay" not in card and "Tiếp tục học" not in card and "Tiến độ" not in card


def test_learn_now_opens_the_next_lesson(official_client):
    page = official_client.get("/my").get_data(as_text=True)
    # The soon-due course has its first lesson done: "Học ngay" opens the second.
    assert 'href="/courses/sap-den-han/lessons/bai-hai"' in page
    assert 'href="/courses/qua-han/lessons/bai-mot"' in page


def test_lessons_done_and_the_quiz_left_leads_to_the_quiz(citizen_client, course):
    from tests.builders import RIGHT_ANSWERS
    from tests.learning.test_quiz import finish_lessons, submit

    finish_lessons(citizen_client, course)
    page = citizen_client.get("/my").get_data(as_text=True)
    assert 'href="/courses/ky-nang-so-co-ban/quiz">Làm bài kiểm tra' in page
    assert "Tiến độ: 100%" in page

    submit(citizen_client, RIGHT_ANSWERS)
    # Finished: the course page offers a review, not "Tiếp tục học".
    page = citizen_client.get("/courses/ky-nang-so-co-ban").get_data(as_text=True)
    assert "Ôn tập" in page and "Xem chứng nhận" in page and "Tiếp tục học" not in page
