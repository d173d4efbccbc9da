"""Official documents in the browser (issue 16): the certificate prints on one A4
landscape page and downloads as a one-page PDF; a report prints on A4 with the unit's
header and signature block and without its forms and buttons. At 360 and 1280 px,
screenshots kept, axe-core clean."""

from __future__ import annotations

import io
from datetime import date

import pytest
from pypdf import PdfReader

from lms.documents.logic import record_signatory, root_unit
from lms.extensions import db
from lms.learning.logic import record_completion
from lms.org.logic import unit_by_code
from tests.builders import load_roster, load_units, make_user
from tests.e2e.conftest import login, serious_violations, shot


@pytest.fixture
def certificate_code(live_server):
    with live_server.app.app_context():
        load_units()
        load_roster([["CB-1", "Đặng Văn An", "X1", "công chức", "", "", "", "", "", "", ""],
                     ["CB-2", "Dương Thị Bình", "X1", "công chức", "", "", "", "", "", "",
                      ""]])
        record_signatory(root_unit(), date(2026, 1, 1), issuing_body="UBND TỈNH NGHỆ AN",
                         place="Nghệ An", authority="KT. CHỦ TỊCH",
                         signer_title="PHÓ CHỦ TỊCH", signer_name="Nguyễn Văn Đề")
        record_signatory(unit_by_code("X1"), date(2026, 1, 1),
                         issuing_body="ỦY BAN NHÂN DÂN XÃ NGHI LỘC", place="Nghi Lộc",
                         authority="TM. ỦY BAN NHÂN DÂN", signer_title="CHỦ TỊCH",
                         signer_name="Hồ Văn Ký")
        make_user("admin", email="admin@tinh.example", password="mat-khau-quan-tri")
        citizen = make_user("citizen", email="dan@example.vn", password="mat-khau-nguoi-dan",
                            name="Nguyễn Thị Phương Thảo")
        from lms.courses.logic import published_course_or_404
        completion = record_completion(citizen, published_course_or_404("ky-nang-so-co-ban"))
        db.session.commit()
        return completion.code


def pages_of(data: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(data))


def printed(page) -> PdfReader:
    """The page as Chromium prints it, with the page size the stylesheet asks for."""
    data = page.pdf(prefer_css_page_size=True, print_background=True)
    import os
    if os.environ.get("H5_DEBUG"):
        from pathlib import Path
        Path("/tmp/h5_print.pdf").write_bytes(data)
    return pages_of(data)


@pytest.mark.parametrize("width", [360, 1280])
def test_the_certificate_prints_on_one_a4_landscape_page(browser, live_server, certificate_code,
                                                         width):
    base = live_server.url
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="vi-VN",
                                  accept_downloads=True)
    page = context.new_page()
    login(page, base, "dan@example.vn", "mat-khau-nguoi-dan")
    assert page.goto(f"{base}/certificates/{certificate_code}").ok
    sheet = page.locator("article.certificate")
    for words in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                  "UBND TỈNH NGHỆ AN", "PHÓ CHỦ TỊCH", "Nguyễn Văn Đề",
                  "Nguyễn Thị Phương Thảo", "giờ học"):
        assert words in sheet.inner_text(), words
    assert page.locator("article.certificate svg.qr-code").is_visible()
    assert serious_violations(page) == []
    shot(page, "documents-certificate")
    # Printed: one A4 landscape page (842 x 595 pt), nothing of the site around it.
    reader = printed(page)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert round(float(box.width)) == 842 and round(float(box.height)) == 595
    text = reader.pages[0].extract_text()
    assert "Tải chứng nhận" not in text and "Đăng xuất" not in text
    # The PDF download: one A4 landscape page, drawn by the server.
    with page.expect_download() as download:
        page.get_by_role("link", name="Tải chứng nhận (PDF)").click()
    data = download.value.path().read_bytes()
    reader = pages_of(data)
    assert len(reader.pages) == 1 and float(reader.pages[0].mediabox.width) > float(
        reader.pages[0].mediabox.height)
    context.close()


@pytest.mark.parametrize("width", [360, 1280])
def test_a_communes_report_prints_as_its_document(browser, live_server, certificate_code, width):
    base = live_server.url
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="vi-VN")
    page = context.new_page()
    login(page, base, "admin@tinh.example", "mat-khau-quan-tri")
    assert page.goto(f"{base}/reports?unit=X1").ok
    assert serious_violations(page) == []
    shot(page, "documents-report-commune")
    reader = printed(page)
    box = reader.pages[0].mediabox
    assert round(float(box.width)) == 595 and round(float(box.height)) == 842  # A4 portrait
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    for words in ("ỦY BAN NHÂN DÂN XÃ NGHI LỘC", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                  "BÁO CÁO KẾT QUẢ BỒI DƯỠNG", "NGƯỜI LẬP BIỂU", "TM. ỦY BAN NHÂN DÂN",
                  "Hồ Văn Ký", "Xã Nghi Lộc"):
        assert words in text, words
    for control in ("Tải báo cáo XLSX", "Chốt số liệu", "Tính đến ngày", "Biểu đồ"):
        assert control not in text, control
    assert len(reader.pages) == 1  # a commune's report fits one page
    # The untrained list: Vietnamese order, given name first (An before Bình).
    assert page.goto(f"{base}/reports/untrained?unit=X1").ok
    names = page.locator("tbody th").all_inner_texts()
    assert [n.split("\n")[0] for n in names] == ["Đặng Văn An", "Dương Thị Bình"]
    assert serious_violations(page) == []
    shot(page, "documents-report-untrained")
    reader = printed(page)
    text = " ".join(reader.pages[-1].extract_text().split())
    assert "NGƯỜI LẬP BIỂU" in text and "Tải danh sách" not in text
    context.close()
