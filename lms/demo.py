"""A demo province for a first look: units, a few hundred officials, progress.

Built through the same import functions HR uses, so the demo also shows the
imports working. Names are generated; any likeness to a real person is chance.
"""

from __future__ import annotations

import csv
import io
import random
from datetime import date, timedelta

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select, update

from lms.auth import logic as auth
from lms.auth import twofactor
from lms.auth.models import User
from lms.community.demo import load_community_demo
from lms.courses.models import Course
from lms.documents.logic import record_signatory
from lms.extensions import db
from lms.learning import logic as learning
from lms.learning.models import ExternalTraining, Requirement, TrainingClass
from lms.learning.questions import question_type
from lms.learning.requirements import refresh_requirements
from lms.org.changes import import_unit_changes
from lms.org.imports import import_officials, import_units
from lms.org.models import Official, Unit
from lms.reports.frozen import freeze
from lms.util.time import local_today, utcnow

DEMO_PASSWORD = "hocso-demo-2026"
ADMIN_PASSWORD = "quantri-demo-2026"
# The demo admin's and HR officers' authenticator key, published like their passwords:
# add it to an authenticator app, or print the current code (print_logins says how).
DEMO_TOTP_SECRET = "NGHEANDEMOHOCKYNANGSOQUANTRIXAAA"

UNITS = [
    # code, name, level, parent
    ("NA", "Tỉnh Nghệ An", "province", ""),
    ("NA-VP", "Văn phòng UBND tỉnh", "department", "NA"),
    ("NA-SNV", "Sở Nội vụ", "department", "NA"),
    ("NA-SNV-TCCB", "Phòng Tổ chức cán bộ", "office", "NA-SNV"),
    ("NA-SNV-CCHC", "Phòng Cải cách hành chính", "office", "NA-SNV"),
    ("NA-SKHCN", "Sở Khoa học và Công nghệ", "department", "NA"),
    ("NA-STC", "Sở Tài chính", "department", "NA"),
    ("NA-SGDDT", "Sở Giáo dục và Đào tạo", "department", "NA"),
    ("NA-P-TRUONGVINH", "Phường Trường Vinh", "commune", "NA"),
    ("NA-P-TRUONGVINH-VP", "Văn phòng HĐND và UBND phường", "office", "NA-P-TRUONGVINH"),
    ("NA-P-THANHVINH", "Phường Thành Vinh", "commune", "NA"),
    ("NA-X-NGHILOC", "Xã Nghi Lộc", "commune", "NA"),
    # Merged into Xã Nghi Lộc on 1 July 2025 (see MERGE): the report for an earlier
    # date shows it as it was, the restated view counts its officials in Nghi Lộc.
    ("NA-X-NGHITHACH", "Xã Nghi Thạch", "commune", "NA"),
    ("NA-X-CONCUONG", "Xã Con Cuông", "commune", "NA"),
    ("NA-X-QUYNHLUU", "Xã Quỳnh Lưu", "commune", "NA"),
    ("NA-X-DIENCHAU", "Xã Diễn Châu", "commune", "NA"),
    ("NA-X-THANHCHUONG", "Xã Thanh Chương", "commune", "NA"),
    ("NA-X-MUONGXEN", "Xã Mường Xén", "commune", "NA"),
]
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Phan", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ",
          "Ngô", "Dương", "Lý", "Thái", "Cao", "Lương", "Vi", "Lô", "Kha"]
MIDDLE_M = ["Văn", "Đình", "Hữu", "Đức", "Minh", "Quang", "Xuân", "Công", "Bá", "Thanh"]
MIDDLE_F = ["Thị", "Thị", "Thu", "Ngọc", "Thanh", "Hồng", "Kim", "Phương", "Diệu", "Hải"]
GIVEN_M = ["An", "Bình", "Cường", "Dũng", "Hùng", "Hải", "Long", "Nam", "Phong", "Quân",
           "Sơn", "Thắng", "Tuấn", "Việt", "Vinh", "Khánh", "Lâm", "Trung", "Hiếu", "Đạt"]
GIVEN_F = ["Anh", "Chi", "Dung", "Hà", "Hằng", "Hoa", "Hương", "Lan", "Linh", "Mai",
           "Nga", "Ngân", "Nhung", "Phương", "Quỳnh", "Thảo", "Trang", "Tuyết", "Vân", "Yến"]
