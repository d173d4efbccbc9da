"""Frozen reports (chốt số liệu) and deterministic exports."""

from __future__ import annotations

import hashlib
import io
import time
from datetime import date

from openpyxl import load_workbook
from sqlalchemy import select

from lms.audit.models import AuditEvent
from lms.extensions import db
from lms.org.logic import unit_by_code
from lms.reports import exports
from lms.reports.frozen import differences, freeze
from lms.reports.indicator import compliance_report, untrained_officials
from lms.reports.models import FrozenReport
from tests.builders import make_user
from tests.conftest import login, post_form
from tests.reports.conftest import complete, complete_basics, roster
from tests.reports.test_history import reroster

D = date(2026, 6, 30)


def export(fmt: str, code: str = "NA", as_of: date = D) -> bytes:
    unit = unit_by_code(code)
    report = compliance_report(unit, as_of)
    file = exports.ReportFile(report, code, unit.name, "UBND TỈNH NGHỆ AN",
                              untrained=lambda: untrained_officials(unit, as_of))
    return exports.FORMATS[fmt].render(file)


def test_the_same_data_gives_byte_identical_exports(courses):
    roster(("A", "X1", False, False, "", ""), ("B", "SNV", False, False, "", ""))
    complete_basics("A")
    first = {fmt: export(fmt) for fmt in exports.FORMATS}
    time.sleep(2.1)  # zip entries carry a time to 2 s: a later export must not differ
    second = {fmt: export(fmt) for fmt in exports.FORMATS}
    assert first == second
    # The XLSX is still the formal report, text as text, with both sheets.
    book = load_workbook(io.BytesIO(first["xlsx"]))
    sheet = book["Báo cáo"]
    assert sheet["A1"].value == "UBND TỈNH NGHỆ AN"
    assert "như tại ngày báo cáo" in sheet["A6"].value or "tại ngày báo cáo" in sheet["A6"].value
    assert sheet["A9"].value == "NA" and sheet["E9"].value == 2 and sheet["F9"].value == 1
    untrained = book["Chưa bồi dưỡng"]
    assert [c.value for c in untrained[2]][:3] == ["B", "Cán bộ B", "SNV"]


def test_freeze_list_get_by_cli_are_byte_identical_after_the_roster_changes(
        courses, runner, tmp_path):
    roster(("A", "X1", False, False, "", ""), ("B", "X1", False, False, "", ""),
           ("C", "X1", False, False, "", ""))
    complete_basics("A")
    result = runner.invoke(args=["report", "freeze", "--unit", "X1", "--as-of", "2026-06-30"])
    assert result.exit_code == 0, result.output
    frozen_id = int(result.stdout.strip().splitlines()[0])
    files = {}
    for fmt in ("csv", "xlsx", "json"):
        target = tmp_path / f"r.{fmt}"
        got = runner.invoke(args=["report", "frozen", "get", str(frozen_id), "--format", fmt,
                                  "-o", str(target)])
        assert got.exit_code == 0, got.output
        files[fmt] = target.read_bytes()
    record = db.session.get(FrozenReport, frozen_id)
    assert hashlib.sha256(files["xlsx"]).hexdigest() == record.xlsx_sha256
    assert b'"officials_trained": 1' in files["json"]

    # Later: a classroom record for B dated before D, C leaves (retroactively), and D joins.
    complete("B", "co-ban", date(2026, 5, 1), external=True)
    complete("B", "an-toan", date(2026, 5, 1), external=True)
    reroster_left = runner.invoke(args=["officials", "import", str(_left_file(tmp_path))])
    assert reroster_left.exit_code == 0, reroster_left.output
    assert reroster([("E", "Cán bộ E", "X1", False, "")], date(2026, 11, 30)).ok

    for fmt in ("csv", "xlsx", "json"):
        target = tmp_path / f"again.{fmt}"
        runner.invoke(args=["report", "frozen", "get", str(frozen_id), "--format", fmt,
                            "-o", str(target)])
        assert target.read_bytes() == files[fmt]  # years later, the same bytes
    # Live: A and B trained; C no longer counted; E (no joining date) counts on D too.
    live = compliance_report(unit_by_code("X1"), D)
    assert (live.root.officials_trained, live.root.officials_total) == (2, 3)
    diff = differences(record)["X1"]
    assert (diff.trained, diff.total) == (1, 0)
    described = "; ".join(diff.describe())
    assert "+1 đã bồi dưỡng: hồ sơ lớp tập huấn bổ sung sau khi chốt" in described
    assert "−1 tổng số: nghỉ việc (ghi nhận sau khi chốt)" in described
    assert "+1 tổng số: bổ sung vào danh sách sau khi chốt" in described
    listing = runner.invoke(args=["report", "frozen", "list", "--unit", "X1"])
    assert f"{frozen_id}\tX1\t2026-06-30\tall\tas-of" in listing.output
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"report.freeze", "report.frozen_download"} <= actions


def _left_file(tmp_path):
    from tests.builders import ROSTER_HEADER, csv_bytes
    path = tmp_path / "left.csv"
    path.write_bytes(csv_bytes([ROSTER_HEADER, ["C", "Cán bộ C", "X1", "công chức", "", "", "",
                                                "", "", "nghỉ việc", "01/06/2026"]]))
    return path


def test_a_newer_freeze_supersedes_without_deleting(courses):
    roster(("A", "X1", False, False, "", ""))
    first = freeze(unit_by_code("X1"), D)
    complete_basics("A")
    second = freeze(unit_by_code("X1"), D)
    db.session.commit()
    assert first.superseded_by_id == second.id and second.superseded_by_id is None
    assert (first.officials_trained, second.officials_trained) == (0, 1)
    assert db.session.scalar(select(FrozenReport).where(FrozenReport.id == first.id))


def test_hr_freezes_from_the_report_page_and_downloads_the_same_file(client, courses):
    roster(("A", "X1", False, False, "", ""), ("B", "X1", False, False, "", ""))
    complete_basics("A")
    make_user("unit_manager", email="hr.x1@example.vn", unit=unit_by_code("X1"))
    login(client, "hr.x1@example.vn")
    page = client.get("/reports?unit=X1&as_of=2026-06-30").get_data(as_text=True)
    assert "Chốt số liệu" in page and "Cơ cấu tổ chức: như tại ngày báo cáo" in page
    response = post_form(client, "/reports/freeze", {
        "unit": "X1", "as_of": "2026-06-30", "cycle": "all", "structure": "as-of"},
        token_from="/reports?unit=X1")
    assert response.status_code == 302
    listing = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "30/06/2026" in listing and "1 / 2" in listing
    record = db.session.scalar(select(FrozenReport))
    download = client.get(f"/reports/frozen/{record.id}.xlsx")
    assert download.data == record.xlsx_data
    assert download.headers["X-Content-SHA256"] == record.xlsx_sha256
    # The live report for that date says it was frozen and that nothing changed since.
    again = client.get("/reports?unit=X1&as_of=2026-06-30").get_data(as_text=True)
    assert "đã được chốt" in again and "trùng với số đã chốt" in again
    complete_basics("B", date(2026, 6, 1))
    changed = client.get("/reports?unit=X1&as_of=2026-06-30").get_data(as_text=True)
    assert "+1 đã bồi dưỡng: hoàn thành trực tuyến ghi nhận sau khi chốt" in changed
