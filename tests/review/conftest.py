"""Classroom training evidence and its review (issue 18, point 5): shared data."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.learning.models import ExternalTraining, TrainingClass
from lms.org.imports import run_import
from lms.org.models import Official
from tests.builders import csv_bytes, make_user
from tests.reports.conftest import (
    complete,
    courses,  # noqa: F401  (the courses and units fixture)
    every_way_agrees,  # noqa: F401  (the evidence split read both ways, compared)
    roster,
)

TRAINING_HEADER = ["Mã cán bộ", "Khóa học", "Ngày hoàn thành", "Nguồn", "Đơn vị tổ chức",
                   "Số quyết định mở lớp", "Lớp từ ngày", "Lớp đến ngày"]
ORGANISER = "Sở Khoa học và Công nghệ"
CLASS_A = "125/QĐ-SKHCN"
CLASS_B = "Danh sách lớp 07/2026"
# The smallest files each kind of scan can be (their content decides, not their name).
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


def training_row(code: str, slug: str = "co-ban", on: str = "15/05/2026",
                 reference: str = CLASS_A, organiser: str = ORGANISER,
                 start: str = "12/05/2026", end: str = "15/05/2026",
                 source: str = "Lớp bồi dưỡng CĐS 2026") -> list[str]:
    return [code, slug, on, source, organiser, reference, start, end]


def import_training(rows: list[list[str]], header: list[str] | None = None, **options: Any):
    result = run_import("training", "lop.csv", csv_bytes([header or TRAINING_HEADER, *rows]),
                        today=date(2026, 6, 30), **options)
    if not options.get("dry_run"):
        db.session.commit()
    return result


def record_of(code: str, slug: str = "co-ban") -> ExternalTraining:
    from lms.courses.logic import published_course_or_404

    db.session.expire_all()
    official = db.session.scalar(select(Official).where(Official.employee_code == code))
    return db.session.scalar(select(ExternalTraining).where(
        ExternalTraining.official_id == official.id,
        ExternalTraining.course_id == published_course_or_404(slug).id))


def class_by(reference: str = CLASS_A) -> TrainingClass:
    db.session.expire_all()
    return db.session.scalar(select(TrainingClass).where(TrainingClass.reference == reference))


@pytest.fixture
def commune(courses):  # noqa: F811
    """Xã Nghi Lộc (X1) with ten officials: four learned online (both required
    courses), four took class A for the basic course (and the security course online),
    two took class B the same way. Sở Nội vụ (SNV) has one official, online."""
    roster(*[(f"X1-{n:02d}", "X1", False, False, "", "") for n in range(1, 11)],
           ("SNV-01", "SNV", False, False, "", ""))
    for n in range(1, 11):
        complete(f"X1-{n:02d}", "an-toan", date(2026, 3, 1))
    for n in range(1, 5):
        complete(f"X1-{n:02d}", "co-ban", date(2026, 3, 1))
    complete("SNV-01", "co-ban", date(2026, 3, 1))
    complete("SNV-01", "an-toan", date(2026, 3, 1))
    result = import_training(
        [training_row(f"X1-{n:02d}") for n in range(5, 9)]
        + [training_row(f"X1-{n:02d}", reference=CLASS_B, start="", end="", on="20/05/2026")
           for n in (9, 10)])
    assert result.ok, result.errors


@pytest.fixture
def reviewer(app):
    return make_user("province_reviewer", email="duyet@tinh.example", name="Người duyệt")


@pytest.fixture
def hr_x1(app):
    from lms.org.logic import unit_by_code

    return make_user("unit_manager", email="tochuc@x1.example", name="Tổ chức X1",
                     unit=unit_by_code("X1"))
