"""A small demo for a first look: units, an admin and learners with progress."""

from __future__ import annotations

import random

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from lms.auth import logic as auth
from lms.auth.models import User
from lms.courses.models import Course
from lms.extensions import db
from lms.learning import logic as learning
from lms.org.logic import create_unit
from lms.org.models import Unit

DEMO_PASSWORD = "hocso-demo-2026"
ADMIN_PASSWORD = "quantri-demo-2026"

DEMO_UNITS = [
    # code, name, level, parent code
    ("NA", "Tỉnh Nghệ An", "province", None),
    ("NA-SNV", "Sở Nội vụ", "department", "NA"),
    ("NA-SKHCN", "Sở Khoa học và Công nghệ", "department", "NA"),
    ("NA-P-VINH", "Phường Trường Vinh", "commune", "NA"),
    ("NA-X-NGHILOC", "Xã Nghi Lộc", "commune", "NA"),
    ("NA-X-CONCUONG", "Xã Con Cuông", "commune", "NA"),
]

DEMO_ACCOUNTS = [
    # email, phone, name, role, password, commune code
    ("quantri@lms.example", None, "Quản trị hệ thống (demo)", "admin", ADMIN_PASSWORD, None),
    ("nguoidan@lms.example", "0912000001", "Nguyễn Thị Hoa", "citizen", DEMO_PASSWORD,
     "NA-X-NGHILOC"),
    ("doanhnghiep@lms.example", "0912000002", "HTX Chè Thanh Chương", "business", DEMO_PASSWORD,
     "NA-X-CONCUONG"),
]


def demo_is_loaded() -> bool:
    return bool(db.session.scalar(select(func.count(User.id))))


def load_demo(seed: int = 2026) -> None:
    """Create the demo units and accounts, and some progress on synced courses."""
    rng = random.Random(seed)
    units: dict[str, Unit] = {}
    for code, name, level, parent in DEMO_UNITS:
        units[code] = create_unit(code, name, level, units.get(parent) if parent else None)
    accounts: dict[str, User] = {}
    for email, phone, name, role, password, commune in DEMO_ACCOUNTS:
        user = auth.create_user(full_name=name, role=role, password=password, email=email,
                                phone=phone, unit=units.get(commune) if commune else None)
        if role == "business":
            user.tax_code, user.business_type = "2901234567", "cooperative"
        accounts[role] = user
    courses = {c.slug: c for c in db.session.scalars(select(Course))}
    _progress(accounts["citizen"], courses.get("dich-vu-cong-truc-tuyen"), lessons=2, rng=rng)
    _progress(accounts["citizen"], courses.get("thanh-toan-so-an-toan"), lessons=99, rng=rng,
              pass_quiz=True)
    _progress(accounts["business"], courses.get("thuong-mai-dien-tu"), lessons=3, rng=rng)
    db.session.flush()


def _progress(user: User, course: Course | None, *, lessons: int, rng: random.Random,
              pass_quiz: bool = False) -> None:
    if course is None:
        return
    for lesson in course.active_lessons[:lessons]:
        learning.mark_lesson_done(user, lesson)
    if pass_quiz and course.quiz:
        attempt = learning.open_attempt(user, course, rng)
        right = {q["id"]: _right_answer(q) for q in attempt.questions}
        learning.submit_attempt(user, attempt, right)


def _right_answer(question: dict):
    kind, answer = question["type"], question["answer"]
    if kind == "multiple":
        return [str(a) for a in answer]
    if kind == "true_false":
        return "true" if answer else "false"
    if kind == "short":
        return answer[0]
    return str(answer)


def print_logins() -> None:
    click.echo("")
    click.echo("Demo logins (local trial only):")
    for email, phone, name, role, password, _commune in DEMO_ACCOUNTS:
        extra = f" or {phone}" if phone else ""
        click.echo(f"  {role:<9} {email}{extra}  password: {password}   ({name})")
    click.echo("")


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Only load when there are no accounts yet.")
@with_appcontext
def demo_command(if_empty: bool) -> None:
    """Load a demo province with accounts and progress, for a first look."""
    if demo_is_loaded():
        if not if_empty:
            raise click.ClickException("The database already has accounts; demo not loaded.")
        click.echo("Database already has data; demo not loaded again.")
    else:
        load_demo()
        db.session.commit()
        click.echo("Demo loaded.")
    print_logins()
