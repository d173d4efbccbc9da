"""The ways one date is read (lms.reports.indicator._one_date_way): a subtree on
PostgreSQL is read "joined" (docs/scaling.md), with its planner settings for that one
statement only. The counts of every way are compared in every test of this folder
(conftest.every_way_agrees); here, a case with many records per official, read each
way with the counts a person would expect."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, text

from lms.extensions import db
from lms.learning.models import ExternalTraining
from lms.org.history import UnitHistory
from lms.org.logic import unit_by_code
from lms.org.models import Official
from lms.reports import indicator
from tests.conftest import statements as recorded
from tests.reports.conftest import D, complete, roster


def review(code: str, status: str) -> None:
    """The reviewer's verdict on the official's one classroom record."""
    record = db.session.scalars(
        select(ExternalTraining).join(Official, Official.id == ExternalTraining.official_id)
        .where(Official.employee_code == code)).one()
    record.status = status
    db.session.commit()


@pytest.mark.parametrize("way", ["probes", "grouped", "joined"])
def test_each_way_counts_an_official_with_many_records_once(courses, way):
    roster(("MANY", "X1", True, False, "", ""), ("REJ", "X1", False, False, "", ""),
           ("OLD", "X1", False, False, "", ""), ("NONE", "X1", False, False, "", ""),
           ("SO", "SNV", False, False, "", ""))
    # MANY (a leader): each required course held, some several times, some only in class.
    complete("MANY", "co-ban", date(2024, 1, 1))
    complete("MANY", "co-ban", date(2026, 1, 1))
    complete("MANY", "co-ban", date(2026, 2, 1), external=True)
    complete("MANY", "an-toan", date(2026, 3, 1), external=True)
    complete("MANY", "an-toan", date(2024, 3, 1), external=True)  # out of its window
    complete("MANY", "lanh-dao", date(2026, 4, 1), external=True)
    complete("MANY", "tu-chon", date(2026, 4, 1))
    # REJ: the security course only through a record the reviewer rejected.
    complete("REJ", "co-ban", date(2026, 1, 1))
    complete("REJ", "an-toan", date(2026, 1, 1), external=True)
    review("REJ", "rejected")
    # OLD: the yearly security course renewed too late (before its 365-day window).
    complete("OLD", "co-ban", date(2026, 1, 1))
    complete("OLD", "an-toan", date(2025, 6, 29))
    complete("OLD", "an-toan", date(2026, 7, 1))  # after D: not yet
    # SO: the security course through a verified classroom record.
    complete("SO", "co-ban", date(2026, 1, 1))
    complete("SO", "an-toan", date(2026, 1, 1), external=True)
    review("SO", "verified")

    history = UnitHistory.load()
    x1, so = unit_by_code("X1").id, unit_by_code("SNV").id
    counts = indicator.unit_counts([D], "all", {x1}, history, way=way)
    assert counts == {x1: [(4, 1, 0)]}  # 4 serving, MANY alone trained
    split = indicator.unit_counts([D], "all", {x1, so}, history, evidence=True, way=way)
    # (total, trained, no requirement, trained on a declared record, on a verified one)
    assert split == {x1: [(4, 1, 0, 1, 0)], so: [(1, 1, 0, 0, 1)]}


@pytest.mark.postgres_only
def test_a_subtree_is_read_joined_and_the_planner_settings_come_back(app, courses):
    roster(("A", "X1", False, False, "", ""))
    complete("A", "co-ban", D)
    complete("A", "an-toan", D)
    assert indicator._one_date_way(False) == "joined"
    assert indicator._one_date_way(True) == "grouped"
    with recorded() as statements:
        report = indicator.compliance_report(unit_by_code("X1"), D)
        # Later statements of the same transaction plan as before.
        settings = db.session.execute(text(
            "SELECT current_setting('enable_hashjoin'), "
            "current_setting('enable_mergejoin')")).one()
    assert (report.root.officials_total, report.root.officials_trained) == (1, 1)
    assert tuple(settings) == ("on", "on")
    assert any("held_rows" in s for s in statements)  # the joined statement ran


@pytest.mark.postgres_only
def test_the_whole_database_is_read_grouped_in_index_order_then_the_settings_come_back(
        app, courses):
    roster(("A", "X1", False, False, "", ""))
    complete("A", "co-ban", D)
    complete("A", "an-toan", D)
    names = ("enable_hashagg", "enable_hashjoin", "max_parallel_workers_per_gather")
    query = text("SELECT " + ", ".join(f"current_setting('{n}')" for n in names))
    before = tuple(db.session.execute(query).one())

    with recorded() as statements:
        report = indicator.compliance_report(None, D)
        during = [s for s in statements if "held_online" in s]
        with indicator._planner_settings("grouped"):
            inside = tuple(db.session.execute(query).one())
        after = tuple(db.session.execute(query).one())
    assert (report.root.officials_total, report.root.officials_trained) == (1, 1)
    assert len(during) == 1  # the grouped statement ran
    assert inside == ("off", "off", "0")
    assert after == before
