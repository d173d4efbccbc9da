"""The organisation pages: scope, upload → preview → confirm, templates."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from lms.extensions import db
from lms.org.logic import unit_by_code
from lms.org.models import Official
from tests.builders import ROSTER_HEADER, csv_bytes, load_roster, load_units, make_user
from tests.conftest import csrf_token, login


@pytest.fixture
def province(app):
    load_units()
    load_roster([[f"CB{i:03d}", name, unit, "công chức", "", "", "", "", "", "", ""]
                 for i, (name, unit) in enumerate([
                     ("Nguyễn Văn An", "SNV"), ("Lê Thị Bình", "SNV-TC"),
                     ("Trần Văn Cường", "X1"), ("Phạm Thị Dung", "X2")])])
    make_user("admin", email="admin@example.vn")
    make_user("unit_manager", email="hr@snv.vn", unit=unit_by_code("SNV"))
    make_user("citizen", email="dan@example.vn")


def as_user(app, email):
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def upload(client, kind, data, filename="roster.csv", **extra):
    form = {"csrf_token": csrf_token(client, f"/imports/{kind}"),
            "file": (io.BytesIO(data), filename), **extra}
    return client.post(f"/imports/{kind}", data=form, content_type="multipart/form-data")


def officials_count():
    return db.session.scalar(select(func.count(Official.id)))


def test_manager_sees_only_their_subtree(app, province):
    hr = as_user(app, "hr@snv.vn")
    assert hr.get("/units").headers["Location"] == "/units/SNV"
    page = hr.get("/units/SNV").get_data(as_text=True)
    assert "Nguyễn Văn An" in page and "Lê Thị Bình" in page  # the office below counts too
    assert "Trần Văn Cường" not in page
    assert hr.get("/units/X1").status_code == 404
    assert hr.get("/units/NA").status_code == 404
    assert as_user(app, "dan@example.vn").get("/units/SNV").status_code == 403
    admin = as_user(app, "admin@example.vn")
    assert admin.get("/units").headers["Location"] == "/units/NA"
    assert "Phạm Thị Dung" in admin.get("/units/NA").get_data(as_text=True)


def test_unit_page_search_without_diacritics_and_children_counts(app, province):
    admin = as_user(app, "admin@example.vn")
    page = admin.get("/units/NA?q=tran+van").get_data(as_text=True)
    assert "Trần Văn Cường" in page and "Nguyễn Văn An" not in page
    page = admin.get("/units/NA").get_data(as_text=True)
    row = re.search(r"Sở Nội vụ</a></td>\s*<td>[^<]*</td><td class=\"num\">(\d+)", page)
    assert row and row.group(1) == "2"


def test_unit_page_survives_absurd_page_numbers_and_nul(app, province):
    """Found by fuzzing (tests/test_fuzz.py): ?page=10**30 made an OFFSET past 64 bits,
    and PostgreSQL refuses a NUL in the search text (both were 500s)."""
    admin = as_user(app, "admin@example.vn")
    assert admin.get("/units/NA?page=" + "9" * 30).status_code == 200
    assert admin.get("/units/NA?status=done&page=" + "9" * 30).status_code == 200
    assert admin.get("/units/NA?q=B%C3%ACnh%00").status_code == 400


def test_upload_with_errors_shows_them_and_imports_nothing(app, province):
    hr = as_user(app, "hr@snv.vn")
    data = csv_bytes([ROSTER_HEADER,
                      ["CB100", "Người mới", "SNV", "công chức", "", "", "", "", "", "", ""],
                      ["CB101", "Ngoài phạm vi", "X1", "công chức", "", "", "", "", "", "", ""]])
    page = upload(hr, "officials", data).get_data(as_text=True)
    assert "Tệp có 1 lỗi nên chưa nhập dòng nào." in page
    assert "dòng 3, unit_code: đơn vị X1 nằm ngoài phạm vi bạn quản lý" in page
    assert 'href="/imports/officials">Tải lên tệp đã sửa<' in page
    assert "Xác nhận nhập" not in page
    assert officials_count() == 4


def test_preview_then_confirm_imports_once(app, province):
    hr = as_user(app, "hr@snv.vn")
    data = csv_bytes([ROSTER_HEADER,
                      ["CB000", "Nguyễn Văn An", "SNV", "công chức", "Giám đốc", "có", "", "", "",
                       "", ""],
                      ["CB100", "Người mới", "SNV-TC", "viên chức", "", "", "", "", "", "", ""]])
    page = upload(hr, "officials", data).get_data(as_text=True)
    assert officials_count() == 4  # the preview changes nothing
    assert "Dòng 3: thêm mới CB100 Người mới" in page
    assert ("Dòng 2: cập nhật CB000 Nguyễn Văn An (Chức vụ: — → Giám đốc, "
            "Lãnh đạo: không → có)") in page
    token = re.search(r'action="/imports/confirm/([^"]+)"', page).group(1)
    confirmed = hr.post(f"/imports/confirm/{token}", data={"csrf_token": csrf_token(hr)},
                        follow_redirects=True).get_data(as_text=True)
    assert "Đã nhập 2 dòng: 1 thêm mới, 1 cập nhật, 0 không đổi, 0 nghỉ việc." in confirmed
    assert officials_count() == 5
    again = hr.post(f"/imports/confirm/{token}", data={"csrf_token": csrf_token(hr)},
                    follow_redirects=True).get_data(as_text=True)
    assert "Không tìm thấy tệp chờ xác nhận" in again
    assert officials_count() == 5


def test_another_users_pending_import_cannot_be_confirmed(app, province):
    hr = as_user(app, "hr@snv.vn")
    data = csv_bytes([ROSTER_HEADER, ["CB100", "Mới", "SNV", "công chức", "", "", "", "", "",
                                      "", ""]])
    token = re.search(r'action="/imports/confirm/([^"]+)"',
                      upload(hr, "officials", data).get_data(as_text=True)).group(1)
    admin = as_user(app, "admin@example.vn")
    admin.post(f"/imports/confirm/{token}", data={"csrf_token": csrf_token(admin)})
    assert officials_count() == 4


def test_wrong_file_type_gets_a_clear_message(app, province):
    hr = as_user(app, "hr@snv.vn")
    page = upload(hr, "officials", b"%PDF-1.4", filename="roster.pdf").get_data(as_text=True)
    assert "Chỉ nhận tệp .csv hoặc .xlsx." in page


@pytest.mark.parametrize("kind", ["units", "officials", "training"])
def test_templates_have_vietnamese_headers_and_an_example_row(app, province, kind):
    hr = as_user(app, "hr@snv.vn")
    response = hr.get(f"/imports/templates/{kind}.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    header = [c.value for c in sheet[1]]
    assert header[0] in ("Mã đơn vị", "Mã cán bộ")
    assert sheet.max_row >= 2 and sheet.cell(row=2, column=1).value


def test_the_roster_template_imports_as_is(app, province):
    from lms.org.imports import import_officials
    from lms.org.templates_xlsx import template_workbook
    from tests.builders import load_units

    load_units([["code", "name", "level", "parent_code"],
                ["NA-X-NGHILOC", "Xã Nghi Lộc", "xã", "NA"]])
    result = import_officials("mau.xlsx", template_workbook("officials"))
    assert result.ok, result.errors
    assert result.counts["created"] == 1
