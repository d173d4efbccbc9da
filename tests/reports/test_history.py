"""Reports for past dates stay true: dated unit changes, a dated roster, two views.

DESIGN.md, "Organisation over time": a report for D uses the tree valid on D and
each official's period on D (as-of), or counts the same officials under the
unit that carries their unit of D today (current, restated).
"""

from __future__ import annotations

import io
import json
import re
from datetime import date

import pytest

from lms.extensions import db
from lms.org.changes import import_unit_changes
from lms.org.imports import import_officials
from lms.org.logic import unit_by_code
from lms.reports import exports
from lms.reports.indicator import (
    StructureError,
    compliance_report,
    compliance_reports,
    month_ends,
    untrained_officials,
)
from tests.builders import ROSTER_HEADER, csv_bytes, load_units
from tests.reports.conftest import complete_basics, roster

TODAY = date(2026, 11, 30)
CHANGE_HEADER = ["effective_on", "action", "unit_code", "name", "level", "parent_code",
                 "into_code"]


def change_units(*rows, dry_run: bool = False, today: date = TODAY):
    result = import_unit_changes("thay-doi.csv", csv_bytes([CHANGE_HEADER, *rows]),
                                 dry_run=dry_run, today=today)
    if result.ok and not dry_run:
        db.session.commit()
    else:
        db.session.rollback()
    return result


def reroster(rows, effective: date, today: date = TODAY, **options):
    """Roster rows (code, name, unit, leader, position) effective on a date."""
    data = csv_bytes([ROSTER_HEADER, *[
        [code, name, unit, "công chức", position, "có" if leader else "", "", "", "", "", ""]
        for code, name, unit, leader, position in rows]])
    result = import_officials("roster.csv", data, today=today, effective=effective, **options)
    if result.ok and not options.get("dry_run"):
        db.session.commit()
    else:
        db.session.rollback()
    return result


def figures(code: str, as_of: date, structure: str = "as-of") -> dict[str, tuple[int, int]]:
    report = compliance_report(unit_by_code(code), as_of, structure=structure, today=TODAY)
    return {r.unit_code: (r.officials_trained, r.officials_total) for r in report.rows}


def report_bytes(code: str, as_of: date) -> bytes:
    report = compliance_report(unit_by_code(code), as_of, today=TODAY)
    return json.dumps(exports.report_json(report, code), ensure_ascii=False).encode()


def test_a_report_for_d_is_the_same_after_later_merges_transfers_and_promotions(courses):
    roster(("A", "X1", False, False, "", ""), ("B", "X1", False, False, "", ""),
           ("C", "X2", False, False, "", ""), ("S", "SNV", False, False, "", ""))
    complete_basics("A")
    complete_basics("S")
    d = date(2026, 6, 30)
    before = report_bytes("NA", d)
    before_x1 = report_bytes("X1", d)
    before_list = [(p.employee_code, p.unit_code) for p in untrained_officials(None, d)]

    # After D: X2 merges into X1, B moves to SNV, C becomes a leader (now owes a course).
    assert change_units(["2026-08-01", "sáp nhập", "X2", "", "", "", "X1"]).ok
    assert reroster([("B", "Cán bộ B", "SNV", False, "")], date(2026, 9, 1)).ok
    assert reroster([("C", "Cán bộ C", "X1", True, "Chủ tịch")], date(2026, 9, 15)).ok

    assert report_bytes("NA", d) == before
    assert report_bytes("X1", d) == before_x1
    assert [(p.employee_code, p.unit_code) for p in untrained_officials(None, d)] == before_list
    # ... while today's report shows the changes.
    now = figures("NA", TODAY)
    assert now["X1"] == (1, 2) and "X2" not in now and now["SNV"] == (1, 2)


