"""The province's review (issue 18, point 5): approve or reject a whole class or one
record, each decision audited with the records it touched; the status decides what
counts (declared as configured, verified always, rejected never); evidence scans."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from sqlalchemy import select

from lms.audit.models import AuditEvent
from lms.auth.logic import find_by_identifier
from lms.extensions import db
from lms.org.logic import unit_by_code
from lms.reports.indicator import compliance_report, compliance_reports, untrained_officials
from lms.review.logic import ReviewError, decide_class, decide_record
from tests.conftest import csrf_token, login, post_form
from tests.reports.conftest import D
from tests.review.conftest import (
    CLASS_A,
    CLASS_B,
    PDF,
    PNG,
    class_by,
    import_training,
    record_of,
    training_row,
)


def x1_trained(as_of: date = D) -> int:
    db.session.expire_all()
    return compliance_report(unit_by_code("X1"), as_of).root.officials_trained


def trend_trained() -> int:
    """The same figure from the multi-date path (the 12-month trend's flags)."""
    db.session.expire_all()
    reports = compliance_reports(unit_by_code("X1"), [date(2026, 5, 31), D])
    return reports[-1].root.officials_trained


def last_event(action: str) -> dict:
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == action)
                              .order_by(AuditEvent.id.desc()))
    return {"target": event.target, "unit": event.unit_id, **json.loads(event.detail)}


# --- decisions ---------------------------------------------------------------------------


def test_a_whole_class_is_verified_in_one_decision_listing_its_records(commune, reviewer):
    decide_record(record_of("X1-06"), "rejected", reviewer, "Không có tên trong danh sách")
    changed = decide_class(class_by(CLASS_A), "verified", reviewer)
    db.session.commit()
    assert changed == 3  # the declared ones; the earlier rejection stays
    assert [record_of(f"X1-{n:02d}").status for n in (5, 6, 7, 8)] == [
        "verified", "rejected", "verified", "verified"]
    assert record_of("X1-09").status == "declared"  # another class
    assert record_of("X1-05").reviewed_by_id == reviewer.id
    event = last_event("training.verify")
    assert event["count"] == 3 and event["class"] == class_by(CLASS_A).id
    assert event["records"] == {"co-ban": {"2026-05-15": ["X1-05", "X1-07", "X1-08"]}}
    assert event["unit"] == unit_by_code("X1").id and CLASS_A in event["target"]


def test_rejecting_needs_a_reason_and_records_it(commune, reviewer):
    with pytest.raises(ReviewError):
        decide_class(class_by(CLASS_B), "rejected", reviewer, "   ")
    assert decide_class(class_by(CLASS_B), "rejected", reviewer,
                        "Không có quyết định mở lớp") == 2
    db.session.commit()
    record = record_of("X1-09")
    assert (record.status, record.review_note) == ("rejected", "Không có quyết định mở lớp")
    event = last_event("training.reject")
    assert event["reason"] == "Không có quyết định mở lớp" and event["count"] == 2
    # One record can change its decision later; the audit says what it was.
    assert decide_record(record, "verified", reviewer) == 1
    db.session.commit()
    assert record_of("X1-09").status == "verified"
    assert last_event("training.verify")["previous"] == "rejected"


# --- what counts --------------------------------------------------------------------------


def test_declared_records_count_by_default_and_rejected_never(commune, reviewer):
    assert x1_trained() == trend_trained() == 10  # 4 online + 6 declared
    decide_class(class_by(CLASS_B), "rejected", reviewer, "Không có quyết định mở lớp")
    decide_record(record_of("X1-05"), "rejected", reviewer, "Không có tên trong danh sách")
    db.session.commit()
    assert x1_trained() == trend_trained() == 7
    untrained = {p.employee_code for p in untrained_officials(unit_by_code("X1"), D)}
    assert untrained == {"X1-05", "X1-09", "X1-10"}


@pytest.mark.parametrize("app_settings", [{"LMS_COUNT_DECLARED_TRAINING": False}])
def test_with_the_setting_off_only_verified_records_count(commune, reviewer, app_settings):
    assert x1_trained() == trend_trained() == 4  # online only
    assert {p.employee_code for p in untrained_officials(unit_by_code("X1"), D)} == {
        f"X1-{n:02d}" for n in range(5, 11)}
    decide_class(class_by(CLASS_A), "verified", reviewer)
    decide_record(record_of("X1-08"), "rejected", reviewer, "Trùng người")
    db.session.commit()
    assert x1_trained() == trend_trained() == 7
    x1 = compliance_report(unit_by_code("X1"), D, evidence=True).root
    assert (x1.trained_verified, x1.trained_declared, x1.trained_online) == (3, 0, 4)