POSITIONS = ["Chuyên viên", "Chuyên viên chính", "Cán sự", "Kế toán", "Văn thư",
             "Công chức địa chính", "Công chức tư pháp - hộ tịch", "Công chức văn hóa - xã hội"]
LEADER_POSITIONS = ["Giám đốc", "Phó Giám đốc", "Chủ tịch UBND", "Phó Chủ tịch UBND",
                    "Trưởng phòng", "Phó Trưởng phòng", "Chánh Văn phòng"]
CATEGORIES = ["cong_chuc"] * 6 + ["vien_chuc"] * 2 + ["can_bo"] * 2 + ["nguoi_lao_dong"]

ACCOUNTS = [
    # email, phone, name, role, password, unit code (scope or commune)
    ("quantri@lms.example", None, "Quản trị hệ thống (demo)", "admin", ADMIN_PASSWORD, None),
    ("tochuc.snv@lms.example", None, "Cán bộ tổ chức Sở Nội vụ (demo)", "unit_manager",
     DEMO_PASSWORD, "NA-SNV"),
    ("tochuc.nghiloc@lms.example", None, "Cán bộ tổ chức xã Nghi Lộc (demo)", "unit_manager",
     DEMO_PASSWORD, "NA-X-NGHILOC"),
    ("nguoidan@lms.example", "0912000001", "Nguyễn Thị Hoa", "citizen", DEMO_PASSWORD,
     "NA-X-NGHILOC"),
    ("doanhnghiep@lms.example", "0912000002", "HTX Chè Thanh Chương", "business",
     DEMO_PASSWORD, "NA-X-THANHCHUONG"),
    # A member of Nghi Lộc's community digital team (lms/community).
    ("hotro.nghiloc@lms.example", "0912000003", "Tổ viên tổ công nghệ số xã Nghi Lộc (demo)",
     "community_helper", DEMO_PASSWORD, "NA-X-NGHILOC"),
    # Verifies HR's classroom training records (lms/review).
    ("duyet@lms.example", None, "Cán bộ duyệt hồ sơ của tỉnh (demo)", "province_reviewer",
     DEMO_PASSWORD, None),
]
DEMO_OFFICIAL = "CB-DEMO-01"  # signs in with this employee code and DEMO_PASSWORD
# One past reorganisation, as the 2025 reform did: a commune merged into its neighbour.
MERGE = [["effective_on", "action", "unit_code", "name", "level", "parent_code", "into_code"],
         ["2025-07-01", "merge", "NA-X-NGHITHACH", "", "", "", "NA-X-NGHILOC"]]
FROZEN_AS_OF = (6, 30)  # the demo freezes the province's report of 30 June this year


def demo_is_loaded() -> bool:
    return bool(db.session.scalar(select(func.count(User.id))))


def _csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _name(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE_M)} {rng.choice(GIVEN_M)}"
    return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE_F)} {rng.choice(GIVEN_F)}"


def roster_rows(rng: random.Random, today) -> list[list[str]]:
    rows = [["employee_code", "full_name", "unit_code", "category", "position", "is_leader",
             "is_it_officer", "email", "phone", "status", "left_on"]]
    number = 0
    for code, _unit_name, level, _parent in UNITS:
        if level == "province":
            continue
        size = rng.randint(8, 14) if level == "office" else rng.randint(18, 30)
        for i in range(size):
            number += 1
            leader = i < 2 or rng.random() < 0.05
            left = rng.random() < 0.03
            rows.append([
                f"CB{number:05d}", _name(rng), code, rng.choice(CATEGORIES),
                rng.choice(LEADER_POSITIONS if leader else POSITIONS),
                "có" if leader else "", "x" if i == 2 else "", "", "",
                "nghỉ việc" if left else "",
                (today - timedelta(days=rng.randint(10, 200))).strftime("%d/%m/%Y")
                if left else "",
            ])
    rows.append([DEMO_OFFICIAL, "Hồ Thị Minh Châu", "NA-X-NGHILOC", "can_bo",
                 "Phó Chủ tịch UBND xã", "có", "", "canbo@lms.example", "", "", ""])
    return rows


