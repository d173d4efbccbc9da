"""Uploads: a size limit, the type decided by content, zip bombs refused, and a
message that says what the file is and what to do; nothing changes on a refusal."""

from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import func, select

from lms.extensions import db
from lms.org import tabular
from lms.org.imports import import_officials
from lms.org.models import Official
from tests.builders import ROSTER_HEADER, csv_bytes, load_units, xlsx_bytes
from tests.org.test_views import as_user, province, upload  # noqa: F401

ROW = ["CB1", "Nguyễn Văn An", "SNV", "công chức", "", "", "", "", "", "", ""]


def officials() -> int:
    return db.session.scalar(select(func.count(Official.id)))


def zip_of(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize(("filename", "data", "words"), [
    ("can-bo.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "Excel 97-2003 (.xls)"),
    ("can-bo.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "tệp PDF"),
    ("can-bo.xlsx", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "ảnh"),
    ("can-bo.csv", b"Ma can bo,Ho ten\x00\x00\x01\x02", "không phải là văn bản CSV"),
    ("can-bo.xlsx", zip_of({"[Content_Types].xml": b"<Types/>",
                            "word/document.xml": b"<w:document/>"}), "có thể là .docx"),
    ("can-bo.xlsx", b"not a workbook at all", "không phải là bảng tính XLSX"),
])
def test_the_content_decides_and_the_message_says_what_the_file_is(app, filename, data, words):
    load_units()
    result = import_officials(filename, data)
    assert not result.ok
    assert any(words in error for error in result.errors), result.errors
    assert officials() == 0


def test_a_workbook_renamed_csv_is_still_read_as_a_workbook(app):
    load_units()
    result = import_officials("can-bo.csv", xlsx_bytes([ROSTER_HEADER, ROW]))
    assert result.ok, result.errors
    assert officials() == 1


def test_a_zip_bomb_is_refused_before_it_is_unpacked(app, monkeypatch):
    assert tabular.MAX_XLSX_UNCOMPRESSED == 400 * 1024 * 1024
    load_units()
    # 8 MB of zeros compresses to a few KB; with the bar lowered to 4 MB it is a bomb.
    bomb = zip_of({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>",
                   "xl/worksheets/sheet1.xml": b"\0" * (8 * 1024 * 1024)})
    assert len(bomb) < 100_000
    monkeypatch.setattr(tabular, "MAX_XLSX_UNCOMPRESSED", 4 * 1024 * 1024)
    result = import_officials("can-bo.xlsx", bomb)
    assert result.errors == ["Tệp XLSX giải nén ra quá 400 MB; hãy chia nhỏ tệp."]
    assert officials() == 0


def test_the_web_upload_shows_the_reason_and_changes_nothing(app, province):  # noqa: F811
    admin = as_user(app, "admin@example.vn")
    before = officials()
    page = upload(admin, "officials", b"%PDF-1.4 ...", filename="danh-sach.csv")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Đây là tệp PDF, không phải bảng tính." in text
    assert "Xác nhận nhập" not in text
    assert officials() == before


def test_an_upload_over_the_size_limit_gets_a_clear_413(app, province):  # noqa: F811
    admin = as_user(app, "admin@example.vn")
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    big = csv_bytes([ROSTER_HEADER] + [ROW] * 3000)
    assert len(big) > 64 * 1024
    page = upload(admin, "officials", big)
    assert page.status_code == 413
    assert "Tệp tải lên lớn hơn 0.0625 MB" in page.get_data(as_text=True)