def test_the_shares_say_what_trained_officials_rest_on(commune, reviewer):
    decide_class(class_by(CLASS_A), "verified", reviewer)
    db.session.commit()
    # X1-05 also learned the basic course online: that course no longer rests on a record.
    from tests.reports.conftest import complete

    complete("X1-05", "co-ban", date(2026, 4, 1))
    report = compliance_report(None, D, evidence=True)
    rows = {row.unit_code: row for row in report.rows}
    x1, province = rows["X1"], rows["NA"]
    assert (x1.officials_trained, x1.trained_verified, x1.trained_declared,
            x1.trained_online) == (10, 3, 2, 5)
    assert x1.declared_percent == 20 and not x1.declared_warning
    assert (province.officials_trained, province.trained_verified, province.trained_declared,
            province.trained_online) == (11, 3, 2, 6)
    assert rows["SNV"].trained_declared == 0 and rows["SNV"].trained_online == 1
    assert compliance_report(None, D).root.trained_declared is None  # asked for only
    data = report.rows[0].as_json()
    assert data["trained_declared"] == 2 and data["declared_percent"] == pytest.approx(18.2)


# --- the pages ------------------------------------------------------------------------------


def test_the_report_page_and_xlsx_show_the_split_with_a_warning_above_30_percent(
        client, commune, reviewer, admin):
    from openpyxl import load_workbook

    assert login(client, "admin@example.vn").status_code == 302
    page = client.get("/reports?unit=X1").get_data(as_text=True)
    # 6 of 10 trained rest on declared records: 60 %.
    assert "6 tự khai" in page and "4 trực tuyến" in page and "0 xác minh" in page
    assert "tự khai 60,0%" in page and 'id="declared-warning"' in page
    book = load_workbook(io.BytesIO(client.get("/reports/export.xlsx?unit=X1").data))
    sheet = book["Báo cáo"]
    header = [c.value for c in sheet[8]]
    assert header[9:14] == ["Trong đó: dựa trên hồ sơ đã xác minh",
                            "Trong đó: dựa trên hồ sơ tự khai", "Trong đó: chỉ học trực tuyến",
                            "Tỷ lệ dựa trên hồ sơ tự khai (%)", "Ghi chú"]
    x1 = next(r for r in sheet.iter_rows(min_row=9, values_only=True) if r[0] == "X1")
    assert x1[4:6] == (10, 10) and x1[9:12] == (0, 6, 4)
    assert x1[12] == pytest.approx(0.6)
    texts = [r[0] for r in sheet.iter_rows(min_row=9, values_only=True) if r[0]]
    assert any(t.startswith("Cảnh báo: 1 đơn vị có trên 30%") for t in texts)
    # The CSV keeps DESIGN's columns (and the level's code last); the JSON rows gain the split.
    csv_header = client.get("/reports/export.csv?unit=X1").data.decode("utf-8-sig").split("\r\n")[0]
    assert csv_header == ("Mã đơn vị,Tên đơn vị,Cấp,Mã đơn vị cấp trên,Tổng số CBCCVC,"
                          "Đã bồi dưỡng,Tỷ lệ (%),Chỉ tiêu (%),Còn thiếu,Mã cấp")
    rows = client.get("/reports/export.json?unit=X1").get_json()["rows"]
    assert rows[0]["trained_declared"] == 6 and rows[0]["declared_percent"] == 60.0

    decide_class(class_by(CLASS_A), "verified", reviewer)
    db.session.commit()
    page = client.get("/reports?unit=X1").get_data(as_text=True)
    assert "4 xác minh" in page and "2 tự khai" in page and 'id="declared-warning"' not in page
    book = load_workbook(io.BytesIO(client.get("/reports/export.xlsx?unit=X1").data))
    x1 = next(r for r in book["Báo cáo"].iter_rows(min_row=9, values_only=True)
              if r[0] == "X1")
    assert x1[9:13] == (4, 2, 4, pytest.approx(0.2))