def load_demo(seed: int = 2026) -> None:
    """Create the demo province, accounts and progress on the synced courses."""
    rng = random.Random(seed)
    today = local_today()
    units_file = [["code", "name", "level", "parent_code"], *map(list, UNITS)]
    for result in (import_units("don-vi.csv", _csv(units_file)),
                   import_officials("can-bo.csv", _csv(roster_rows(rng, today)), today=today),
                   import_unit_changes("sap-nhap.csv", _csv(MERGE), today=today)):
        if not result.ok:  # pragma: no cover - the demo data is fixed
            raise RuntimeError(f"demo data rejected: {result.errors[:3]}")
    units = {u.code: u for u in db.session.scalars(select(Unit))}
    _signatories(units)
    accounts: dict[str, User] = {}
    for email, phone, name, role, password, unit_code in ACCOUNTS:
        user = auth.create_user(full_name=name, role=role, password=password, email=email,
                                phone=phone, unit=units.get(unit_code) if unit_code else None)
        if role == "business":
            user.tax_code, user.business_type = "2901234568", "cooperative"
        if twofactor.required(user):  # admins and HR officers sign in with a second factor
            twofactor.enable_known_secret(user, DEMO_TOTP_SECRET)
        accounts.setdefault(role, user)

    courses = {c.slug: c for c in db.session.scalars(select(Course))}
    _spread_requirement_dates(rng, today)
    _official_progress(rng, today, courses)
    _learner_progress(accounts, courses, rng)
    load_community_demo(units, accounts, today)
    db.session.flush()
    frozen_on = today.replace(month=FROZEN_AS_OF[0], day=FROZEN_AS_OF[1])
    if frozen_on < today:
        freeze(units["NA"], frozen_on, user=accounts["admin"], today=today)


def _signatories(units: dict[str, Unit]) -> None:
    """Who signs the demo's documents (made-up names: "Mẫu" is "specimen")."""
    record_signatory(units["NA"], date(2024, 1, 1), issuing_body="ỦY BAN NHÂN DÂN TỈNH NGHỆ AN",
                     place="Nghệ An", authority="KT. CHỦ TỊCH", signer_title="PHÓ CHỦ TỊCH",
                     signer_name="Nguyễn Văn Mẫu")
    record_signatory(units["NA-X-NGHILOC"], date(2025, 7, 1),
                     issuing_body="ỦY BAN NHÂN DÂN XÃ NGHI LỘC", place="Nghi Lộc",
                     authority="TM. ỦY BAN NHÂN DÂN", signer_title="CHỦ TỊCH",
                     signer_name="Lê Thị Mẫu")


def _spread_requirement_dates(rng: random.Random, today) -> None:
    """Courses became required at different times, so some officials are overdue."""
    refresh_requirements(today)
    for official_id, course_id in db.session.execute(
            select(Requirement.official_id, Requirement.course_id)).all():
        db.session.execute(
            update(Requirement)
            .where(Requirement.official_id == official_id, Requirement.course_id == course_id)
            .values(since=today - timedelta(days=rng.choice([20, 45, 75, 100, 150, 200]))))


def _official_progress(rng: random.Random, today, courses: dict[str, Course]) -> None:
    officials = db.session.scalars(
        select(Official).where(Official.status != "left").order_by(Official.id)).all()
    for official in officials:
        activated = official.employee_code == DEMO_OFFICIAL or rng.random() < 0.7
        if not activated:
            continue
        user = User(full_name=official.full_name, role="official", email=official.email,
                    password_hash=auth.hash_password(DEMO_PASSWORD)
                    if official.employee_code == DEMO_OFFICIAL else None)
        db.session.add(user)
        db.session.flush()
        official.user_id = user.id
        if official.employee_code == DEMO_OFFICIAL:
            # The demo official has finished one course and started another.
            _complete(user, courses.get("ky-nang-so-co-ban"), today - timedelta(days=30))
            _start(user, courses.get("an-toan-thong-tin"), 2)
            continue
        for slug in ("ky-nang-so-co-ban", "an-toan-thong-tin", "van-ban-dien-tu-chu-ky-so",
                     "lanh-dao-chuyen-doi-so", "chuyen-sau-cntt"):
            roll = rng.random()
            if roll < 0.8:
                _complete(user, courses.get(slug), today - timedelta(days=rng.randint(1, 300)))
            elif roll < 0.9:
                _start(user, courses.get(slug), rng.randint(1, 3))
    # Some officials trained in a classroom instead (external records): most in a class
    # the province has verified, some declared in a class waiting in the review queue,
    # a few declared without naming a class.
    course = courses.get("ky-nang-so-co-ban")
    if course is not None:
        day = today - timedelta(days=200)
        verified = TrainingClass(reference="125/QĐ-SKHCN", organiser="Sở Khoa học và Công nghệ",
                                 starts_on=day - timedelta(days=3), ends_on=day)
        waiting = TrainingClass(reference="DS-07/UBND", organiser="UBND xã Nghi Lộc",
                                starts_on=today - timedelta(days=40),
                                ends_on=today - timedelta(days=38))
        db.session.add_all([verified, waiting])
        db.session.flush()
        for number, official in enumerate(rng.sample(list(officials),
                                                     k=min(25, len(officials)))):
            in_class = verified if number < 15 else waiting if number < 21 else None
            db.session.add(ExternalTraining(
                official_id=official.id, course_id=course.id,
                completed_on=in_class.ends_on if in_class else
                today - timedelta(days=rng.randint(30, 500)),
                source="Lớp bồi dưỡng kỹ năng số cấp tỉnh 2025",
                training_class_id=in_class.id if in_class else None,
                status="verified" if in_class is verified else "declared",
                reviewed_at=utcnow() if in_class is verified else None))


