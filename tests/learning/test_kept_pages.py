"""A signed-in learner's own pages kept per process (issue 12): "Khóa học của tôi" and an
open quiz are rendered once and sent again while nothing they show has changed, and
never once it has: the learner's own progress, another's change to their record, a
course changed by a sync, a bulk write, a rollback (lms/learning/versions.py,
lms/http_cache.kept_learner_page)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, update

from lms.courses.sync import sync_courses
from lms.extensions import db
from lms.learning import logic
from lms.learning.models import Completion, LessonProgress
from lms.learning.versions import UNSEEN_TABLES
from tests.builders import DEFAULT_QUIZ, RIGHT_ANSWERS, make_user, write_course
from tests.conftest import csrf_token, login, statements

ATTEMPT = re.compile(r'name="attempt_id"[^>]*value="(\d+)"')
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def reads_pages(client, path: str) -> tuple[str, int]:
    """The page and how many statements it took."""
    with statements() as seen:
        response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True), len(seen)


def rendered(count: int) -> bool:
    """More than the account's row and the shared version: the page was rendered."""
    return count > 2


def progress(page: str) -> str | None:
    match = re.search(r"Tiến độ: (\d+)%", page)
    return match and match.group(1)


@pytest.fixture
def learner_page(citizen_client, course, citizen):
    """A citizen half-way through the course, whose "Khóa học của tôi" is kept."""
    logic.mark_lesson_done(db.session.merge(citizen), course.active_lessons[0])
    db.session.commit()
    citizen_client.get("/my")  # the first view (after sign-in: a flashed welcome, if any)
    citizen_client.get("/my")  # renders and keeps it
    return citizen_client


def test_my_courses_seen_again_unchanged_is_sent_as_kept(learner_page):
    first, count = reads_pages(learner_page, "/my")
    assert not rendered(count)
    again, count = reads_pages(learner_page, "/my")
    assert not rendered(count)
    assert again == first or TOKEN.sub("", again) == TOKEN.sub("", first)


def test_the_learners_own_progress_shows_at_once(learner_page, course, citizen):
    before, _ = reads_pages(learner_page, "/my")
    assert progress(before) == "50"
    lesson = course.active_lessons[1]
    learner_page.post(f"/courses/{course.slug}/lessons/{lesson.slug}/done",
                      data={"csrf_token": csrf_token(learner_page)})
    after, count = reads_pages(learner_page, "/my")
    assert rendered(count) and progress(after) == "100"


def test_a_write_made_for_the_learner_elsewhere_shows(learner_page, course, citizen):
    """An admin's CLI or a background job writes the learner's rows through the ORM:
    the learner's own version changes in that commit."""
    logic.mark_lesson_done(db.session.merge(citizen), course.active_lessons[1])
    db.session.commit()
    page, count = reads_pages(learner_page, "/my")
    assert rendered(count) and progress(page) == "100"


def test_another_learners_progress_leaves_this_page_kept(learner_page, course):
    other = make_user("citizen", email="khac@example.vn", name="Người Khác")
    logic.mark_lesson_done(other, course.active_lessons[0])
    db.session.commit()
    _page, count = reads_pages(learner_page, "/my")
    assert not rendered(count)


def test_another_learners_quiz_submission_leaves_this_page_kept(learner_page, course):
    """Grading claims the attempt with a compare-and-set UPDATE (not a flush): it is
    still the submitter's own write, not one that changes every learner's pages."""
    other = make_user("citizen", email="khac@example.vn", name="Người Khác")
    attempt = logic.open_attempt(other, course)
    db.session.commit()
    version = other.data_version
    logic.submit_attempt(other, attempt, dict(RIGHT_ANSWERS))
    db.session.commit()
    _page, count = reads_pages(learner_page, "/my")
    assert not rendered(count)
    db.session.refresh(other)
    assert other.data_version > version  # their own pages do change