def test_the_reviewer_works_the_queue_in_the_browser_forms(client, commune, reviewer):
    assert login(client, "duyet@tinh.example").status_code == 302
    queue = client.get("/review").get_data(as_text=True)
    assert CLASS_A in queue and CLASS_B in queue and "Xã Nghi Lộc" in queue
    class_page = f"/review/classes/{class_by(CLASS_A).id}"
    assert "X1-05" in client.get(class_page).get_data(as_text=True)
    # Rejecting without a reason changes nothing and says why.
    response = post_form(client, f"{class_page}/reject", {"reason": ""}, token_from=class_page)
    assert response.status_code == 302 and record_of("X1-05").status == "declared"
    assert "Hãy ghi lý do" in client.get(class_page).get_data(as_text=True)
    record = record_of("X1-06")
    post_form(client, f"/review/records/{record.id}/reject",
              {"reason": "Không có tên trong danh sách", "next": class_page},
              token_from=class_page)
    post_form(client, f"{class_page}/verify", token_from=class_page)
    assert [record_of(f"X1-{n:02d}").status for n in (5, 6, 7, 8)] == [
        "verified", "rejected", "verified", "verified"]
    assert "Đã xác minh 3 hồ sơ" in client.get(class_page).get_data(as_text=True)
    # The report the reviewer may read: the province's figures, no list of people.
    report = client.get("/reports?unit=X1").get_data(as_text=True)
    assert "3 xác minh" in report and "/reports/untrained" not in report
    assert "export.xlsx" not in report


def test_a_province_reviewer_sees_nothing_of_hr_pages(client, commune, reviewer):
    login(client, "duyet@tinh.example")
    for path in ("/units", "/units/X1", "/imports/training", "/classes",
                 f"/classes/{class_by(CLASS_A).id}", "/reports/untrained",
                 "/reports/untrained.csv", "/reports/export.xlsx", "/reports/export.csv",
                 "/reports/frozen", "/reports/learners", "/admin/audit"):
        assert client.get(path).status_code == 403, path
    assert client.get("/review").status_code == 200


