"""Vietnamese formats (issue 16, point 3): the order of names, the place-and-date line
of documents (Decree 30/2020/NĐ-CP), decimal comma and thousands dot."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask_babel import force_locale
from sqlalchemy import select

from lms.extensions import db
from lms.org.models import Official
from lms.util.formatting import name_sort_key, number_vi, percent_vi, place_date
from tests.builders import load_roster, load_units


def test_names_sort_by_given_name_then_middle_then_family_in_vietnamese_letter_order():
    names = ["Vi Văn Vi", "Đặng Văn An", "Dương Thị An", "Nguyễn Văn Ánh", "Nguyễn Văn Anh",
             "Trần Văn Ân", "Nguyễn Thị Ăn", "Hồ Văn Bình", "Lê Thị Đào", "Lê Văn Dũng",
             "Phạm Ơn", "Phạm Ôn", "Phạm On"]
    assert sorted(names, key=name_sort_key) == [
        "Dương Thị An", "Đặng Văn An",  # same given and… D before Đ in the family name
        "Nguyễn Văn Anh", "Nguyễn Văn Ánh",  # no tone before sắc
        "Nguyễn Thị Ăn", "Trần Văn Ân",  # a ă â
        "Hồ Văn Bình", "Lê Văn Dũng", "Lê Thị Đào",  # d before đ in the given name
        "Phạm On", "Phạm Ôn", "Phạm Ơn",  # o ô ơ
        "Vi Văn Vi"]


def test_place_and_date_as_decree_30_writes_them():
    assert place_date("Nghệ An", date(2026, 2, 5)) == "Nghệ An, ngày 05 tháng 02 năm 2026"
    assert place_date("Nghệ An", date(2026, 11, 30)) == "Nghệ An, ngày 30 tháng 11 năm 2026"
    assert place_date("Nghi Lộc", date(2026, 7, 9)) == "Nghi Lộc, ngày 09 tháng 7 năm 2026"
    assert place_date("Nghệ An", None) == "Nghệ An, ngày …… tháng …… năm ……"


def test_numbers_in_vietnamese_and_english(app):
    with app.test_request_context(), force_locale("vi"):
        assert percent_vi(Decimal("48.4")) == "48,4%" and percent_vi(80.0, 0) == "80%"
        assert number_vi(3000) == "3.000"
    with app.test_request_context(), force_locale("en"):
        assert percent_vi(Decimal("48.4")) == "48.4%" and number_vi(3000) == "3,000"


def test_numbers_follow_the_language_the_visitor_chose(app, client):
    # Nothing has asked Flask-Babel for the locale yet: the chosen language still counts.
    from flask import session

    with app.test_request_context():
        session["lang"] = "en"
        assert number_vi(3000) == "3,000"
        with force_locale("vi"):  # a forced locale wins over the session's
            assert number_vi(3000) == "3.000"
    with app.test_request_context():
        assert number_vi(3000) == "3.000"  # the default, Vietnamese
    assert number_vi(3000) == "3.000"  # outside any request or app


def test_the_sort_key_follows_the_name_through_import_and_edits(app):
    load_units()
    load_roster([["CB1", "Đặng Văn An", "X1", "công chức", "", "", "", "", "", "", ""]])
    official = db.session.scalar(select(Official).where(Official.employee_code == "CB1"))
    assert official.sort_name == name_sort_key("Đặng Văn An")
    load_roster([["CB1", "Đặng Văn Bảo", "X1", "công chức", "", "", "", "", "", "", ""]])
    db.session.refresh(official)
    assert official.sort_name == name_sort_key("Đặng Văn Bảo")
    official.full_name = "Vi Thị Cúc"
    db.session.commit()
    assert official.sort_name == name_sort_key("Vi Thị Cúc")
