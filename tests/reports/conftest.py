from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from lms.auth.models import User
from lms.courses.logic import published_course_or_404
from lms.courses.sync import sync_courses
from lms.extensions import db
from lms.learning.models import Completion, ExternalTraining
from lms.org.models import Official
from tests.builders import load_roster, load_units, write_course

D = date(2026, 6, 30)


@pytest.fixture
def courses(app, courses_dir):
    """Every official: basic; yearly security refresher; leaders: leadership;
    IT officers in provincial departments: the IT course."""
    write_course(courses_dir, "co-ban", title="Cơ bản", quiz=False,
                 required_for=[{"audience": "official"}])
    write_course(courses_dir, "an-toan", title="An toàn", quiz=False, valid_days=365,
                 required_for=[{"audience": "official"}])
    write_course(courses_dir, "lanh-dao", title="Lãnh đạo", quiz=False,
                 required_for=[{"audience": "official", "leaders": True}])
    write_course(courses_dir, "cntt", title="CNTT", quiz=False,
                 required_for=[{"audience": "official", "it_officers": True,
                                "levels": ["department", "office"]}])
    write_course(courses_dir, "tu-chon", title="Tự chọn", quiz=False)
    sync_courses(courses_dir)
    load_units()
    db.session.commit()


def complete(code: str, slug: str, on: date, *, external: bool = False) -> None:
    official = db.session.scalar(select(Official).where(Official.employee_code == code))
    course = published_course_or_404(slug)
    if external:
        db.session.add(ExternalTraining(official_id=official.id, course_id=course.id,
                                        completed_on=on, source="Lớp tập huấn"))
    else:
        if official.user_id is None:
            user = User(full_name=official.full_name, role="official")
            db.session.add(user)
            db.session.flush()
            official.user_id = user.id
        sequence = 1 + db.session.query(Completion).filter_by(
            user_id=official.user_id, course_id=course.id).count()
        db.session.add(Completion(user_id=official.user_id, course_id=course.id, sequence=sequence,
                                  completed_on=on, code=f"C{official.id}-{course.id}-{sequence}"))
    db.session.commit()


def complete_basics(code: str, on: date = date(2026, 3, 1)) -> None:
    complete(code, "co-ban", on)
    complete(code, "an-toan", on)


def roster(*rows):
    """Rows: (code, unit, leader, it, status, left_on)."""
    load_roster([[code, f"Cán bộ {code}", unit, "công chức", "", "có" if leader else "",
                  "x" if it else "", "", "", status, left_on]
                 for code, unit, leader, it, status, left_on in rows], today=date(2026, 1, 1))


@pytest.fixture(autouse=True)
def every_way_agrees(monkeypatch):
    """Every one-date count these tests make is read each way the indicator knows
    (lms.reports.indicator._one_date_way: probes per official; grouped reads joined to
    the periods, PostgreSQL's for a report of every unit; joins per official,
    PostgreSQL's for a subtree), and they must give the same counts; the report goes
    on with the way the database would use."""
    from lms.reports import indicator

    original = indicator.unit_counts

    def checked(dates, *args, way=None, **kwargs):
        if len(dates) != 1 or way is not None:
            return original(dates, *args, way=way, **kwargs)
        counts = {w: original(dates, *args, way=w, **kwargs)
                  for w in ("probes", "grouped", "joined")}
        assert counts["grouped"] == counts["probes"], "grouped reads and probes disagree"
        assert counts["joined"] == counts["probes"], "joins and probes disagree"
        unit_ids = kwargs.get("unit_ids", args[1] if len(args) > 1 else None)
        return counts[indicator._one_date_way(unit_ids is None)]

    monkeypatch.setattr(indicator, "unit_counts", checked)