def test_users_grant_makes_a_province_reviewer(runner, commune):
    from tests.builders import make_user

    make_user("official", email="kiemtra@tinh.example")
    result = runner.invoke(args=["users", "grant", "kiemtra@tinh.example",
                                 "province_reviewer"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    user = find_by_identifier("kiemtra@tinh.example")
    assert user.role == "province_reviewer" and user.unit_id is None and user.can_review


# --- evidence --------------------------------------------------------------------------------


def _declare_as(client, hr_email: str, reference: str) -> None:
    from tests.builders import csv_bytes
    from tests.review.conftest import TRAINING_HEADER

    login(client, hr_email)
    data = csv_bytes([TRAINING_HEADER, training_row("X1-01", reference=reference,
                                                    slug="an-toan", on="14/05/2026")])
    text = client.post("/imports/training", data={
        "csrf_token": csrf_token(client, "/imports/training"),
        "file": (io.BytesIO(data), "lop.csv")},
        content_type="multipart/form-data").get_data(as_text=True)
    token = text.split("/imports/confirm/")[1].split('"')[0]
    client.post(f"/imports/confirm/{token}",
                data={"csrf_token": csrf_token(client, "/imports/training")})


def upload(client, class_id: int, data: bytes, name: str):
    page = f"/classes/{class_id}"
    return client.post(f"{page}/evidence", data={
        "csrf_token": csrf_token(client, page), "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data")


@pytest.mark.parametrize("app_settings", [{"LMS_EVIDENCE_MAX_BYTES": 4096}])
def test_the_declaring_hr_officer_attaches_a_scan_checked_by_content(
        app, client, commune, hr_x1, reviewer, app_settings):
    _declare_as(client, "tochuc@x1.example", "QĐ 88/UBND")
    training_class = class_by("QĐ 88/UBND")
    assert f"/classes/{training_class.id}" in client.get("/classes").get_data(as_text=True)
    # An HTML page named .pdf, and a scan over the limit, are refused.
    refused = upload(client, training_class.id, b"<html><script>alert(1)</script>", "qd.pdf")
    assert refused.status_code == 400
    assert "Chỉ nhận bản quét dạng PDF, PNG hoặc JPEG" in refused.get_data(as_text=True)
    too_big = upload(client, training_class.id, PDF + b"0" * 5000, "qd.pdf")
    assert too_big.status_code == 400 and "quá giới hạn" in too_big.get_data(as_text=True)
    huge = upload(client, training_class.id, PDF + b"0" * 200_000, "qd.pdf")
    assert huge.status_code == 413
    assert class_by("QĐ 88/UBND").evidence_sha256 is None
    assert upload(client, training_class.id, PDF, "quyet-dinh.pdf").status_code == 302
    stored = class_by("QĐ 88/UBND")
    assert (stored.evidence_mimetype, stored.evidence_filename) == ("application/pdf",
                                                                    "quyet-dinh.pdf")
    assert last_event("training.evidence")["size"] == len(PDF)

    # The reviewer reads it; a verified class whose scan is replaced is reviewed again.
    reviewing = app.test_client()
    login(reviewing, "duyet@tinh.example")
    served = reviewing.get(f"/classes/{stored.id}/evidence")
    assert served.status_code == 200 and served.data == PDF
    assert served.mimetype == "application/pdf"
    assert served.headers["Content-Disposition"].startswith("attachment")
    decide_class(stored, "verified", reviewer)
    db.session.commit()
    assert upload(client, stored.id, PNG, "danh-sach").status_code == 302
    assert class_by("QĐ 88/UBND").evidence_filename == "danh-sach.png"
    assert record_of("X1-01", "an-toan").status == "declared"
    assert last_event("training.evidence")["back_to_declared"] == 1


def test_only_the_declaring_officer_or_an_admin_attaches_and_others_do_not_see(
        app, client, commune, hr_x1, admin):
    from tests.builders import make_user

    _declare_as(client, "tochuc@x1.example", "QĐ 99/UBND")
    training_class = class_by("QĐ 99/UBND")
    other_x1 = make_user("unit_manager", email="tochuc2@x1.example", unit=unit_by_code("X1"))
    snv = make_user("unit_manager", email="tochuc@snv.example", unit=unit_by_code("SNV"))
    colleague = app.test_client()
    login(colleague, other_x1.email)
    assert colleague.get(f"/classes/{training_class.id}").status_code == 200  # same unit
    assert "Chỉ cán bộ tổ chức đã khai lớp này" in colleague.get(
        f"/classes/{training_class.id}").get_data(as_text=True)
    page = f"/classes/{training_class.id}"
    assert colleague.post(f"{page}/evidence", data={
        "csrf_token": csrf_token(colleague, page), "file": (io.BytesIO(PDF), "x.pdf")},
        content_type="multipart/form-data").status_code == 403
    stranger = app.test_client()
    login(stranger, snv.email)
    assert stranger.get(page).status_code == 404
    assert stranger.get(f"{page}/evidence").status_code == 404
    assert "QĐ 99/UBND" not in stranger.get("/classes").get_data(as_text=True)
    administrator = app.test_client()
    login(administrator, "admin@example.vn")
    assert upload(administrator, training_class.id, PDF, "qd.pdf").status_code == 302
    assert CLASS_A in administrator.get("/classes").get_data(as_text=True)


def test_hr_reads_the_provinces_decisions_on_its_own_records(client, commune, reviewer, hr_x1):
    import_training([training_row("X1-01", slug="an-toan", on="14/05/2026", reference="",
                                  organiser="", start="", end=""),
                     training_row("SNV-01", slug="an-toan", on="14/05/2026", reference="",
                                  organiser="", start="", end="")])
    decide_record(record_of("X1-01", "an-toan"), "rejected", reviewer, "Không có danh sách")
    decide_class(class_by(CLASS_B), "rejected", reviewer, "Thiếu quyết định mở lớp")
    db.session.commit()
    login(client, "tochuc@x1.example")
    loose = client.get("/classes/records").get_data(as_text=True)
    assert "X1-01" in loose and "Lý do: Không có danh sách" in loose
    assert "SNV-01" not in loose  # another unit's
    in_class = client.get(f"/classes/{class_by(CLASS_B).id}").get_data(as_text=True)
    assert "Lý do: Thiếu quyết định mở lớp" in in_class and "X1-09" in in_class


def test_a_freeze_keeps_the_split_and_names_a_later_rejection(commune, reviewer):
    from openpyxl import load_workbook

    from lms.reports.frozen import differences, freeze

    record = freeze(unit_by_code("X1"), D)
    db.session.commit()
    book = load_workbook(io.BytesIO(record.xlsx_data))
    x1 = next(r for r in book["Báo cáo"].iter_rows(min_row=9, values_only=True)
              if r[0] == "X1")
    assert x1[9:12] == (0, 6, 4)
    assert json.loads(record.json_data)["rows"][0]["trained_declared"] == 6
    decide_class(class_by(CLASS_B), "rejected", reviewer, "Không có quyết định mở lớp")
    db.session.commit()
    [reason] = differences(record)["X1"].describe()
    assert reason == "−2 đã bồi dưỡng: hồ sơ lớp tập huấn bị tỉnh từ chối sau khi chốt"