def test_a_shared_table_written_for_one_learner_still_changes_every_page(
        learner_page, course, citizen):
    from lms.courses.models import Course
    from lms.learning.versions import writing_for

    with writing_for(db.session, citizen.id):
        db.session.execute(update(Course).where(Course.id == course.id)
                           .values(title="Đổi tên ở nơi khác"))
    db.session.commit()
    page, count = reads_pages(learner_page, "/my")
    assert rendered(count)


def test_a_bulk_write_changes_every_learners_pages(learner_page, course, citizen):
    """A write the ORM cannot attribute (bulk or textual SQL) changes the shared version."""
    db.session.execute(LessonProgress.__table__.delete())
    db.session.commit()
    page, count = reads_pages(learner_page, "/my")
    assert rendered(count) and progress(page) is None  # nothing started: not listed


def test_a_write_that_changes_no_row_still_counts(learner_page):
    db.session.execute(update(LessonProgress).values(lesson_id=LessonProgress.lesson_id)
                       .where(LessonProgress.id < 0))
    db.session.commit()
    _page, count = reads_pages(learner_page, "/my")
    assert rendered(count)


def test_a_rolled_back_write_keeps_the_page(learner_page, course, citizen):
    logic.mark_lesson_done(db.session.merge(citizen), course.active_lessons[1])
    db.session.rollback()
    page, count = reads_pages(learner_page, "/my")
    assert not rendered(count) and progress(page) == "50"


def test_a_course_changed_by_a_sync_shows(learner_page, courses_dir):
    write_course(courses_dir, title="Kỹ năng số cơ bản (bản mới)")
    sync_courses(courses_dir)
    db.session.commit()
    page, count = reads_pages(learner_page, "/my")
    assert rendered(count) and "Kỹ năng số cơ bản (bản mới)" in page


def test_each_learner_gets_their_own_page(learner_page, app, course):
    make_user("citizen", email="an@example.vn", name="Nguyễn Văn An")
    other = app.test_client()
    assert login(other, "an@example.vn").status_code == 302
    mine, _ = reads_pages(learner_page, "/my")
    theirs, _ = reads_pages(other, "/my")
    assert "Trần Thị Bình" in mine and "Trần Thị Bình" not in theirs
    assert "Nguyễn Văn An" in theirs


def test_a_flashed_message_is_shown_once_not_kept(learner_page):
    with learner_page.session_transaction() as session:  # what a redirect flashed
        session["_flashes"] = [("success", "Đã lưu thay đổi.")]
    flashed, count = reads_pages(learner_page, "/my")
    assert "Đã lưu thay đổi." in flashed and rendered(count)
    again, count = reads_pages(learner_page, "/my")
    assert "Đã lưu thay đổi." not in again and not rendered(count)


def test_a_kept_quiz_page_holds_this_sessions_token_and_can_be_submitted(
        citizen_client, course):
    slug = course.slug
    opened = citizen_client.get(f"/courses/{slug}/quiz").get_data(as_text=True)  # writes
    citizen_client.get(f"/courses/{slug}/quiz")  # kept
    page, count = reads_pages(citizen_client, f"/courses/{slug}/quiz")
    assert not rendered(count)
    assert ATTEMPT.search(page).group(1) == ATTEMPT.search(opened).group(1)
    data = {"attempt_id": ATTEMPT.search(page).group(1),
            "csrf_token": TOKEN.search(page).group(1)}
    data.update({f"q-{k}": v for k, v in RIGHT_ANSWERS.items()})
    response = citizen_client.post(f"/courses/{slug}/quiz", data=data)
    assert response.status_code == 302 and "/attempts/" in response.headers["Location"]
    # Submitted: the quiz page is not the kept one any more.
    after = citizen_client.get(f"/courses/{slug}/quiz").get_data(as_text=True)
    assert ATTEMPT.search(after) is None or (
        ATTEMPT.search(after).group(1) != ATTEMPT.search(page).group(1))