def test_a_merge_keeps_both_units_on_d_and_one_afterwards_in_both_views(courses):
    roster(("A", "X1", False, False, "", ""), ("B", "X2", False, False, "", ""),
           ("C", "X2", False, False, "", ""))
    complete_basics("A")
    complete_basics("B")
    assert change_units(["2025-07-01", "thành lập", "X9", "Xã Mới", "Xã", "NA", ""],
                        ["2025-07-01", "sáp nhập", "X1", "", "", "", "X9"],
                        ["2025-07-01", "sáp nhập", "X2", "", "", "", "X9"]).ok
    before, after = date(2025, 6, 30), date(2025, 7, 1)
    as_of_before = figures("NA", before)
    assert as_of_before["X1"] == (0, 1) and as_of_before["X2"] == (0, 2)
    assert "X9" not in as_of_before
    # Completions are dated 2026-03-01: nobody is trained yet in 2025.
    as_of_after = figures("NA", after)
    assert as_of_after["X9"] == (0, 3) and "X1" not in as_of_after
    restated_before = figures("NA", before, "current")
    assert restated_before["X9"] == (0, 3) and "X1" not in restated_before
    assert figures("NA", date(2026, 6, 30), "current")["X9"] == (2, 3)
    # The receiving unit says what it absorbed and when.
    row = next(r for r in compliance_report(unit_by_code("X9"), after, today=TODAY).rows)
    assert [(a.unit_code, a.on) for a in row.absorbed] == [("X1", after), ("X2", after)]
    # X9 did not exist before the merge: the as-of view says so, the restated one works.
    with pytest.raises(StructureError, match="01/07/2025"):
        compliance_report(unit_by_code("X9"), before, today=TODAY)
    assert figures("X9", before, "current") == {"X9": (0, 3)}
    # X1 no longer exists today: its own report is only as it was.
    assert figures("X1", before) == {"X1": (0, 1)}


def test_the_2025_reform_districts_abolished_communes_merged(courses):
    load_units([["Mã đơn vị", "Tên đơn vị", "Cấp", "Mã đơn vị cấp trên"],
                ["H1", "Huyện Nghi Lộc", "Huyện", "NA"],
                ["H1-A", "Xã Nghi Hoa", "Xã", "H1"],
                ["H1-B", "Xã Nghi Thuận", "Xã", "H1"],
                ["H1-C", "Xã Nghi Long", "Xã", "H1"]])
    roster(("HQ", "H1", True, False, "", ""), ("A1", "H1-A", False, False, "", ""),
           ("A2", "H1-A", False, False, "", ""), ("B1", "H1-B", False, False, "", ""),
           ("C1", "H1-C", False, False, "", ""))
    for code in ("A1", "B1", "C1"):
        complete_basics(code, date(2025, 3, 1))
    result = change_units(
        ["01/07/2025", "Thành lập", "XNL", "Xã Nghi Lộc", "Xã", "NA", ""],
        ["01/07/2025", "Sáp nhập", "H1-A", "", "", "", "XNL"],
        ["01/07/2025", "Sáp nhập", "H1-B", "", "", "", "XNL"],
        ["01/07/2025", "Chuyển", "H1-C", "", "", "NA", ""],
        ["01/07/2025", "Sáp nhập", "H1", "", "", "", "XNL"],
    )
    assert result.ok, result.errors
    june, july = date(2025, 6, 30), date(2025, 7, 1)
    as_of_june = figures("NA", june)
    assert as_of_june["H1"] == (3, 5)  # the district with its three communes
    assert as_of_june["H1-A"] == (1, 2) and as_of_june["H1-C"] == (1, 1)
    assert "XNL" not in as_of_june
    as_of_july = figures("NA", july)
    assert "H1" not in as_of_july and "H1-A" not in as_of_july
    assert as_of_july["XNL"] == (2, 4)  # A1, A2, B1 and the district's HQ leader
    assert as_of_july["H1-C"] == (1, 1)  # now directly under the province
    assert as_of_july["NA"][1] == as_of_june["NA"][1]  # nobody lost or counted twice
    restated_june = figures("NA", june, "current")
    assert restated_june["XNL"] == (2, 4) and "H1" not in restated_june
    assert restated_june["NA"] == as_of_june["NA"]
    # The restated 12-month trend does not break at the merge.
    series = compliance_reports(unit_by_code("XNL"), month_ends(date(2025, 12, 31)),
                                structure="current", today=TODAY)
    assert [r.root.officials_total for r in series] == [4] * 12
    # The HQ leader is in XNL from July: their leadership course is missing there.
    missing = {p.employee_code: p.unit_code for p in untrained_officials(
        unit_by_code("XNL"), july, today=TODAY)}
    assert missing == {"HQ": "XNL", "A2": "XNL"}
    june_missing = {p.employee_code: p.unit_code for p in untrained_officials(
        unit_by_code("H1"), june, today=TODAY)}
    assert june_missing == {"HQ": "H1", "A2": "H1-A"}


