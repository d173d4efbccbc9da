"""The indicator, exactly as DESIGN.md defines it, case by case."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from lms.org.logic import unit_by_code
from lms.reports.indicator import compliance_report, percent, untrained_officials
from tests.reports.conftest import D, complete, complete_basics, roster


def trained(code_unit: str = "NA", as_of: date = D, cycle: str = "all") -> tuple[int, int]:
    report = compliance_report(unit_by_code(code_unit), as_of, cycle)
    return report.root.officials_trained, report.root.officials_total


def test_an_official_with_every_required_course_done_is_trained(courses):
    roster(("A", "X1", False, False, "", ""), ("B", "X1", False, False, "", ""))
    complete_basics("A")
    complete("B", "co-ban", date(2026, 3, 1))  # missing the security course
    assert trained() == (1, 2)


def test_optional_courses_do_not_matter(courses):
    roster(("A", "X1", False, False, "", ""))
    complete_basics("A")
    complete("A", "tu-chon", date(2026, 3, 1))
    assert trained() == (1, 1)


def test_left_before_d_is_not_counted_left_after_d_is(courses):
    roster(("GONE", "X1", False, False, "nghỉ việc", "15/06/2026"),
           ("LATER", "X1", False, False, "nghỉ việc", "15/07/2026"),
           ("ON-D", "X1", False, False, "nghỉ việc", "30/06/2026"))
    complete_basics("LATER")
    assert trained() == (1, 1)  # only LATER is active on D (left_on after D)
    assert trained(as_of=date(2026, 6, 14)) == (1, 3)


def test_leaders_also_need_the_leadership_course(courses):
    roster(("LD", "SNV", True, False, "", ""))
    complete_basics("LD")
    assert trained() == (0, 1)
    complete("LD", "lanh-dao", date(2026, 4, 1))
    assert trained() == (1, 1)


def test_it_officers_need_the_it_course_only_at_the_levels_named(courses):
    roster(("IT-SO", "SNV", False, True, "", ""), ("IT-XA", "X1", False, True, "", ""),
           ("IT-PHONG", "SNV-TC", False, True, "", ""))
    for code in ("IT-SO", "IT-XA", "IT-PHONG"):
        complete_basics(code)
    assert trained() == (1, 3)  # the commune's IT officer has no IT-course rule
    complete("IT-SO", "cntt", date(2026, 5, 1))
    complete("IT-PHONG", "cntt", date(2026, 5, 1))
    assert trained() == (3, 3)


def test_valid_days_boundary(courses):
    roster(("A", "X1", False, False, "", ""))
    done = date(2025, 6, 1)
    complete("A", "co-ban", done)
    complete("A", "an-toan", done)  # valid_days: 365
    assert trained(as_of=done + timedelta(days=365)) == (1, 1)  # D = c + valid_days counts
    assert trained(as_of=done + timedelta(days=366)) == (0, 1)
    assert trained(as_of=done - timedelta(days=1)) == (0, 1)  # not before it happened


def test_a_newer_completion_renews_the_refresher(courses):
    roster(("A", "X1", False, False, "", ""))
    complete_basics("A", date(2024, 1, 10))
    assert trained() == (0, 1)
    complete("A", "an-toan", date(2026, 2, 1))
    assert trained() == (1, 1)


def test_external_training_records_count(courses):
    roster(("A", "X1", False, False, "", ""))
    complete("A", "co-ban", date(2026, 2, 1), external=True)
    complete("A", "an-toan", date(2026, 2, 1))
    assert trained() == (1, 1)
    assert trained(as_of=date(2026, 1, 31)) == (0, 1)


def test_year_cycle_counts_only_completions_of_the_year_of_d(courses):
    roster(("A", "X1", False, False, "", ""))
    complete("A", "co-ban", date(2025, 12, 31))
    complete("A", "an-toan", date(2026, 1, 2))
    assert trained() == (1, 1)
    assert trained(cycle="year") == (0, 1)
    complete("A", "co-ban", date(2026, 1, 1))
    assert trained(cycle="year") == (1, 1)


def test_no_required_course_counts_as_not_trained_and_is_reported(app, courses_dir):
    from lms.courses.sync import sync_courses
    from tests.builders import load_units, write_course

    write_course(courses_dir, "tu-chon", quiz=False)  # no rules at all
    sync_courses(courses_dir)
    load_units()
    roster(("A", "X1", False, False, "", ""), ("B", "SNV", False, False, "", ""))
    report = compliance_report(None, D)
    assert (report.root.officials_trained, report.root.officials_total) == (0, 2)
    assert report.no_requirement == 2
    assert [p.employee_code for p in untrained_officials(None, D)] == ["B", "A"]


def test_roll_up_sums_each_subtree(courses):
    roster(("S1", "SNV", False, False, "", ""), ("S2", "SNV-TC", False, False, "", ""),
           ("S3", "SNV-TC", False, False, "", ""), ("X", "X1", False, False, "", ""))
    complete_basics("S2")
    complete_basics("X")
    report = compliance_report(None, D)
    rows = {r.unit_code: r for r in report.rows}
    assert (rows["SNV-TC"].officials_total, rows["SNV-TC"].officials_trained) == (2, 1)
    assert (rows["SNV"].officials_total, rows["SNV"].officials_trained) == (3, 1)
    assert (rows["SNV"].own_total, rows["SNV"].own_trained) == (1, 0)
    assert (rows["NA"].officials_total, rows["NA"].officials_trained) == (4, 2)
    assert rows["X2"].officials_total == 0 and rows["X2"].percent_trained == Decimal("0.0")
    assert rows["NA"].officials_remaining == 2
    assert [r.unit_code for r in report.rows][:3] == ["NA", "SNV", "SNV-TC"]  # tree order
    assert rows["SNV-TC"].parent_code == "SNV" and rows["NA"].parent_code is None


def test_a_units_report_covers_its_subtree_only(courses):
    roster(("S1", "SNV", False, False, "", ""), ("S2", "SNV-TC", False, False, "", ""),
           ("X", "X1", False, False, "", ""))
    report = compliance_report(unit_by_code("SNV"), D)
    assert [r.unit_code for r in report.rows] == ["SNV", "SNV-TC"]
    assert report.root.officials_total == 2
    assert report.root.parent_code == "NA"


@pytest.mark.parametrize(("trained_", "total", "expected"), [
    (1, 8, "12.5"), (1, 6, "16.7"), (2, 3, "66.7"), (1, 16, "6.3"), (1, 3, "33.3"),
    (0, 0, "0.0"), (7, 7, "100.0"), (1, 40, "2.5"), (1, 80, "1.3"),
])
def test_percent_rounds_half_up_to_one_decimal(trained_, total, expected):
    assert percent(trained_, total) == Decimal(expected)


def test_untrained_list_names_missing_courses_due_dates_and_overdue(courses):
    roster(("A", "X1", True, False, "", ""))
    complete("A", "co-ban", date(2026, 2, 1))
    [person] = untrained_officials(None, D)
    assert person.employee_code == "A"
    assert [m.course.slug for m in person.missing] == ["an-toan", "lanh-dao"]
    assert all(m.due_on is None and not m.overdue for m in person.missing)  # no due_days


def test_targets_are_configurable_per_level(app, courses):
    app.config["LMS_TARGET_PERCENT_BY_LEVEL"] = {"commune": 90}
    report = compliance_report(None, D)
    rows = {r.unit_code: r for r in report.rows}
    assert rows["X1"].target_percent == Decimal("90")
    assert rows["SNV"].target_percent == Decimal("100")
