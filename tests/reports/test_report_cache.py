"""The report page served from kept reports that can never be stale (issue 12).

Each kind of write a report reads (a completion, a classroom-record import, a roster
import moving an official, a unit renamed or moved, a new required course) shows on
the very next request; a rolled-back write changes nothing and keeps the kept report
in use; a second request for the same report issues fewer statements than the first,
and a first request no more than the page did before reports were kept.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import insert, select, text, update

from lms.courses.sync import sync_courses
from lms.extensions import db
from lms.learning.models import Completion
from lms.org.history import UnitHistory
from lms.org.imports import import_units, run_import
from lms.org.logic import unit_by_code
from lms.org.models import Official
from lms.reports import cache as report_cache_module
from lms.reports import indicator, views
from lms.reports.cache import report_cache
from lms.reports.versions import ALL_DOMAINS, REPORT_TABLES, UNITS_TABLES, read_versions
from tests.builders import UNITS_FILE, csv_bytes, load_roster, make_user, write_course
from tests.conftest import login, statements
from tests.reports.conftest import complete, complete_basics, roster

TRAINING_HEADER = ["Mã cán bộ", "Khóa học", "Ngày hoàn thành", "Nguồn"]


def figures(client, unit: str = "NA") -> tuple[int, int]:
    """(trained, total) as the report page shows them to its reader."""
    response = client.get(f"/reports?unit={unit}")
    assert response.status_code == 200
    _percent, trained, remaining = re.findall(r'class="kpi-value">([^<]+)<',
                                              response.get_data(as_text=True))
    trained_count, remaining_count = int(trained.replace(".", "")), int(remaining.replace(".", ""))
    return trained_count, trained_count + remaining_count


@pytest.fixture
def reader(app, client, courses):
    roster(("A1", "X1", False, False, "", ""), ("A2", "X1", False, False, "", ""),
           ("B1", "X2", False, False, "", ""))
    make_user("admin", email="admin@example.vn")
    login(client, "admin@example.vn")
    return client


def test_a_completion_shows_on_the_next_request(reader):
    assert figures(reader) == (0, 3)
    with statements() as first:
        assert figures(reader) == (0, 3)
    complete_basics("A1")
    assert figures(reader) == (1, 3)
    assert figures(reader, "X1") == (1, 2)
    complete_basics("B1")
    assert figures(reader) == (2, 3)
    with statements() as kept:
        assert figures(reader) == (2, 3)
    assert len(kept) == len(first)  # served from the kept report again


def test_a_classroom_record_import_shows_on_the_next_request(reader):
    assert figures(reader, "X1") == (0, 2)
    result = run_import("training", "lop.csv", csv_bytes([
        TRAINING_HEADER,
        ["A2", "co-ban", "15/05/2026", "Lớp CĐS"],
        ["A2", "an-toan", "15/05/2026", "Lớp CĐS"],
    ]), today=date(2026, 6, 30))
    assert result.ok, result.errors
    db.session.commit()
    assert figures(reader, "X1") == (1, 2)


def test_a_roster_import_moving_an_official_shows_on_the_next_request(reader):
    assert figures(reader, "X1") == (0, 2)
    assert figures(reader, "X2") == (0, 1)
    load_roster([["A1", "Cán bộ A1", "X2", "công chức", "", "", "", "", "", "", ""]],
                today=date(2026, 3, 1))
    assert figures(reader, "X1") == (0, 1)
    assert figures(reader, "X2") == (0, 2)
    assert figures(reader) == (0, 3)


def test_a_unit_renamed_or_moved_shows_on_the_next_request(reader):
    page = reader.get("/reports?unit=NA").get_data(as_text=True)
    assert "Xã Nghi Lộc" in page
    renamed = [row[:] for row in UNITS_FILE]
    renamed[4] = ["X1", "Xã Nghi Lộc Mới", "Xã", "SNV"]  # renamed and moved under SNV
    result = import_units("units.csv", csv_bytes(renamed))
    assert result.ok, result.errors
    db.session.commit()
    page = reader.get("/reports?unit=NA").get_data(as_text=True)
    assert "Xã Nghi Lộc Mới" in page
    assert figures(reader, "SNV") == (0, 2)  # its two officials now count under SNV


def test_a_new_required_course_shows_on_the_next_request(reader, courses_dir):
    complete_basics("A1")
    assert figures(reader) == (1, 3)
    write_course(courses_dir, "moi", title="Mới", quiz=False,
                 required_for=[{"audience": "official"}])
    sync_courses(courses_dir)
    db.session.commit()
    assert figures(reader) == (0, 3)
    complete("A1", "moi", date(2026, 4, 1))
    assert figures(reader) == (1, 3)


def test_a_rolled_back_write_changes_nothing_and_keeps_the_kept_report(reader):
    complete_basics("A1")
    assert figures(reader) == (1, 3)
    versions = read_versions()
    db.session.rollback()
    # Written and flushed, never committed: a completion and a bulk update.
    official = db.session.scalar(select(Official).where(Official.employee_code == "B1"))
    official.full_name = "Đổi tên"
    db.session.flush()
    db.session.execute(update(Completion).values(completed_on=date(2000, 1, 1)))
    db.session.rollback()
    assert read_versions() == versions
    with statements() as seen:
        assert figures(reader) == (1, 3)
    assert not any("completions" in s for s in seen)  # the kept report


def test_a_second_request_issues_fewer_statements_and_a_first_no_more_than_before(
        reader, monkeypatch):
    complete_basics("A1")
    figures(reader)  # warm: the session, the unit history
    complete_basics("B1")  # the kept report is out of date: the next one recomputes
    with statements() as first:
        assert figures(reader) == (2, 3)
    with statements() as second:
        assert figures(reader) == (2, 3)
    assert len(second) < len(first)

    # The page as it was before reports were kept (its unit history warm as well).
    monkeypatch.setattr(views, "cached_compliance_report", indicator.compliance_report)
    figures(reader)
    complete("A2", "co-ban", date(2026, 3, 1))
    with statements() as before:
        assert figures(reader) == (2, 3)
    assert len(first) <= len(before)


def test_a_report_computed_inside_an_uncommitted_write_is_not_kept(reader):
    complete_basics("A1")
    official = db.session.scalar(select(Official).where(Official.employee_code == "A1"))
    db.session.execute(update(Completion).where(Completion.user_id == official.user_id)
                       .values(completed_on=date(2000, 1, 1)))
    report = report_cache_module.cached_compliance_report(unit_by_code("NA"),
                                                          date(2026, 6, 30))
    assert report.root.officials_trained == 0  # what this transaction sees...
    db.session.rollback()
    assert figures(reader) == (1, 3)  # ...was never kept for anyone else
    assert not report_cache().kept or all(
        reports[0].root.officials_trained for reports in report_cache().kept.values())


# --- every write to a table the report reads changes the version -----------------------

def _tables_in(statements: list[str]) -> set[str]:
    names = set(db.metadata.tables)
    found = set()
    for statement in statements:
        for name in re.findall(r'\b(?:FROM|JOIN)\s+"?(\w+)"?', statement, re.IGNORECASE):
            if name in names:
                found.add(name)
    return found


def test_the_watched_tables_cover_every_table_the_report_reads(reader):
    """Derived from the report's own SQL: a table the report starts to read without
    being watched (its writes would leave kept reports stale) fails here."""
    complete_basics("A1")
    na = unit_by_code("NA")
    with statements() as seen:
        history = UnitHistory.read()
        for structure in ("as-of", "current"):
            for evidence in (False, True):
                indicator.compliance_reports(na, [date(2026, 6, 30)], "all", structure,
                                             history=history, evidence=evidence)
            indicator.compliance_reports(na, indicator.month_ends(date(2026, 6, 30)), "year",
                                         structure, history=history)
        indicator.compliance_reports(None, [date(2026, 6, 30)], history=history)
    read = _tables_in(seen)
    assert {"official_periods", "completions", "external_trainings", "courses"} <= read
    assert read <= REPORT_TABLES, f"read but not watched: {read - REPORT_TABLES}"
    with statements() as seen:
        UnitHistory.read()
    assert _tables_in(seen) <= UNITS_TABLES


@pytest.mark.parametrize("table", sorted(REPORT_TABLES))
def test_any_write_to_a_watched_table_changes_the_version_when_committed(reader, table):
    before = read_versions()
    db.session.rollback()
    # A write in the SQL text only (as a migration or a hand-written fix would do it);
    # it changes no row, the version changes all the same.
    db.session.execute(text(f"DELETE FROM {table} WHERE 1 = 0"))
    assert read_versions() == before  # not before the commit...
    db.session.commit()
    after = read_versions()
    assert after["reports"] != before["reports"]  # ...but with it
    assert (after["units"] != before["units"]) == (table in UNITS_TABLES)


def test_bulk_writes_change_the_version_and_other_tables_do_not(reader):
    before = read_versions()
    db.session.rollback()
    course_id = db.session.scalar(text("SELECT id FROM courses LIMIT 1"))
    user = make_user("official", email="x@example.vn")
    db.session.commit()
    assert read_versions() == before  # users: not read by the report
    db.session.execute(insert(Completion), [
        {"user_id": user.id, "course_id": course_id, "sequence": 1,
         "completed_on": date(2026, 1, 1), "code": "BULK-1"}])
    db.session.commit()
    assert read_versions()["reports"] != before["reports"]
    assert set(read_versions()) == set(ALL_DOMAINS)


def test_a_frozen_units_page_keeps_its_differences_until_the_data_changes(reader):
    complete_basics("A1")
    response = reader.post("/reports/freeze", data={
        "unit": "X1", "as_of": "2026-06-30", "cycle": "all", "structure": "as-of",
        "csrf_token": re.search(r'name="csrf_token"[^>]*value="([^"]+)"', reader.get(
            "/reports?unit=X1&as_of=2026-06-30").get_data(as_text=True)).group(1)})
    assert response.status_code == 302
    url = "/reports?unit=X1&as_of=2026-06-30"
    with statements() as first:
        assert "trùng với số đã chốt" in reader.get(url).get_data(as_text=True)
    with statements() as second:
        assert "trùng với số đã chốt" in reader.get(url).get_data(as_text=True)
    assert len(second) < len(first)
    assert not any("completions" in s for s in second)  # neither report nor differences
    complete_basics("A2", date(2026, 6, 1))
    changed = reader.get(url).get_data(as_text=True)
    assert "+1 đã bồi dưỡng: hoàn thành trực tuyến ghi nhận sau khi chốt" in changed


def test_a_writer_bypassing_sqlalchemy_bumps_by_hand(reader):
    from lms.reports.versions import bump

    before = read_versions()
    db.session.rollback()
    bump("units")  # e.g. a COPY loader on the session's connection
    db.session.commit()
    after = read_versions()
    # The units are read by the report too: both change.
    assert after["units"] != before["units"] and after["reports"] != before["reports"]
