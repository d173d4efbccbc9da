"""The report page's table: two levels below the unit, or one when two would make a
long list (a province with hundreds of communes under districts)."""

from __future__ import annotations

import re

from lms.reports import views
from tests.builders import load_units, make_user
from tests.conftest import login

UNITS = [["Mã đơn vị", "Tên đơn vị", "Cấp", "Mã đơn vị cấp trên"],
         ["NA", "Tỉnh Nghệ An", "Tỉnh", ""],
         ["SNV", "Sở Nội vụ", "Sở", "NA"],
         ["SNV-TC", "Phòng Tổ chức", "Phòng", "SNV"],
         ["SNV-TC-1", "Tổ một", "Khác", "SNV-TC"],
         ["STC", "Sở Tài chính", "Sở", "NA"],
         ["STC-KH", "Phòng Kế hoạch", "Phòng", "STC"]]


def linked_units(html: str) -> set[str]:
    return set(re.findall(r'href="/reports\?unit=([A-Z0-9-]+)', html))


def test_two_levels_below_or_one_when_that_would_be_too_many_rows(app, client, courses,
                                                                 monkeypatch):
    load_units(UNITS)
    make_user("admin", email="admin@example.vn")
    login(client, "admin@example.vn")

    page = client.get("/reports?unit=NA").get_data(as_text=True)
    assert {"SNV", "STC", "SNV-TC", "STC-KH"} <= linked_units(page)
    assert "SNV-TC-1" not in linked_units(page)
    assert "Bảng hiển thị hai cấp dưới" in page

    # Five rows would show at two levels: with room for four, the page shows one level.
    monkeypatch.setattr(views, "ROWS_SHOWN", 4)
    page = client.get("/reports?unit=NA").get_data(as_text=True)
    assert {"SNV", "STC"} <= linked_units(page)
    assert not {"SNV-TC", "STC-KH"} & linked_units(page)
    assert "bảng hiển thị một cấp dưới" in page
    # A unit lower down still shows its own two levels.
    page = client.get("/reports?unit=SNV").get_data(as_text=True)
    assert {"SNV-TC", "SNV-TC-1"} <= linked_units(page)
