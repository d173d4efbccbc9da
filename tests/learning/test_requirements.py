"""required_for rules: keys ANDed, rules ORed; due dates; my learning."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from lms.courses.sync import sync_courses
from lms.extensions import db
from lms.learning.models import ExternalTraining, Requirement
from lms.learning.requirements import is_required, refresh_requirements
from lms.learning.status import statuses
from lms.org.models import Official
from lms.util.time import local_today
from tests.builders import load_roster, load_units, write_course

RULES = {
    "moi-can-bo": [{"audience": "official"}],
    "lanh-dao": [{"audience": "official", "leaders": True}],
    "cntt": [{"audience": "official", "it_officers": True}],
    "cap-tinh": [{"audience": "official", "levels": ["province", "department"]}],
    "lanh-dao-xa": [{"audience": "official", "leaders": True, "levels": ["commune"]}],
    "lanh-dao-hoac-cntt": [{"audience": "official", "leaders": True},
                           {"audience": "official", "it_officers": True}],
}


@pytest.fixture
def setup(app, courses_dir):
    for slug, rules in RULES.items():
        write_course(courses_dir, slug, title=slug, required_for=rules, due_days=30, quiz=False)
    sync_courses(courses_dir)
    load_units()
    load_roster([
        ["CB-SO", "Chuyên viên sở", "SNV", "công chức", "", "", "", "", "", "", ""],
        ["CB-SO-LD", "Lãnh đạo sở", "SNV", "công chức", "", "có", "", "", "", "", ""],
        ["CB-PHONG-IT", "CNTT phòng", "SNV-TC", "viên chức", "", "", "x", "", "", "", ""],
        ["CB-XA-LD", "Chủ tịch xã", "X1", "cán bộ", "", "có", "", "", "", "", ""],
        ["CB-XA", "Công chức xã", "X1", "công chức", "", "", "", "", "", "", ""],
    ], today=date(2026, 1, 1))


def required_slugs(code: str) -> list[str]:
    official = db.session.scalar(select(Official).where(Official.employee_code == code))
    from lms.learning.requirements import courses_with_rules

    return sorted(c.slug for c in courses_with_rules()
                  if is_required(c, official, official.unit.level))


@pytest.mark.parametrize(("code", "expected"), [
    ("CB-SO", ["cap-tinh", "moi-can-bo"]),
    ("CB-SO-LD", ["cap-tinh", "lanh-dao", "lanh-dao-hoac-cntt", "moi-can-bo"]),
    ("CB-PHONG-IT", ["cntt", "lanh-dao-hoac-cntt", "moi-can-bo"]),  # an office is not a level
    ("CB-XA-LD", ["lanh-dao", "lanh-dao-hoac-cntt", "lanh-dao-xa", "moi-can-bo"]),
    ("CB-XA", ["moi-can-bo"]),
])
def test_rules(setup, code, expected):
    assert required_slugs(code) == expected


def test_sql_and_python_rules_agree(setup):
    refresh_requirements(date(2026, 1, 1))
    pairs = set(db.session.execute(
        select(Official.employee_code, Requirement.course_id)
        .join(Requirement, Requirement.official_id == Official.id)).tuples())
    from lms.courses.models import Course

    slug_of = dict(db.session.execute(select(Course.id, Course.slug)).tuples().all())
    by_code: dict[str, list[str]] = {}
    for code, course_id in pairs:
        by_code.setdefault(code, []).append(slug_of[course_id])
    for code in ("CB-SO", "CB-SO-LD", "CB-PHONG-IT", "CB-XA-LD", "CB-XA"):
        assert sorted(by_code[code]) == required_slugs(code)


def test_due_date_counts_from_when_the_course_became_required(setup):
    official = db.session.scalar(select(Official).where(Official.employee_code == "CB-XA"))
    refresh_requirements(date(2026, 6, 1))  # later runs keep the first date (the import's)
    ids = select(Official.id).where(Official.id == official.id)
    [item] = statuses(ids, date(2026, 1, 31))[official.id].courses
    assert (item.due_on, item.state) == (date(2026, 1, 31), "not_started")
    [item] = statuses(ids, date(2026, 2, 1))[official.id].courses
    assert item.state == "overdue"


def test_status_done_via_external_record_and_overdue(setup):
    refresh_requirements(date(2026, 1, 1))
    official = db.session.scalar(select(Official).where(Official.employee_code == "CB-XA"))
    ids = select(Official.id).where(Official.id == official.id)
    [status] = statuses(ids, date(2026, 3, 1))[official.id].courses
    assert status.state == "overdue"
    from lms.courses.logic import published_course_or_404

    db.session.add(ExternalTraining(official_id=official.id,
                                    course_id=published_course_or_404("moi-can-bo").id,
                                    completed_on=date(2026, 2, 10), source="Lớp tập huấn xã"))
    db.session.commit()
    [status] = statuses(ids, date(2026, 3, 1))[official.id].courses
    assert (status.state, status.completed_on, status.source) == (
        "done", date(2026, 2, 10), "Lớp tập huấn xã")
    # Before the class took place it did not count yet.
    [status] = statuses(ids, date(2026, 2, 9))[official.id].courses
    assert status.state == "overdue"


def test_my_learning_lists_required_courses_first_with_due_dates(app, setup):
    from lms.auth.activation import activate, invite

    official = db.session.scalar(select(Official).where(Official.employee_code == "CB-XA"))
    [invitation] = invite([official])
    activate(invitation.token, "mat-khau-can-bo")
    db.session.commit()
    from tests.conftest import login

    client = app.test_client()
    login(client, "CB-XA", "mat-khau-can-bo")
    page = client.get("/my").get_data(as_text=True)
    assert "moi-can-bo" in page and "Bắt buộc" in page
    assert "Hạn hoàn thành: 31/01/2026" in page  # required since the import on 1/1/2026
    overdue = (local_today() - date(2026, 1, 31)).days
    assert f"Quá hạn {overdue} ngày" in page
