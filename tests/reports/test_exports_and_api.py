"""CSV, XLSX and JSON exports; the JSON API with tokens; the report pages."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from lms.extensions import db
from lms.org.logic import unit_by_code
from lms.org.models import Unit, UnitPeriod
from lms.reports.exports import neutralise
from lms.reports.tokens import create_token, revoke
from tests.builders import make_user
from tests.conftest import login
from tests.reports.conftest import complete_basics, roster


@pytest.fixture
def data(courses):
    roster(("S1", "SNV", False, False, "", ""), ("S2", "SNV-TC", False, False, "", ""),
           ("X", "X1", False, False, "", ""))
    complete_basics("S1")
    complete_basics("X")
    # A unit name a spreadsheet would run as a formula:
    x2 = db.session.scalar(select(Unit).where(Unit.code == "X2"))
    x2.name = "=HYPERLINK(\"http://x\")"
    db.session.execute(update(UnitPeriod).where(UnitPeriod.unit_id == x2.id)
                       .values(name=x2.name))  # the name it has had all along
    db.session.commit()


@pytest.mark.parametrize(("value", "expected"), [
    ("=1+1", "'=1+1"), ("+84", "'+84"), ("-5", "'-5"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("Sở Nội vụ", "Sở Nội vụ"), (12, 12), (None, None),
])
def test_neutralise(value, expected):
    assert neutralise(value) == expected


def test_cli_csv_has_bom_vietnamese_headers_and_no_formula(runner, data, tmp_path):
    target = tmp_path / "r.csv"
    result = runner.invoke(args=["report", "compliance", "--unit", "NA", "--as-of",
                                 "2026-06-30", "--format", "csv", "-o", str(target)])
    assert result.exit_code == 0, result.output
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    # "Cấp" in Vietnamese (post-2025 wording); its stable code last, for machines.
    assert rows[0] == ["Mã đơn vị", "Tên đơn vị", "Cấp", "Mã đơn vị cấp trên", "Tổng số CBCCVC",
                       "Đã bồi dưỡng", "Tỷ lệ (%)", "Chỉ tiêu (%)", "Còn thiếu", "Mã cấp"]
    assert rows[1] == ["NA", "Tỉnh Nghệ An", "Tỉnh", "", "3", "2", "66.7", "100", "1",
                       "province"]
    assert ["X2", "'=HYPERLINK(\"http://x\")", "Xã, phường, đặc khu", "NA", "0", "0", "0.0",
            "100", "0", "commune"] in rows
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_cli_xlsx_is_a_formal_report_with_typed_cells(runner, data, tmp_path):
    target = tmp_path / "r.xlsx"
    result = runner.invoke(args=["report", "compliance", "--unit", "NA", "--as-of",
                                 "2026-06-30", "--format", "xlsx", "-o", str(target)])
    assert result.exit_code == 0, result.output
    book = load_workbook(target)
    sheet = book["Báo cáo"]
    texts = [c.value for row in sheet.iter_rows(max_row=7) for c in row if c.value]
    assert "UBND TỈNH NGHỆ AN" in texts
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in texts
    assert "Độc lập - Tự do - Hạnh phúc" in texts
    assert any("BÁO CÁO KẾT QUẢ BỒI DƯỠNG" in t for t in texts)
    assert any("30/06/2026" in t for t in texts)
    assert sheet.freeze_panes == "A9"
    assert [c.value for c in sheet[8]][:3] == ["Mã đơn vị", "Tên đơn vị", "Cấp"]
    first = [c for c in sheet[9]]
    assert first[0].value == "NA" and first[4].value == 3 and first[5].value == 2
    assert first[6].value == pytest.approx(0.667) and first[6].number_format == "0.0%"
    formula_like = next(r for r in sheet.iter_rows(min_row=9) if r[0].value == "X2")
    assert formula_like[1].data_type == "s" and formula_like[1].value.strip().startswith("=")
    totals = next(r for r in sheet.iter_rows(min_row=9) if r[0].value == "Tổng cộng")
    assert (totals[4].value, totals[5].value, totals[8].value) == (3, 2, 1)
    assert sheet.column_dimensions["B"].width >= 30
    people = book["Chưa bồi dưỡng"]
    assert people.freeze_panes == "A2"
    rows = [[c.value for c in r] for r in people.iter_rows(min_row=2)]
    # One row per missing course.
    assert [(r[0], r[5]) for r in rows] == [("S2", "An toàn"), ("S2", "Cơ bản")]


def test_cli_rejects_bad_dates_and_units(runner, data, tmp_path):
    bad = runner.invoke(args=["report", "compliance", "--unit", "NA", "--as-of", "30/06/2026",
                              "--format", "json", "-o", str(tmp_path / "x.json")])
    assert bad.exit_code == 1 and "YYYY-MM-DD" in bad.output
    unknown = runner.invoke(args=["report", "compliance", "--unit", "NOPE", "--format", "json",
                                  "-o", str(tmp_path / "x.json")])
    assert unknown.exit_code == 1 and "unknown unit" in unknown.output


def api(client, token, **params):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get("/api/v1/reports/compliance", query_string=params, headers=headers)


def test_api_returns_the_subtree_rows_for_its_token(client, data):
    _record, token = create_token(unit_by_code("SNV"), "Hệ thống báo cáo")
    db.session.commit()
    response = api(client, token, unit="SNV", as_of="2026-06-30")
    assert response.status_code == 200
    body = response.get_json()
    assert body["as_of"] == "2026-06-30" and body["unit"] == "SNV"
    assert [r["unit_code"] for r in body["rows"]] == ["SNV", "SNV-TC"]
    assert body["rows"][0] == {
        "unit_code": "SNV", "unit_name": "Sở Nội vụ", "level": "department",
        "parent_code": "NA", "officials_total": 2, "officials_trained": 1,
        "percent_trained": 50.0, "target_percent": 100.0, "officials_remaining": 1,
        "absorbed": [], "level_name": "Sở, ban, ngành"}
    # Without ?unit the token's own unit is reported.
    assert api(client, token).get_json()["unit"] == "SNV"
    assert api(client, token, cycle="year", as_of="2026-06-30").get_json()["cycle"] == "year"


@pytest.mark.parametrize(("params", "status", "words"), [
    ({"unit": "SNV", "as_of": "30-06-2026"}, 400, "YYYY-MM-DD"),
    ({"unit": "SNV", "cycle": "month"}, 400, "cycle"),
    ({"unit": "KHONG"}, 404, "unknown unit"),
    # Dates near year 1 or 9999 overflowed the validity windows and due dates (a 500).
    ({"unit": "SNV", "as_of": "0001-01-01"}, 400, "between 1900-01-01 and 2999-12-31"),
    ({"unit": "SNV", "as_of": "9999-12-31"}, 400, "between"),
    # PostgreSQL refuses NUL in text; the request is refused before any query.
    ({"unit": "SNV\x00"}, 400, "malformed"),
    # Out of the token's scope answers exactly as an unknown unit (penetration test 2026-11:
    # a 403 told the token holder that the code exists).
    ({"unit": "X1"}, 404, "unknown unit 'X1'"),
    ({"unit": "NA"}, 404, "unknown unit 'NA'"),
    ({"unit": "SNV", "structure": "then"}, 400, "structure must be one of"),
])
def test_api_errors_are_json_with_a_clear_message(client, data, params, status, words):
    _record, token = create_token(unit_by_code("SNV"), "Hệ thống báo cáo")
    db.session.commit()
    response = api(client, token, **params)
    assert response.status_code == status
    assert response.is_json and words in response.get_json()["error"]


def test_api_refuses_missing_unknown_and_revoked_tokens(client, data):
    record, token = create_token(unit_by_code("NA"), "Tỉnh")
    db.session.commit()
    assert api(client, None).status_code == 401
    assert api(client, "lms_not-a-token").status_code == 401
    assert api(client, token).status_code == 200
    assert record.last_used_at is not None
    revoke(record.id)
    db.session.commit()
    refused = api(client, token)
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")


def test_tokens_cli_create_list_revoke(runner, data):
    created = runner.invoke(args=["tokens", "create", "--unit", "NA", "--name", "Báo cáo tỉnh"])
    assert created.exit_code == 0, created.output
    token = created.output.strip().splitlines()[-1]
    assert token.startswith("lms_")
    listed = runner.invoke(args=["tokens", "list"]).output
    assert "Báo cáo tỉnh" in listed and token not in listed
    runner.invoke(args=["tokens", "revoke", "1"])
    assert "revoked" in runner.invoke(args=["tokens", "list"]).output


def test_report_pages_are_scoped_like_the_exports(app, data):
    make_user("unit_manager", email="hr@snv.vn", unit=unit_by_code("SNV"))
    make_user("admin", email="admin@example.vn")
    make_user("citizen", email="dan@example.vn")
    hr = app.test_client()
    login(hr, "hr@snv.vn")
    page = hr.get("/reports?as_of=2026-06-30").get_data(as_text=True)
    assert "Sở Nội vụ" in page and "50,0%" in page and "Xã Nghi Lộc" not in page
    assert hr.get("/reports?unit=X1").status_code == 404
    assert hr.get("/reports/export.csv?unit=NA").status_code == 404
    assert hr.get("/reports?as_of=hom-qua").status_code == 400
    untrained = hr.get("/reports/untrained?as_of=2026-06-30").get_data(as_text=True)
    assert "Cán bộ S2" in untrained and "Cán bộ X" not in untrained
    listing = hr.get("/reports/untrained.csv?as_of=2026-06-30").get_data(as_text=True)
    assert listing.startswith("\ufeffMã cán bộ,Họ và tên") and "S2,Cán bộ S2" in listing
    assert "Cán bộ X" not in listing
    exported = hr.get("/reports/export.json?as_of=2026-06-30")
    assert json.loads(exported.data)["unit"] == "SNV"
    assert hr.get("/reports/trend.svg").mimetype == "image/svg+xml"
    citizen = app.test_client()
    login(citizen, "dan@example.vn")
    assert citizen.get("/reports").status_code == 403
    admin = app.test_client()
    login(admin, "admin@example.vn")
    page = admin.get("/reports?as_of=2026-06-30").get_data(as_text=True)
    assert "Tỉnh Nghệ An" in page and "66,7%" in page


@pytest.mark.parametrize("url", [
    "/reports?as_of=0001-01-01", "/reports/trend.svg?as_of=0001-06-30",
    "/reports/export.xlsx?as_of=0001-01-01", "/reports/untrained?as_of=0001-03-01",
    "/reports?unit=SNV%00",
])
def test_report_pages_refuse_dates_that_overflow_and_nul(app, data, url):
    """Found by fuzzing (tests/test_fuzz.py): these were 500s (NUL: on PostgreSQL)."""
    make_user("admin", email="admin@example.vn")
    admin = app.test_client()
    login(admin, "admin@example.vn")
    assert admin.get(url).status_code == 400


def test_untrained_page_past_the_end_shows_the_last_page(app, data):
    """?page=10**30 made an OFFSET no database integer holds (a 500, found by fuzzing)."""
    make_user("admin", email="admin@example.vn")
    admin = app.test_client()
    login(admin, "admin@example.vn")
    page = admin.get("/reports/untrained?as_of=2026-06-30&page=" + "9" * 30)
    assert page.status_code == 200 and "Cán bộ S2" in page.get_data(as_text=True)


def test_learner_statistics_and_the_ecommerce_figure(app, courses_dir, data):
    from lms.courses.sync import sync_courses
    from lms.learning.logic import mark_lesson_done, record_completion
    from tests.builders import write_course

    write_course(courses_dir, "tmdt", title="Thương mại điện tử", quiz=False,
                 audiences=["business"], tags=["thuong-mai-dien-tu"])
    sync_courses(courses_dir)
    from lms.courses.logic import published_course_or_404

    course = published_course_or_404("tmdt")
    shop = make_user("business", email="shop@example.vn", unit=unit_by_code("X1"))
    coop = make_user("business", email="htx@example.vn", unit=unit_by_code("X2"))
    citizen = make_user("citizen", email="dan@example.vn", unit=unit_by_code("X1"))
    mark_lesson_done(shop, course.active_lessons[0])  # reading is not yet a participation
    for lesson in course.active_lessons:
        mark_lesson_done(coop, lesson)  # finishes (no quiz): participates and completes
    record_completion(citizen, course, on=date(2026, 5, 1))
    db.session.commit()
    make_user("admin", email="admin@example.vn")
    admin = app.test_client()
    login(admin, "admin@example.vn")
    page = admin.get("/reports/learners").get_data(as_text=True)
    assert page.count('<span class="kpi-value">1</span>') == 2  # one took part and finished
    assert "Xã Nghi Lộc</td><td class=\"num\">1</td><td class=\"num\">0</td>" in page


def test_untrained_sheet_keeps_formula_like_names_as_text(runner, courses, tmp_path):
    from lms.org.models import Official

    roster(("EVIL", "X1", False, False, "", ""))
    official = db.session.scalar(select(Official).where(Official.employee_code == "EVIL"))
    official.full_name = "=cmd|' /C calc'!A0 & <b>\x07"
    db.session.commit()
    target = tmp_path / "r.xlsx"
    result = runner.invoke(args=["report", "compliance", "--unit", "NA", "--as-of",
                                 "2026-06-30", "--format", "xlsx", "-o", str(target)])
    assert result.exit_code == 0, result.output
    people = load_workbook(target)["Chưa bồi dưỡng"]
    name = people["B2"]
    assert name.value == "=cmd|' /C calc'!A0 & <b>" and name.data_type == "s"
    from python_calamine import CalamineWorkbook

    rows = list(CalamineWorkbook.from_path(str(target)).get_sheet_by_name(
        "Chưa bồi dưỡng").iter_rows())
    assert rows[1][0] == "EVIL"