def _complete(user: User, course: Course | None, on) -> None:
    if course is None:
        return
    for lesson in course.active_lessons:
        db.session.add(learning.LessonProgress(user_id=user.id, lesson_id=lesson.id))
    learning.record_completion(user, course, on=on)


def _start(user: User, course: Course | None, lessons: int) -> None:
    if course is None:
        return
    for lesson in course.active_lessons[:lessons]:
        db.session.add(learning.LessonProgress(user_id=user.id, lesson_id=lesson.id))


def _learner_progress(accounts: dict[str, User], courses: dict[str, Course],
                      rng: random.Random) -> None:
    citizen, business = accounts["citizen"], accounts["business"]
    for lesson in (courses["dich-vu-cong-truc-tuyen"].active_lessons[:2]
                   if "dich-vu-cong-truc-tuyen" in courses else []):
        learning.mark_lesson_done(citizen, lesson)
    payments = courses.get("thanh-toan-so-an-toan")
    if payments is not None:
        for lesson in payments.active_lessons:
            learning.mark_lesson_done(citizen, lesson)
        if payments.quiz:
            attempt = learning.open_attempt(citizen, payments, rng)
            learning.submit_attempt(citizen, attempt,
                                    {q["id"]: _right_answer(q) for q in attempt.questions})
    for lesson in (courses["thuong-mai-dien-tu"].active_lessons[:3]
                   if "thuong-mai-dien-tu" in courses else []):
        learning.mark_lesson_done(business, lesson)


def _right_answer(question: dict):
    return question_type(question["type"]).right_response(question)


def print_logins() -> None:
    click.echo("")
    click.echo("Demo logins (local trial only):")
    for email, phone, name, role, password, _unit in ACCOUNTS:
        extra = f" or {phone}" if phone else ""
        click.echo(f"  {role:<12} {email}{extra}  password: {password}   ({name})")
    click.echo(f"  {'official':<12} {DEMO_OFFICIAL} or canbo@lms.example  password: "
               f"{DEMO_PASSWORD}   (Hồ Thị Minh Châu, a commune leader)")
    click.echo("")
    click.echo("Admins, HR officers and the reviewer also enter a two-factor code after the "
               f"password. Add the key {DEMO_TOTP_SECRET} to an authenticator app (time-based), "
               "or print the current code with:")
    click.echo(f"  .venv/bin/python -c \"import pyotp; print(pyotp.TOTP('{DEMO_TOTP_SECRET}')"
               ".now())\"")
    click.echo("")


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Only load when there are no accounts yet.")
@with_appcontext
def demo_command(if_empty: bool) -> None:
    """Load a demo province with officials, accounts and progress, for a first look."""
    if current_app.config["LMS_ENV"] == "production":
        # The demo's passwords are printed in the README: never on a real server.
        raise click.ClickException("demo refuses to run with LMS_ENV=production "
                                   "(its passwords are public).")
    if demo_is_loaded():
        if not if_empty:
            raise click.ClickException("The database already has accounts; demo not loaded.")
        click.echo("Database already has data; demo not loaded again.")
    else:
        load_demo()
        db.session.commit()
        click.echo("Demo loaded.")
    print_logins()
