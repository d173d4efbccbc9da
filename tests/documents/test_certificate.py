"""The certificate is an official document on one A4 landscape page (issue 16): quốc
hiệu and tiêu ngữ, the issuing body, "Nghệ An, ngày … tháng … năm …", the signer in
force on the completion date, a QR code of the verification URL, the study hours."""

from __future__ import annotations

import io
from datetime import date

import pytest
from pypdf import PdfReader

from lms.documents.certificate import certificate_for, certificate_pdf
from lms.documents.logic import letterhead, record_signatory, root_unit
from lms.extensions import db
from lms.learning.logic import record_completion
from tests.builders import load_units
from tests.conftest import login

A4_LANDSCAPE = (841.89, 595.28)  # points


@pytest.fixture
def completion(app, course, citizen):
    load_units()
    done = record_completion(citizen, course)
    done.completed_on = date(2026, 2, 5)
    done.score_percent = 80.0
    db.session.commit()
    return done


def _pdf(client, code: str):
    response = client.get(f"/certificates/{code}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert f"chung-nhan-{code}.pdf" in response.headers["Content-Disposition"]
    return PdfReader(io.BytesIO(response.data))


def test_the_pdf_is_one_a4_landscape_page_with_the_official_words(client, completion):
    record_signatory(root_unit(), date(2026, 1, 1), issuing_body="ỦY BAN NHÂN DÂN TỈNH NGHỆ AN",
                     place="Nghệ An", authority="KT. CHỦ TỊCH", signer_title="PHÓ CHỦ TỊCH",
                     signer_name="Nguyễn Văn Đề")
    db.session.commit()
    login(client, "dan@example.vn")
    reader = _pdf(client, completion.code)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width), 1), round(float(box.height), 1)) == (
        round(A4_LANDSCAPE[0], 1), round(A4_LANDSCAPE[1], 1))
    text = " ".join(reader.pages[0].extract_text().split())
    for words in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                  "ỦY BAN NHÂN DÂN TỈNH NGHỆ AN", "GIẤY CHỨNG NHẬN", "Trần Thị Bình",
                  "Kỹ năng số cơ bản", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "Nguyễn Văn Đề",
                  completion.code, "giờ học", "80%"):
        assert words in text, words
    # Decree 30: a day below 10 and the months 1 and 2 get a leading zero.
    assert "Nghệ An, ngày 05 tháng 02 năm 2026" in text
    assert "05/02/2026" in text


def test_an_earlier_certificate_keeps_the_signer_of_its_date(app, completion):
    root = root_unit()
    record_signatory(root, date(2026, 1, 1), issuing_body="UBND TỈNH NGHỆ AN", place="Nghệ An",
                     signer_title="CHỦ TỊCH", signer_name="Người Ký Cũ")
    record_signatory(root, date(2026, 6, 1), issuing_body="UBND TỈNH NGHỆ AN", place="Nghệ An",
                     signer_title="CHỦ TỊCH", signer_name="Người Ký Mới")
    db.session.commit()
    with app.test_request_context():
        assert certificate_for(completion).head.signer_name == "Người Ký Cũ"
        assert letterhead(root, date(2026, 7, 1)).signer_name == "Người Ký Mới"
        # Nothing recorded before 2026: the province's name and a blank to sign.
        early = letterhead(root, date(2025, 12, 31))
        assert early.issuing_body == "UBND TỈNH NGHỆ AN" and early.signer_name == ""


def test_the_page_shows_the_header_signature_and_a_server_drawn_qr(client, completion):
    login(client, "dan@example.vn")
    page = client.get(f"/certificates/{completion.code}").get_data(as_text=True)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in page
    assert "Nghệ An, ngày 05 tháng 02 năm 2026" in page
    assert '<svg role="img"' in page and "qr-code" in page
    assert f"/verify/{completion.code}" in page
    assert f"/certificates/{completion.code}.pdf" in page
    assert "80%" in page and "80.0" not in page


def test_someone_elses_pdf_is_not_found(client, completion):
    from tests.builders import make_user
    make_user("citizen", email="khac@example.vn", name="Người Khác")
    login(client, "khac@example.vn")
    assert client.get(f"/certificates/{completion.code}.pdf").status_code == 404


def test_the_pdf_is_deterministic(app, completion):
    with app.test_request_context():
        first = certificate_pdf(certificate_for(completion))
        second = certificate_pdf(certificate_for(completion))
    assert first == second
