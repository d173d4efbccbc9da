"""Small builders for test data: course folders on disk, users, units."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any

import yaml

from lms.auth import logic as auth
from lms.auth.models import User
from lms.extensions import db
from lms.util.text import fold

PASSWORD = "mat-khau-thu-2026"

LESSON_TEMPLATE = """# {title}

Nội dung bài **{title}**.

| Bước | Việc cần làm |
|------|--------------|
| 1    | Đọc kỹ       |
"""

DEFAULT_QUIZ = {
    "pass_percent": 60,
    "max_attempts": 0,
    "shuffle": True,
    "questions": [
        {"id": "mot", "type": "single", "text": "Câu một?", "choices": ["A", "B", "C"],
         "answer": 1, "explanation": "B là đúng."},
        {"id": "hai", "type": "multiple", "text": "Câu hai?", "choices": ["A", "B", "C"],
         "answer": [0, 2], "explanation": "A và C."},
        {"id": "ba", "type": "true_false", "text": "Câu ba?", "answer": False,
         "explanation": "Sai."},
        {"id": "bon", "type": "short", "text": "Đường dây nóng?", "answer": ["156"],
         "explanation": "156."},
        {"id": "nam", "type": "short", "text": "Ứng dụng định danh?", "answer": ["VNeID"],
         "explanation": "VNeID."},
    ],
}

RIGHT_ANSWERS = {"mot": "1", "hai": ["0", "2"], "ba": "false", "bon": "156", "nam": "vneid"}
WRONG_ANSWERS = {"mot": "0", "hai": ["0"], "ba": "true", "bon": "113", "nam": "zalo"}


def write_course(
    root: Path,
    slug: str = "ky-nang-so-co-ban",
    *,
    title: str = "Kỹ năng số cơ bản",
    lessons: list[str] | None = None,
    quiz: dict[str, Any] | None | bool = True,
    **meta: Any,
) -> Path:
    """A course folder under ``root``; ``quiz=True`` writes the default quiz."""
    folder = root / slug
    folder.mkdir(parents=True, exist_ok=True)
    course = {
        "title": title,
        "summary": f"Tóm tắt của {title}.",
        "audiences": ["official", "citizen"],  # officials-only courses: say so
        "hours": 2,
        "tags": ["ky-nang-so"],
        "competencies": ["an-toan-so"],
    }
    course.update(meta)
    (folder / "course.yml").write_text(yaml.safe_dump(course, allow_unicode=True), "utf-8")
    for md in folder.glob("*.md"):
        md.unlink()
    for i, lesson_title in enumerate(lessons or ["Bài mở đầu", "Bài thực hành"], start=1):
        slug_part = re.sub(r"[^a-z0-9]+", "-", fold(lesson_title)).strip("-") or f"bai-{i}"
        (folder / f"{i:02d}-{slug_part}.md").write_text(
            LESSON_TEMPLATE.format(title=lesson_title), "utf-8")
    quiz_file = folder / "quiz.yml"
    if quiz is True:
        quiz = DEFAULT_QUIZ
    if quiz:
        quiz_file.write_text(yaml.safe_dump(quiz, allow_unicode=True), "utf-8")
    elif quiz_file.exists():
        quiz_file.unlink()
    return folder


def write_file(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), "utf-8")
    return path


def make_user(role: str = "citizen", *, email: str | None = None, phone: str | None = None,
              name: str = "Nguyễn Văn An", password: str | None = PASSWORD, **extra) -> User:
    make_user.counter += 1
    if email is None and phone is None:
        email = f"user{make_user.counter}@example.vn"
    user = auth.create_user(full_name=name, role=role, password=password, email=email,
                            phone=phone, **extra)
    db.session.commit()
    return user


make_user.counter = 0


def csv_bytes(rows: list[list[Any]], *, bom: bool = True, delimiter: str = ",") -> bytes:
    import csv
    import io

    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    import io

    from openpyxl import Workbook

    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


UNITS_FILE = [
    ["Mã đơn vị", "Tên đơn vị", "Cấp", "Mã đơn vị cấp trên"],
    ["NA", "Tỉnh Nghệ An", "Tỉnh", ""],
    ["SNV", "Sở Nội vụ", "Sở", "NA"],
    ["SNV-TC", "Phòng Tổ chức", "Phòng", "SNV"],
    ["X1", "Xã Nghi Lộc", "Xã", "NA"],
    ["X2", "Xã Con Cuông", "xã", "NA"],
]


def load_units(rows: list[list[Any]] | None = None) -> None:
    from lms.org.imports import import_units

    result = import_units("units.csv", csv_bytes(rows or UNITS_FILE))
    assert result.ok, result.errors
    db.session.commit()


ROSTER_HEADER = ["employee_code", "full_name", "unit_code", "category", "position", "is_leader",
                 "is_it_officer", "email", "phone", "status", "left_on"]


def load_roster(rows: list[list[Any]], **options) -> Any:
    from lms.org.imports import import_officials

    result = import_officials("roster.csv", csv_bytes([ROSTER_HEADER, *rows]), **options)
    assert result.ok, result.errors
    db.session.commit()
    return result
