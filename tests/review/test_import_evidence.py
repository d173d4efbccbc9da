"""The training import with its evidence columns (issue 18, point 5): classes found or
created by reference and organiser, every created or changed record declared, the
same file twice changes nothing, and the audit event lists every record."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import func, select

from lms.audit.models import AuditEvent
from lms.extensions import db
from lms.learning.models import ExternalTraining, TrainingClass
from lms.review.logic import decide_record
from tests.review.conftest import (
    CLASS_A,
    CLASS_B,
    ORGANISER,
    class_by,
    import_training,
    record_of,
    training_row,
)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def snapshot() -> list[tuple]:
    db.session.expire_all()
    return db.session.execute(select(
        ExternalTraining.id, ExternalTraining.source, ExternalTraining.training_class_id,
        ExternalTraining.status, ExternalTraining.reviewed_at, ExternalTraining.imported_at)
        .order_by(ExternalTraining.id)).all()


def test_rows_with_class_columns_find_or_create_their_class(commune):
    a, b = class_by(CLASS_A), class_by(CLASS_B)
    assert (a.organiser, a.starts_on, a.ends_on) == (ORGANISER, date(2026, 5, 12),
                                                      date(2026, 5, 15))
    assert (b.starts_on, b.ends_on) == (None, None)
    assert count(TrainingClass) == 2
    assert record_of("X1-05").training_class_id == a.id
    assert record_of("X1-09").training_class_id == b.id
    assert {r.status for r in db.session.scalars(select(ExternalTraining))} == {"declared"}
    # Another file naming the same class (spaces differ) joins it, and gives B its dates.
    result = import_training([training_row("SNV-01", reference=" 125/QĐ-SKHCN ",
                                           organiser="Sở Khoa học  và Công nghệ"),
                              training_row("X1-10", slug="an-toan", reference=CLASS_B,
                                           on="20/05/2026", start="18/05/2026",
                                           end="20/05/2026")])
    assert result.ok, result.errors
    assert count(TrainingClass) == 2
    assert record_of("SNV-01").training_class_id == a.id
    assert (class_by(CLASS_B).starts_on, class_by(CLASS_B).ends_on) == (date(2026, 5, 18),
                                                                        date(2026, 5, 20))


def test_the_same_file_twice_changes_nothing_not_even_a_verification(commune, reviewer):
    decide_record(record_of("X1-05"), "verified", reviewer)
    decide_record(record_of("X1-06"), "rejected", reviewer, "Không có tên trong danh sách")
    db.session.commit()
    before, events = snapshot(), count(AuditEvent)
    rows = ([training_row(f"X1-{n:02d}") for n in range(5, 9)]
            + [training_row(f"X1-{n:02d}", reference=CLASS_B, start="", end="", on="20/05/2026")
               for n in (9, 10)])
    preview = import_training(rows, dry_run=True)
    assert preview.ok and preview.changes == [] and preview.counts["unchanged"] == 6
    result = import_training(rows)
    assert result.counts["unchanged"] == 6 and result.counts["classes_created"] == 0
    assert snapshot() == before
    assert count(TrainingClass) == 2
    assert count(AuditEvent) == events + 1  # the import itself, listing its rows
    assert record_of("X1-05").status == "verified"
    assert record_of("X1-06").status == "rejected"


def test_a_changed_record_goes_back_to_declared(commune, reviewer):
    decide_record(record_of("X1-05"), "verified", reviewer)
    decide_record(record_of("X1-06"), "verified", reviewer)
    db.session.commit()
    rows = [training_row("X1-05", source="Lớp bồi dưỡng CĐS 2026 (bổ sung)"),
            training_row("X1-06", reference=CLASS_B, start="", end="")]
    preview = import_training(rows, dry_run=True)
    described = " | ".join(change.describe() for change in preview.changes)
    assert "Trạng thái xác minh: Đã xác minh → Tự khai, chờ xác minh" in described
    assert f"Lớp: {CLASS_A} — {ORGANISER} → {CLASS_B} — {ORGANISER}" in described
    assert record_of("X1-05").status == "verified"  # a preview changes nothing
    result = import_training(rows)
    assert result.counts["updated"] == 2
    first, second = record_of("X1-05"), record_of("X1-06")
    assert (first.status, first.source) == ("declared", "Lớp bồi dưỡng CĐS 2026 (bổ sung)")
    assert (second.status, second.training_class_id) == ("declared", class_by(CLASS_B).id)
    # The last decision stays readable on the record (who, when) for the next reviewer.
    assert first.reviewed_at is not None


def test_a_file_without_class_columns_keeps_the_classes(commune):
    old_header = ["employee_code", "course", "completed_on", "source"]
    result = import_training([["X1-05", "co-ban", "15/05/2026", "Lớp bồi dưỡng CĐS 2026"]],
                             header=old_header)
    assert result.counts["unchanged"] == 1
    assert record_of("X1-05").training_class_id == class_by(CLASS_A).id
    # A row of a file with the columns but no class for it: the record leaves its class.
    result = import_training([["X1-05", "co-ban", "15/05/2026", "Lớp bồi dưỡng CĐS 2026",
                               "", "", "", ""]])
    assert result.counts["updated"] == 1
    assert record_of("X1-05").training_class_id is None


def test_class_errors_are_row_numbered_and_import_nothing(commune):
    before = snapshot()
    result = import_training([
        training_row("X1-01", organiser=""),                                # row 2
        training_row("X1-02", reference=""),                                # row 3
        training_row("X1-03", reference="QĐ 9", start="20/05/2026", end="10/05/2026"),  # 4
        training_row("X1-04", reference="QĐ 10", on="01/05/2026"),           # row 5
        training_row("X1-05", start="13/05/2026"),                           # row 6
        training_row("X1-06", reference="QĐ 11", start="01/05/2026", end="02/05/2026",
                     on="02/05/2026"),                                       # row 7
        training_row("X1-07", reference="QĐ 11", start="01/05/2026", end="03/05/2026",
                     on="02/05/2026"),                                       # row 8
    ])
    assert not result.ok
    text = "\n".join(result.errors)
    assert "dòng 2, Đơn vị tổ chức: bắt buộc khi dòng có thông tin lớp" in text
    assert "dòng 3, Số quyết định mở lớp: bắt buộc" in text
    assert "dòng 4, Lớp đến ngày: trước ngày bắt đầu lớp (20/05/2026)" in text
    assert "dòng 5, Ngày hoàn thành: trước ngày bắt đầu lớp (12/05/2026)" in text
    assert (f"dòng 6, Lớp từ ngày: lớp '{CLASS_A} — {ORGANISER}' đã được khai với thời gian "
            "12/05/2026 – 15/05/2026") in text
    assert "dòng 8, Lớp từ ngày: lớp này ở dòng 7 có thời gian 01/05/2026 – 02/05/2026" in text
    assert snapshot() == before and count(TrainingClass) == 2


def test_the_audit_event_lists_every_imported_record(commune):
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "import")
                              .order_by(AuditEvent.id.desc()))
    detail = json.loads(event.detail)
    assert detail["rows"] == 6 and detail["created"] == 6
    assert detail["records"] == {"created": {
        "co-ban": {"2026-05-15": ["X1-05", "X1-06", "X1-07", "X1-08"],
                   "2026-05-20": ["X1-09", "X1-10"]}}}
    assert detail["classes"] == [[CLASS_A, ORGANISER], [CLASS_B, ORGANISER]]
    # A second file: what changed and what did not are both listed.
    import_training([training_row("X1-05", source="Khác"), training_row("X1-06"),
                     training_row("X1-01", slug="an-toan", on="14/05/2026")])
    detail = json.loads(db.session.scalar(select(AuditEvent.detail).where(
        AuditEvent.action == "import").order_by(AuditEvent.id.desc())))
    assert detail["records"] == {
        "updated": {"co-ban": {"2026-05-15": ["X1-05"]}},
        "unchanged": {"co-ban": {"2026-05-15": ["X1-06"]}},
        "created": {"an-toan": {"2026-05-14": ["X1-01"]}}}


def test_the_listing_of_a_large_file_stays_compact(courses):
    from tests.reports.conftest import roster

    roster(*[(f"CB{n:05d}", "X1", False, False, "", "") for n in range(3000)])
    result = import_training([training_row(f"CB{n:05d}", on=f"{12 + n % 4}/05/2026")
                              for n in range(3000)])
    assert result.ok, result.errors[:3]
    detail = db.session.scalar(select(AuditEvent.detail).where(
        AuditEvent.action == "import").order_by(AuditEvent.id.desc()))
    listed = json.loads(detail)["records"]["created"]["co-ban"]
    assert sum(len(codes) for codes in listed.values()) == 3000
    # Each record costs its code and a separator: about 10 bytes, not a row of JSON.
    assert len(detail.encode()) < 3000 * 12


def test_web_import_declares_the_class_as_the_hr_officer(client, commune, hr_x1):
    import io

    from tests.builders import csv_bytes
    from tests.conftest import csrf_token, login
    from tests.review.conftest import TRAINING_HEADER

    assert login(client, "tochuc@x1.example").status_code == 302
    data = csv_bytes([TRAINING_HEADER, training_row("X1-01", reference="QĐ 77/UBND",
                                                    organiser="UBND xã Nghi Lộc")])
    page = client.post("/imports/training", data={
        "csrf_token": csrf_token(client, "/imports/training"),
        "file": (io.BytesIO(data), "lop.csv")}, content_type="multipart/form-data")
    text = page.get_data(as_text=True)
    assert "Lớp mới" in text and "tự khai" in text
    token = text.split("/imports/confirm/")[1].split('"')[0]
    client.post(f"/imports/confirm/{token}",
                data={"csrf_token": csrf_token(client, "/imports/training")})
    created = class_by("QĐ 77/UBND")
    assert created.created_by_id == hr_x1.id
    assert record_of("X1-01").status == "declared"


def test_the_audit_log_shows_the_start_of_a_long_listing_and_links_the_whole(
        client, commune, admin):
    from tests.conftest import login
    from tests.reports.conftest import roster

    roster(*[(f"CB{n:05d}", "X1", False, False, "", "") for n in range(200)])
    import_training([training_row(f"CB{n:05d}") for n in range(200)])
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "import")
                              .order_by(AuditEvent.id.desc()))
    assert len(event.detail) > 2000
    login(client, "admin@example.vn")
    page = client.get("/admin/audit?action=import").get_data(as_text=True)
    assert "CB00000" in page and "CB00199" not in page
    assert f"/admin/audit/{event.id}.json" in page
    whole = client.get(f"/admin/audit/{event.id}.json")
    assert whole.status_code == 200 and "CB00199" in whole.get_data(as_text=True)
    assert json.loads(whole.data)["records"]["created"]["co-ban"]["2026-05-15"][-1] == "CB00199"
