"""HR safety (issue 16, point 6): new activation links are made only after a page says
how many already-sent links stop working; expiry in Vietnam's time; the roster's
"chưa kích hoạt" marks the same people the links are made for."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from lms.auth import activation
from lms.auth.logic import set_password
from lms.extensions import db
from lms.org.logic import unit_by_code
from lms.org.models import Official
from lms.util.time import utcnow
from tests.builders import load_roster, load_units, make_user
from tests.conftest import csrf_token, login


@pytest.fixture
def hr(app):
    load_units()
    load_roster([
        ["CB1", "Nguyễn Văn An", "SNV", "công chức", "", "", "", "an@snv.vn", "", "", ""],
        ["CB2", "Lê Thị Bình", "SNV-TC", "viên chức", "", "", "", "", "", "", ""],
        ["CB3", "Trần Văn Cường", "SNV", "cán bộ", "", "", "", "", "", "", ""],
        ["CB4", "Phạm Thị Dung", "SNV", "cán bộ", "", "", "", "", "", "", ""],
    ])
    make_user("unit_manager", email="hr@snv.vn", unit=unit_by_code("SNV"))
    db.session.commit()
    client = app.test_client()
    login(client, "hr@snv.vn")
    return client


def official(code: str) -> Official:
    return db.session.query(Official).filter_by(employee_code=code).one()


def test_the_page_says_how_many_sent_links_stop_working_before_any_is_made(hr):
    activation.invite([official("CB1"), official("CB2")])
    expired = activation.invite([official("CB3")])[0]
    db.session.commit()
    from lms.auth.models import ActivationToken
    token = db.session.query(ActivationToken).filter_by(official_id=expired.official.id).one()
    token.expires_at = utcnow() - timedelta(days=1)  # an expired link stops nothing
    db.session.commit()
    before = db.session.query(ActivationToken).count()

    page = hr.get("/units/SNV/invitations").get_data(as_text=True)
    assert "<strong>4 người</strong>" in page
    assert "2 đường dẫn đã gửi trước đây sẽ không dùng được nữa." in page
    assert "Tạo và tải 4 đường dẫn" in page
    assert db.session.query(ActivationToken).count() == before  # looking makes nothing

    # The unit page now links to this page instead of downloading at once.
    unit_page = hr.get("/units/SNV").get_data(as_text=True)
    assert 'href="/units/SNV/invitations"' in unit_page


def test_expiry_in_the_csv_is_vietnam_time(hr, app):
    response = hr.post("/units/SNV/invitations", data={"csrf_token": csrf_token(hr)})
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][-1] == "Hết hạn (giờ Việt Nam)"
    expected = (utcnow() + activation.VALID_FOR + timedelta(hours=7))
    shown = rows[1][-1]
    assert "UTC" not in shown
    assert shown[:10] == expected.strftime("%d/%m/%Y")
    assert abs(int(shown[11:13]) - expected.hour) in (0, 1, 23)


def test_not_activated_marks_match_the_links_produced(hr):
    # CB4 has an account but never chose a password: still "chưa kích hoạt", and
    # gets a link; CB3 has chosen one: neither.
    cb3, cb4 = official("CB3"), official("CB4")
    for person in (cb3, cb4):
        person.user = make_user("official", email=f"{person.employee_code}@snv.vn")
    cb4.user.password_hash = None
    set_password(cb3.user, "mat-khau-can-bo-3")
    db.session.commit()

    page = hr.get("/units/SNV").get_data(as_text=True)
    marked = page.count("chưa kích hoạt tài khoản")
    response = hr.post("/units/SNV/invitations", data={"csrf_token": csrf_token(hr)})
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))[1:]
    assert sorted(r[0] for r in rows) == ["CB1", "CB2", "CB4"]
    assert marked == len(rows) == 3
