"""`courses sync`: idempotent, and history survives edits."""

from __future__ import annotations

from sqlalchemy import func, select

from lms.courses.models import Course, Lesson
from lms.courses.sync import CourseProblems, sync_courses
from lms.extensions import db
from lms.learning.logic import mark_lesson_done
from lms.learning.models import LessonProgress
from tests.builders import make_user, write_course, write_file


def lessons_of(slug):
    return db.session.scalars(
        select(Lesson).join(Course).where(Course.slug == slug).order_by(Lesson.position)
    ).all()


def test_sync_twice_changes_nothing_the_second_time(app, courses_dir):
    write_course(courses_dir)
    first = sync_courses(courses_dir)
    db.session.commit()
    second = sync_courses(courses_dir)
    db.session.commit()
    assert first.created == ["ky-nang-so-co-ban"]
    assert second.created == second.updated == []
    assert second.unchanged == ["ky-nang-so-co-ban"]
    assert db.session.scalar(select(func.count(Lesson.id))) == 2


def test_removed_lesson_keeps_its_history_but_no_longer_counts(app, courses_dir):
    write_course(courses_dir, lessons=["Một", "Hai", "Ba"])
    sync_courses(courses_dir)
    learner = make_user()
    lesson_two = lessons_of("ky-nang-so-co-ban")[1]
    mark_lesson_done(learner, lesson_two)
    db.session.commit()

    write_course(courses_dir, lessons=["Một", "Ba"])  # "Hai" removed, "Ba" renumbered
    report = sync_courses(courses_dir)
    db.session.commit()

    assert report.updated == ["ky-nang-so-co-ban"]
    course = db.session.scalar(select(Course))
    assert [lesson.title for lesson in course.active_lessons] == ["Một", "Ba"]
    assert db.session.scalar(select(func.count(LessonProgress.id))) == 1
    assert db.session.get(Lesson, lesson_two.id).is_active is False


def test_a_removed_lesson_is_not_needed_to_complete_the_course(app, courses_dir):
    # Completion asks whether an active lesson is left undone (one statement): the
    # removed one no longer counts, and the last active one still does.
    write_course(courses_dir, lessons=["Một", "Hai", "Ba"], quiz=False)
    sync_courses(courses_dir)
    learner = make_user()
    one, _two, three = lessons_of("ky-nang-so-co-ban")
    write_course(courses_dir, lessons=["Một", "Ba"], quiz=False)  # "Hai" removed
    sync_courses(courses_dir)
    assert mark_lesson_done(learner, one) is None  # "Ba" is still to do
    completion = mark_lesson_done(learner, db.session.get(Lesson, three.id))
    db.session.commit()
    assert completion is not None and completion.user_id == learner.id


def test_edited_lesson_is_rerendered(app, courses_dir):
    folder = write_course(courses_dir)
    sync_courses(courses_dir)
    write_file(folder / "01-bai-mo-dau.md", "# Bài mở đầu\n\nNội dung **mới**.\n")
    sync_courses(courses_dir)
    assert "<strong>mới</strong>" in lessons_of("ky-nang-so-co-ban")[0].html


def test_removed_course_is_unpublished_not_deleted(app, courses_dir):
    folder = write_course(courses_dir)
    sync_courses(courses_dir)
    for path in sorted(folder.rglob("*"), reverse=True):
        path.unlink()
    folder.rmdir()
    report = sync_courses(courses_dir)
    assert report.unpublished == ["ky-nang-so-co-ban"]
    assert db.session.scalar(select(Course.is_published)) is False


def test_a_problem_anywhere_syncs_nothing(app, courses_dir, runner):
    write_course(courses_dir, "khoa-tot")
    broken = write_course(courses_dir, "khoa-loi")
    write_file(broken / "course.yml", "title: Thiếu audiences\nsummary: x\n")
    try:
        sync_courses(courses_dir)
    except CourseProblems as error:
        assert "audiences" in str(error.check.problems[0])
    else:
        raise AssertionError("sync should refuse a broken folder")
    db.session.rollback()
    assert db.session.scalar(select(func.count(Course.id))) == 0

    result = runner.invoke(args=["courses", "sync"])
    assert result.exit_code == 1
    assert "Nothing was synced" in result.output


def test_cli_sync_reports_counts(runner, courses_dir):
    write_course(courses_dir)
    first = runner.invoke(args=["courses", "sync"])
    second = runner.invoke(args=["courses", "sync"])
    assert "Synced: 1 created, 0 updated, 0 unchanged, 0 unpublished." in first.output
    assert "Synced: 0 created, 0 updated, 1 unchanged, 0 unpublished." in second.output