def test_a_promotion_counts_from_its_date_and_is_due_from_it(courses):
    roster(("P", "X1", False, False, "", ""))
    complete_basics("P", date(2026, 3, 1))
    assert reroster([("P", "Cán bộ P", "X1", True, "Phó Chủ tịch")], date(2026, 9, 1),
                    today=date(2026, 9, 1)).ok
    assert figures("X1", date(2026, 8, 31)) == {"X1": (1, 1)}  # not a leader yet
    assert figures("X1", date(2026, 9, 1)) == {"X1": (0, 1)}  # owes the leaders' course
    [person] = untrained_officials(unit_by_code("X1"), date(2026, 9, 30), today=TODAY)
    [missing] = person.missing
    assert missing.course.slug == "lanh-dao"
    # Due dates count from the day it became required, not from the import.
    from lms.learning.models import Requirement
    from lms.org.models import Official
    official = db.session.query(Official).filter_by(employee_code="P").one()
    since = db.session.get(Requirement, (official.id, missing.course.id)).since
    assert since == date(2026, 9, 1)


def test_a_transfer_counts_in_the_old_unit_before_and_the_new_one_after(courses):
    roster(("T", "X1", False, False, "", ""), ("U", "X1", False, False, "", ""))
    complete_basics("T")
    result = reroster([("T", "Cán bộ T", "SNV", False, "")], date(2026, 8, 1))
    assert result.ok, result.errors
    [change] = result.changes
    assert "01/08/2026" in change.describe() and "X1 → SNV" in change.describe()
    assert figures("NA", date(2026, 7, 31))["X1"] == (1, 2)
    after = figures("NA", date(2026, 8, 31))
    assert after["X1"] == (0, 1) and after["SNV"] == (1, 1)
    # Re-importing the same file on the same date changes nothing.
    again = reroster([("T", "Cán bộ T", "SNV", False, "")], date(2026, 8, 1))
    assert again.counts["unchanged"] == 1 and not again.changes


def test_an_official_is_not_counted_before_joining(courses):
    data = csv_bytes([ROSTER_HEADER + ["joined_on"],
                      ["N", "Người mới", "X1", "công chức", "", "", "", "", "", "", "",
                       "15/03/2026"]])
    assert import_officials("r.csv", data, today=TODAY).ok
    db.session.commit()
    assert figures("X1", date(2026, 3, 14)) == {"X1": (0, 0)}
    assert figures("X1", date(2026, 3, 15)) == {"X1": (0, 1)}


def test_a_change_before_the_last_one_needs_correct_and_correct_rewrites(courses):
    roster(("K", "X1", False, False, "", ""))
    assert reroster([("K", "Cán bộ K", "X2", False, "")], date(2026, 9, 1)).ok
    late = reroster([("K", "Cán bộ K", "SNV", False, "")], date(2026, 8, 1))
    assert not late.ok
    assert "01/09/2026" in late.errors[0] and "--correct" in late.errors[0]
    fixed = reroster([("K", "Cán bộ K", "X1", False, "Kế toán")], date(2026, 8, 1),
                     correct=True)
    assert fixed.ok, fixed.errors
    assert figures("NA", date(2026, 8, 15))["X1"] == (0, 1)
    assert figures("NA", date(2026, 9, 15))["X2"] == (0, 1)  # the later period stands


def test_bad_unit_changes_are_refused_with_row_numbers_and_nothing_changes(courses):
    roster(("A", "X1", False, False, "", ""), ("B", "X1", False, False, "", ""))
    result = change_units(
        ["2026-07-01", "giải thể", "X1", "", "", "", ""],
        ["2026-07-01", "sáp nhập", "X2", "", "", "", "XZ"],
        ["2026-07-01", "thành lập", "SNV", "Sở trùng", "Sở", "NA", ""],
        ["2026-07-01", "chuyển", "SNV", "", "", "SNV-TC", ""],
        ["2026-07-01", "đổi tên", "X2", "", "", "", ""],
        ["hôm qua", "đổi tên", "X2", "Xã Hai", "", "", ""],
        ["2026-07-01", "nâng cấp", "X2", "", "", "", ""],
    )
    assert not result.ok
    text = "\n".join(result.errors)
    assert "dòng 2, unit_code: còn 2 cán bộ đang công tác" in text and "sáp nhập" in text
    assert "dòng 3, into_code: không có đơn vị 'XZ'" in text
    assert "dòng 4, unit_code: mã đơn vị SNV đã dùng" in text
    assert "dòng 5, parent_code: tạo thành vòng lặp: SNV → SNV-TC → SNV" in text
    assert "dòng 6, name: bắt buộc khi đổi tên" in text
    assert "dòng 7, effective_on:" in text
    assert "dòng 8, action:" in text and "Sáp nhập" in text
    assert figures("NA", date(2026, 8, 1))["X1"] == (0, 2)  # nothing changed


