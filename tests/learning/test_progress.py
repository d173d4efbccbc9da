"""Lesson progress, "my learning", certificates and public verification."""

from __future__ import annotations

from sqlalchemy import func, select

from lms.extensions import db
from lms.learning.models import Completion, LessonProgress
from tests.builders import RIGHT_ANSWERS
from tests.conftest import csrf_token, login
from tests.learning.test_quiz import finish_lessons, submit

COURSE = "/courses/ky-nang-so-co-ban"


def mark_done(client, lesson_slug):
    return client.post(f"{COURSE}/lessons/{lesson_slug}/done",
                       data={"csrf_token": csrf_token(client)})


def test_mark_done_is_idempotent_and_moves_to_the_next_lesson(citizen_client, course):
    first = mark_done(citizen_client, "bai-mo-dau")
    second = mark_done(citizen_client, "bai-mo-dau")
    assert first.headers["Location"] == f"{COURSE}/lessons/bai-thuc-hanh"
    assert second.headers["Location"] == f"{COURSE}/lessons/bai-thuc-hanh"
    assert db.session.scalar(select(func.count(LessonProgress.id))) == 1


def test_mark_done_needs_post_with_csrf_and_login(client, citizen_client, course):
    assert citizen_client.get(f"{COURSE}/lessons/bai-mo-dau/done").status_code == 405
    citizen_client.application.config["WTF_CSRF_ENABLED"] = True
    assert citizen_client.post(f"{COURSE}/lessons/bai-mo-dau/done").status_code == 400
    assert db.session.scalar(select(func.count(LessonProgress.id))) == 0


def test_course_page_shows_progress_and_continue(citizen_client, course):
    assert "Bắt đầu học" in citizen_client.get(COURSE).get_data(as_text=True)
    mark_done(citizen_client, "bai-mo-dau")
    page = citizen_client.get(COURSE).get_data(as_text=True)
    assert "Tiếp tục học" in page
    assert 'aria-valuenow="50"' in page
    assert f'href="{COURSE}/lessons/bai-thuc-hanh">\n        Tiếp tục học' in page


def test_lesson_page_has_previous_next_and_done_button(citizen_client, course):
    first = citizen_client.get(f"{COURSE}/lessons/bai-mo-dau").get_data(as_text=True)
    assert "Đánh dấu đã học" in first
    assert 'rel="next"' in first and 'rel="prev"' not in first
    last = citizen_client.get(f"{COURSE}/lessons/bai-thuc-hanh").get_data(as_text=True)
    assert 'rel="prev"' in last
    assert f'href="{COURSE}/quiz"' in last


def test_anonymous_readers_can_read_but_are_asked_to_log_in_to_save(client, course):
    page = client.get(f"{COURSE}/lessons/bai-mo-dau").get_data(as_text=True)
    assert "Nội dung bài" in page
    assert "Đăng nhập để lưu tiến độ" in page


def test_my_learning_lists_in_progress_and_completed(citizen_client, course):
    page = citizen_client.get("/my").get_data(as_text=True)
    assert "Bạn chưa bắt đầu khóa học nào." in page
    mark_done(citizen_client, "bai-mo-dau")
    page = citizen_client.get("/my").get_data(as_text=True)
    assert "Đang học" in page and "Kỹ năng số cơ bản" in page
    assert "Chưa có khóa học nào hoàn thành." in page

    finish_lessons(citizen_client, course)
    submit(citizen_client, RIGHT_ANSWERS)
    completion = db.session.scalar(select(Completion))
    page = citizen_client.get("/my").get_data(as_text=True)
    assert completion.code in page
    # Nothing left to learn; the course is done, with its certificate and a review.
    assert "Bạn đã hoàn thành mọi khóa học đang theo." in page
    assert "Tiếp tục học" not in page and "Học ngay" not in page
    assert "Xem chứng nhận" in page and "Ôn tập" in page


def complete_course(client, course) -> Completion:
    finish_lessons(client, course)
    submit(client, RIGHT_ANSWERS)
    return db.session.scalar(select(Completion))


def test_certificate_shows_name_course_date_and_code(citizen_client, course):
    completion = complete_course(citizen_client, course)
    page = citizen_client.get(f"/certificates/{completion.code}").get_data(as_text=True)
    assert "Trần Thị Bình" in page
    assert "Kỹ năng số cơ bản" in page
    assert completion.completed_on.strftime("%d/%m/%Y") in page
    assert completion.code in page
    assert "In chứng nhận" in page


def test_certificate_is_private_but_verification_is_public(app, citizen_client, course):
    completion = complete_course(citizen_client, course)
    from tests.builders import make_user

    make_user(email="khac@example.vn")
    stranger = app.test_client()
    login(stranger, "khac@example.vn")
    assert stranger.get(f"/certificates/{completion.code}").status_code == 404

    anonymous = app.test_client()
    verified = anonymous.get(f"/verify/{completion.code}")
    assert verified.status_code == 200
    page = verified.get_data(as_text=True)
    assert "Chứng nhận hợp lệ." in page and "Trần Thị Bình" in page
    # Typed by hand in lower case from the printed certificate:
    by_form = anonymous.get(f"/verify?code={completion.code.lower()}")
    assert "Chứng nhận hợp lệ." in by_form.get_data(as_text=True)
    unknown = anonymous.get("/verify/ABCD-EFGH-JKLM")
    assert unknown.status_code == 404
    assert "Không tìm thấy chứng nhận" in unknown.get_data(as_text=True)


def test_course_without_quiz_completes_on_the_last_lesson(citizen_client, courses_dir):
    from lms.courses.sync import sync_courses
    from tests.builders import write_course

    write_course(courses_dir, quiz=False)
    sync_courses(courses_dir)
    db.session.commit()
    mark_done(citizen_client, "bai-mo-dau")
    response = mark_done(citizen_client, "bai-thuc-hanh")
    completion = db.session.scalar(select(Completion))
    assert response.headers["Location"] == f"/certificates/{completion.code}"
    assert completion.attempt_id is None
