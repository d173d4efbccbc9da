"""Coverage and commune team pages cost the same SQL statements however many communes,
citizens, classes and team members there are (set-based: no statement per row)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import insert, select

from lms.auth.models import User
from lms.community.models import (
    ClassAttendance,
    CommunePopulation,
    CommunityClass,
    TeamMember,
)
from lms.courses.logic import published_course_or_404
from lms.courses.sync import sync_courses
from lms.extensions import db
from lms.learning.models import Completion
from lms.org.logic import unit_by_code
from lms.reports.tokens import create_token
from lms.util.time import local_today
from tests.builders import load_units, make_user, write_course
from tests.conftest import enable_two_factor, login
from tests.courses.test_page_queries import statements

UNITS_HEADER = ["Mã đơn vị", "Tên đơn vị", "Cấp", "Mã đơn vị cấp trên"]
# The most statements each page may run (today's counts, session and audit included).
BUDGET = {"coverage": 6, "coverage export json": 9, "coverage export xlsx": 9,
          "commune page": 9, "citizens": 4, "api": 13}


def populate(prefix: str, communes: int, citizens_each: int) -> None:
    """Communes under two area units, each with citizens (half reached online, a third
    in a class), a team member, a class and a population figure."""
    rows = [UNITS_HEADER, ["NA", "Tỉnh Nghệ An", "Tỉnh", ""], ["X1", "Xã Nghi Lộc", "Xã", "NA"],
            ["KV1", "Khu vực 1", "Khác", "NA"], ["KV2", "Khu vực 2", "Khác", "NA"]]
    rows += [[f"{prefix}{i:03d}", f"Xã {prefix} {i:03d}", "Xã", f"KV{1 + i % 2}"]
             for i in range(communes)]
    load_units(rows)
    course = published_course_or_404("ky-nang-so-co-ban")
    helper = db.session.scalar(select(User).where(User.phone == "0911000001"))
    today = local_today()
    for i in range(communes):
        unit = unit_by_code(f"{prefix}{i:03d}")
        db.session.execute(insert(User), [
            {"full_name": f"Dân {prefix}{i} {n}", "role": "citizen", "unit_id": unit.id,
             "email": f"{prefix}{i}-{n}@example.vn", "session_version": 1, "is_active": True}
            for n in range(citizens_each)])
        ids = list(db.session.scalars(select(User.id).where(User.unit_id == unit.id)))
        db.session.execute(insert(Completion), [
            {"user_id": uid, "course_id": course.id, "completed_on": today, "sequence": 1,
             "code": f"{prefix}{uid:010d}"} for uid in ids[::2]])
        db.session.add(TeamMember(unit_id=unit.id, full_name="Tổ trưởng", team_role="leader"))
        db.session.add(CommunePopulation(unit_id=unit.id, year=2025, adults=citizens_each * 3,
                                         source="Niên giám"))
        held = CommunityClass(unit_id=unit.id, held_on=today - timedelta(days=i % 3),
                              place="Nhà văn hóa", topic="VNeID", helper_id=helper.id)
        db.session.add(held)
        db.session.flush()
        db.session.execute(insert(ClassAttendance), [{"class_id": held.id, "user_id": uid}
                                                     for uid in ids[::3]])
    db.session.commit()


def measure(client, token: str) -> dict[str, list[str]]:
    pages: dict[str, Callable[[], object]] = {
        "coverage": lambda: client.get("/community"),
        "coverage export json": lambda: client.get("/community/export.json"),
        "coverage export xlsx": lambda: client.get("/community/export.xlsx"),
        "commune page": lambda: client.get("/community/c/XX000"),
        "citizens": lambda: client.get("/community/c/XX000/citizens"),
        "api": lambda: client.get("/api/v1/community/coverage",
                                  headers={"Authorization": f"Bearer {token}"}),
    }
    counts = {}
    for name, request in pages.items():
        with statements() as seen:
            response = request()
            response.get_data()
        assert response.status_code == 200, name
        counts[name] = seen
    return counts


def test_coverage_pages_run_the_same_statements_however_many_communes(client, courses_dir):
    write_course(courses_dir, audiences=["citizen"])
    sync_courses(courses_dir)
    load_units([UNITS_HEADER, ["NA", "Tỉnh Nghệ An", "Tỉnh", ""], ["X1", "Xã Nghi Lộc", "Xã",
                                                                    "NA"]])
    x1 = unit_by_code("X1")
    make_user("community_helper", phone="0911000001", unit=x1)
    admin = make_user("admin", email="admin@na.vn")
    enable_two_factor(admin)
    _record, token = create_token(unit_by_code("NA"), "Báo cáo")
    db.session.commit()
    populate("XX", communes=2, citizens_each=3)
    assert login(client, "admin@na.vn").status_code == 302
    small = measure(client, token)

    populate("XY", communes=30, citizens_each=40)
    large = measure(client, token)

    grown = {name: (len(small[name]), len(large[name])) for name in small
             if len(large[name]) > len(small[name])}
    detail = "\n".join(f"{name}: {len(small[name])} -> {len(large[name])} statements:\n  "
                       + "\n  ".join(s[:160] for s in large[name]) for name in grown)
    assert not grown, f"statements grow with communes and citizens:\n{detail}"
    over = {name: len(large[name]) for name in large if len(large[name]) > BUDGET[name]}
    assert not over, f"over budget {BUDGET}: {over}"
    page = client.get("/community").get_data(as_text=True)
    assert "Xã XY 029" in page and "Khu vực 2" in page

