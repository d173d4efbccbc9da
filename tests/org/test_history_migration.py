"""Migration 0008 turns today's roster into dated periods, losing nothing."""

from __future__ import annotations

from datetime import date

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from lms.extensions import db
from lms.org.logic import unit_by_code
from lms.reports.indicator import compliance_report
from tests.conftest import database_url, running_app

UNITS = [(1, "NA", "Tỉnh Nghệ An", "province", None, "/1/"),
         (2, "SNV", "Sở Nội vụ", "department", 1, "/1/2/"),
         (3, "X1", "Xã Nghi Lộc", "commune", 1, "/1/3/")]
OFFICIALS = [  # code, unit, leader, status, left_on
    ("CB1", 2, True, "active", None),
    ("CB2", 3, False, "active", None),
    ("CB3", 3, False, "left", "2026-03-01"),
    ("CB4", 3, False, "left", None),
]


def test_0008_makes_one_period_per_official_and_goes_down_and_up(tmp_path, courses_dir):
    (tmp_path / "history").mkdir()
    with running_app(database_url(tmp_path / "history"), create_tables=False,
                     LMS_COURSES_DIR=str(courses_dir)):
        upgrade(revision="0007")
        with db.engine.begin() as conn:  # the data as 0007 knew it
            for uid, code, name, level, parent, path in UNITS:
                conn.execute(text(
                    "INSERT INTO units (id, code, name, level, parent_id, path, created_at) "
                    "VALUES (:i, :c, :n, :l, :p, :path, CURRENT_TIMESTAMP)"),
                    {"i": uid, "c": code, "n": name, "l": level, "p": parent, "path": path})
            for code, unit, leader, status, left_on in OFFICIALS:
                conn.execute(text(
                    "INSERT INTO officials (employee_code, full_name, search_name, unit_id, "
                    "category, is_leader, is_it_officer, status, left_on, created_at, "
                    "updated_at) VALUES (:c, :c, :c, :u, 'cong_chuc', :l, false, :s, :lo, "
                    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
                    {"c": code, "u": unit, "l": leader, "s": status, "lo": left_on})
        upgrade()
        with db.engine.connect() as conn:
            periods = conn.execute(text(
                "SELECT o.employee_code, p.valid_from, p.valid_to, p.unit_id, p.status, "
                "p.is_leader FROM official_periods p JOIN officials o ON o.id = p.official_id "
                "ORDER BY o.employee_code, p.valid_from IS NOT NULL, p.valid_from")).all()
            unit_periods = conn.execute(text(
                "SELECT unit_id, name, parent_id, valid_from, valid_to FROM unit_periods "
                "ORDER BY unit_id")).all()
        as_text = [(c, str(f) if f else None, str(t) if t else None, u, s, bool(le))
                   for c, f, t, u, s, le in periods]
        assert as_text == [
            ("CB1", None, None, 2, "active", True),
            ("CB2", None, None, 3, "active", False),
            ("CB3", None, "2026-02-28", 3, "active", False),
            ("CB3", "2026-03-01", None, 3, "left", False),
            ("CB4", None, None, 3, "left", False),
        ]
        assert [(u, n, p) for u, n, p, _f, _t in unit_periods] == [
            (1, "Tỉnh Nghệ An", None), (2, "Sở Nội vụ", 1), (3, "Xã Nghi Lộc", 1)]
        # The indicator reads the periods: CB3 counts before leaving, CB4 never.
        totals = {d: compliance_report(unit_by_code("NA"), d).root.officials_total
                  for d in (date(2026, 2, 28), date(2026, 3, 1))}
        assert totals == {date(2026, 2, 28): 3, date(2026, 3, 1): 2}
        db.session.remove()
        downgrade(revision="0007")
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM officials")).scalar() == 4
            left = conn.execute(text(
                "SELECT left_on FROM officials WHERE employee_code = 'CB3'")).scalar()
            assert str(left) == "2026-03-01"
        upgrade()
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM official_periods")).scalar() == 5
            if db.engine.url.get_backend_name() == "sqlite":
                assert conn.execute(text("PRAGMA foreign_key_check")).fetchall() == []