def test_a_timed_quiz_is_never_kept(citizen_client, courses_dir):
    write_course(courses_dir, "co-gio", title="Khóa có giờ",
                 quiz=dict(DEFAULT_QUIZ, time_limit_minutes=10))
    sync_courses(courses_dir)
    db.session.commit()
    start = citizen_client.get("/courses/co-gio/quiz").get_data(as_text=True)
    citizen_client.post("/courses/co-gio/quiz/start",
                        data={"csrf_token": TOKEN.search(start).group(1)})
    citizen_client.get("/courses/co-gio/quiz")
    page, count = reads_pages(citizen_client, "/courses/co-gio/quiz")
    assert rendered(count) and ATTEMPT.search(page)


def test_kept_pages_read_no_table_whose_writes_are_ignored(citizen_client, course, citizen):
    """UNSEEN_TABLES change no version: no kept page may read one."""
    logic.record_completion(db.session.merge(citizen), course)
    db.session.commit()
    read: set[str] = set()
    for path in ("/my", f"/courses/{course.slug}/quiz"):
        db.session.execute(update(Completion).values(code=Completion.code))  # not kept
        db.session.commit()
        with statements() as seen:
            citizen_client.get(path)
        for statement in seen:
            read |= {name.lower() for name in re.findall(
                r"\b(?:FROM|JOIN)\s+\"?(\w+)\"?", statement, re.IGNORECASE)}
    assert "users" in read and "completions" in read  # the pages were rendered
    assert not read & UNSEEN_TABLES


def test_users_row_version_is_what_changes(learner_page, course, citizen):
    from lms.auth.models import User

    before = db.session.scalar(select(User.data_version).where(User.id == citizen.id))
    lesson = course.active_lessons[1]
    learner_page.post(f"/courses/{course.slug}/lessons/{lesson.slug}/done",
                      data={"csrf_token": csrf_token(learner_page)})
    after = db.session.scalar(select(User.data_version).where(User.id == citizen.id))
    assert after > before


def test_a_lesson_page_kept_for_the_learner_shows_it_done_once_done(citizen_client, course):
    lesson = course.active_lessons[1]
    url = f"/courses/{course.slug}/lessons/{lesson.slug}"
    citizen_client.get(url)
    page, count = reads_pages(citizen_client, url)
    assert not rendered(count) and "Bạn đã học bài này" not in page
    assert "Đăng xuất" in page  # their header, signed in
    response = citizen_client.post(f"{url}/done", data={"csrf_token": TOKEN.search(page)[1]})
    assert response.status_code == 302  # the kept page's token is this session's
    page, count = reads_pages(citizen_client, url)
    assert rendered(count) and "Bạn đã học bài này" in page


def test_signing_out_leaves_the_learners_copy_behind(citizen_client, course):
    url = f"/courses/{course.slug}"
    citizen_client.get(url)
    mine = citizen_client.get(url).get_data(as_text=True)
    assert "Đăng xuất" in mine
    citizen_client.post("/logout", data={"csrf_token": TOKEN.search(mine)[1]})
    anonymous = citizen_client.get(url).get_data(as_text=True)
    assert "Đăng xuất" not in anonymous and "Đăng nhập" in anonymous


def test_in_production_a_kept_page_reads_only_the_account(app, learner_page, course,
                                                          monkeypatch):
    """With LMS_CONTENT_CHECK_SECONDS (production: 5) the shared version is asked once
    per interval: a kept page costs the account's row alone. A write in this process
    (here a course's title by a sync) shows at once."""
    from lms.util import recheck

    clock = [1000.0]
    monkeypatch.setattr(recheck.time, "monotonic", lambda: clock[0])
    app.config["LMS_CONTENT_CHECK_SECONDS"] = 5
    learner_page.get("/my")
    _page, count = reads_pages(learner_page, "/my")
    assert count == 1
    course.title = "Kỹ năng số (đổi tên)"
    db.session.commit()
    page, count = reads_pages(learner_page, "/my")
    assert "Kỹ năng số (đổi tên)" in page and rendered(count)