def test_merges_respect_dates_and_codes_are_never_reused(courses):
    assert change_units(["2026-07-01", "sáp nhập", "X2", "", "", "", "X1"]).ok
    result = change_units(
        ["2026-06-01", "thành lập", "X8", "Xã Tám", "Xã", "X2", ""],  # fine: X2 exists then
        ["2026-08-01", "thành lập", "X7", "Xã Bảy", "Xã", "X2", ""],
        ["2026-08-01", "thành lập", "X2", "Xã Hai mới", "Xã", "NA", ""],
        ["2026-01-01", "sáp nhập", "X8", "", "", "", "X1"],
    )
    errors = "\n".join(result.errors)
    assert "dòng 3, parent_code: đơn vị X2 đã sáp nhập từ ngày 01/07/2026" in errors
    assert "dòng 4, unit_code: mã đơn vị X2 đã dùng" in errors
    assert "dòng 5, unit_code: đơn vị X8 chỉ có từ ngày 01/06/2026" in errors
    # A roster row for a merged unit names its successor.
    bad = reroster([("Z", "Cán bộ Z", "X2", False, "")], TODAY)
    assert "nay thuộc X1" in bad.errors[0]


def test_planned_changes_are_listed_and_take_effect_on_their_day(courses, runner):
    roster(("A", "X2", False, False, "", ""))
    dry = change_units(["2027-01-01", "sáp nhập", "X2", "", "", "", "X1"], dry_run=True)
    assert dry.ok and "(dự kiến)" in dry.changes[0].describe()
    assert change_units(["2027-01-01", "sáp nhập", "X2", "", "", "", "X1"]).ok
    assert unit_by_code("X2").valid_to == date(2026, 12, 31)
    assert figures("NA", TODAY)["X2"] == (0, 1)  # still there today
    from lms.org.models import Official
    official = db.session.query(Official).filter_by(employee_code="A").one()
    assert official.unit.code == "X2"
    result = runner.invoke(args=["units", "refresh", "--today", "2027-01-01"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert official.unit.code == "X1"


def test_the_plain_units_import_still_works_and_renames_from_today(courses):
    roster(("A", "X1", False, False, "", ""))
    load_units([["Mã đơn vị", "Tên đơn vị", "Cấp", "Mã đơn vị cấp trên"],
                ["X1", "Xã Nghi Lộc (mới)", "Xã", "NA"]])
    report = compliance_report(unit_by_code("X1"), date(2020, 1, 1), today=TODAY)
    assert report.root.unit_name == "Xã Nghi Lộc"  # the name it had then
    from lms.util.time import local_today
    assert compliance_report(unit_by_code("X1"), local_today()).root.unit_name == \
        "Xã Nghi Lộc (mới)"


def test_the_admin_previews_and_confirms_a_merge_on_the_web(client, courses):
    from tests.builders import make_user, xlsx_bytes
    from tests.conftest import login, post_form
    roster(("A", "X2", False, False, "", ""))
    make_user("admin", email="quantri@example.vn")
    login(client, "quantri@example.vn")
    rows = [["Ngày hiệu lực", "Thao tác", "Mã đơn vị", "Tên đơn vị", "Cấp",
             "Mã đơn vị cấp trên", "Sáp nhập vào"],
            ["01/07/2025", "Sáp nhập", "X2", "", "", "", "X1"]]
    page = post_form(client, "/imports/unit_changes",
                     {"file": (io.BytesIO(xlsx_bytes(rows)), "sap-nhap.xlsx")},
                     token_from="/imports/unit_changes", content_type="multipart/form-data")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "X2" in text and "01/07/2025" in text
    assert "1 cán bộ" in text  # the preview says who moves
    assert unit_by_code("X2").valid_to is None  # nothing written before confirming
    token = re.search(r'/imports/confirm/([\w-]+)', text).group(1)
    done = post_form(client, f"/imports/confirm/{token}", token_from="/imports/unit_changes")
    assert done.status_code == 302
    db.session.expire_all()
    assert unit_by_code("X2").valid_to == date(2025, 6, 30)
    assert figures("NA", date(2025, 7, 1))["X1"] == (0, 1)
    # Both units' pages tell the story; a planned change is marked as planned.
    assert "Tiếp nhận Xã Con Cuông (X2) từ 01/07/2025" in client.get("/units/X1").get_data(
        as_text=True)
    assert "Sáp nhập vào X1 từ 01/07/2025" in client.get("/units/X2").get_data(as_text=True)
    assert change_units(["2027-01-01", "đổi tên", "X1", "Xã Nghi Lộc mới", "", "", ""]).ok
    page = client.get("/units/X1").get_data(as_text=True)
    assert "Từ 01/01/2027: Xã Nghi Lộc mới" in page and "Dự kiến" in page
