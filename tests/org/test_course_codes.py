"""The course codes HR needs for a training import, on a page with a copy button, and
an import that accepts a course's code or its exact title (issue 16, point 7)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from lms.courses.sync import sync_courses
from lms.extensions import db
from lms.learning.models import ExternalTraining
from lms.org.imports import run_import
from lms.org.logic import unit_by_code
from tests.builders import csv_bytes, load_roster, load_units, make_user, write_course
from tests.conftest import login

HEADER = ["Mã cán bộ", "Khóa học", "Ngày hoàn thành", "Nguồn"]


def setup(courses_dir):
    write_course(courses_dir, "ky-nang-so-co-ban", title="Kỹ năng số cơ bản", quiz=False)
    write_course(courses_dir, "an-toan", title="An toàn thông tin", quiz=False)
    write_course(courses_dir, "an-toan-2", title="An toàn thông tin", quiz=False)
    sync_courses(courses_dir)
    load_units()
    load_roster([["CB1", "Nguyễn Văn An", "SNV", "công chức", "", "", "", "", "", "", ""],
                 ["CB2", "Lê Thị Bình", "SNV", "công chức", "", "", "", "", "", "", ""]])
    db.session.commit()


def test_hr_sees_every_course_code_with_a_copy_button(app, client, courses_dir):
    setup(courses_dir)
    make_user("unit_manager", email="hr@snv.vn", unit=unit_by_code("SNV"))
    login(client, "hr@snv.vn")
    page = client.get("/imports/courses").get_data(as_text=True)
    assert "<code id=" in page and ">ky-nang-so-co-ban</code>" in page
    assert 'data-copy="ky-nang-so-co-ban"' in page
    # The button waits for the script (hidden without it); the code is there to select.
    assert 'hidden data-copy="ky-nang-so-co-ban"' in page
    assert "<script>" not in page
    assert "/imports/courses" in client.get("/imports/training").get_data(as_text=True)


def test_training_import_accepts_a_code_or_the_exact_title(app, courses_dir):
    setup(courses_dir)
    result = run_import("training", "lop.csv", csv_bytes([
        HEADER,
        ["CB1", "ky-nang-so-co-ban", "15/05/2026", "Lớp CĐS"],
        ["CB2", "  kỹ năng số  CƠ BẢN ", "16/05/2026", "Lớp CĐS"],
    ]), today=date(2026, 6, 30))
    assert result.ok, result.errors
    db.session.commit()
    assert db.session.scalar(select(db.func.count(ExternalTraining.id))) == 2


def test_neither_code_nor_title_is_a_row_numbered_error(app, courses_dir):
    setup(courses_dir)
    result = run_import("training", "lop.csv", csv_bytes([
        HEADER,
        ["CB1", "Ky nang so", "15/05/2026", "Lớp CĐS"],
        ["CB2", "An toàn thông tin", "16/05/2026", "Lớp CĐS"],
    ]), today=date(2026, 6, 30))
    assert not result.ok
    text = "\n".join(result.errors)
    assert "dòng 2, Khóa học:" in text and "không có khóa học mã hoặc tên 'Ky nang so'" in text
    assert "dòng 3, Khóa học:" in text and "có nhiều khóa học tên 'An toàn thông tin'" in text
    assert db.session.scalar(select(db.func.count(ExternalTraining.id))) == 0
