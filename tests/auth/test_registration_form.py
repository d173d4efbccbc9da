"""Registration shows every problem at once (issue 16, point 5): a summary at the top
linking to each field, typed values kept (never passwords), tax codes checked with
their check digit, and the commune picked from a searchable list."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from lms.auth import taxcode
from lms.auth.models import User
from lms.extensions import db
from lms.org.logic import create_unit
from tests.conftest import post_form

FORM = {"kind": "business", "full_name": "HTX Chè Thanh Chương", "email": "htx@example.vn",
        "phone": "", "commune": "", "tax_code": "", "business_type": "",
        "password": "hoc-ky-nang-so", "confirm": "hoc-ky-nang-so", "consent": "y"}


def register(client, **changes):
    return post_form(client, "/register", {**FORM, **changes}, token_from="/register")


def test_every_problem_is_shown_in_one_pass_with_a_summary_linking_to_each(client):
    page = register(client, email="khong-phai-email", phone="12345", tax_code="2901234567",
                    password="ngan", confirm="khac", consent="").get_data(as_text=True)
    summary = page[page.index('class="error-summary"'):page.index("</ul>",
                                                                   page.index("error-summary"))]
    for field in ("email", "phone", "tax_code", "business_type", "password", "confirm",
                  "consent"):
        assert f'href="#{field}"' in summary, field
        assert f'id="{field}-error"' in page, field
    assert "Email không đúng dạng" in summary
    assert "sai chữ số kiểm tra" in summary
    assert "Hãy chọn loại hình." in summary
    assert db.session.scalar(select(User)) is None


def test_typed_values_are_kept_but_passwords_are_not(client):
    page = register(client, full_name="Hộ kinh doanh Lê Hoa", email="hoa@example.vn",
                    tax_code="2901234567", business_type="enterprise").get_data(as_text=True)
    assert 'value="Hộ kinh doanh Lê Hoa"' in page
    assert 'value="hoa@example.vn"' in page
    assert 'value="2901234567"' in page
    assert re.search(r'<option selected value="enterprise"|<option value="enterprise" selected',
                     page)
    assert "hoc-ky-nang-so" not in page


@pytest.mark.parametrize(("code", "kind", "ok"), [
    ("0100233488", "enterprise", True),         # a real code: check digit right
    ("0100233480", "enterprise", False),        # one digit off
    ("0314409058-002", "enterprise", True),     # a branch: 10-3
    ("0314409058-000", "enterprise", False),
    ("0314409058002", "enterprise", False),     # the hyphen is part of the branch form
    ("01.00.233.488", "cooperative", True),     # dots and spaces as people copy them
    ("040090001234", "household", True),        # the owner's personal number, from 7/2025
    ("040090001234", "enterprise", False),      # an enterprise never has 12 digits
    ("0100233488", "household", True),          # a code issued before 7/2025
    ("04009000123", "household", False),
    ("0100000008", "enterprise", False),        # sequence all zeros
])
def test_tax_codes_follow_circular_86_2024(code, kind, ok):
    assert (taxcode.check(code, kind)[1] is None) is ok


def test_a_household_registers_with_the_owners_personal_number(client):
    response = register(client, tax_code="040 090 001 234", business_type="household")
    assert response.status_code == 302
    user = db.session.scalar(select(User))
    assert (user.tax_code, user.business_type) == ("040090001234", "household")


def test_the_commune_is_picked_from_a_list_and_matched_on_the_server(client):
    nghi_loc = create_unit("X-NGHILOC", "Xã Nghi Lộc", "commune")
    create_unit("X-NGHIXUAN", "Xã Nghi Xuân", "commune")
    create_unit("P-VINH", "Phường Thành Vinh", "commune")
    db.session.commit()
    page = client.get("/register").get_data(as_text=True)
    assert 'list="communes"' in page and '<datalist id="communes">' in page
    assert '<option value="Xã Nghi Lộc">' in page
    # Without a suggestion list (no JavaScript, an old browser) a near name is told apart.
    vague = register(client, kind="citizen", commune="Nghi").get_data(as_text=True)
    assert "Xã Nghi Lộc, Xã Nghi Xuân" in vague
    assert db.session.scalar(select(User)) is None
    unknown = register(client, kind="citizen", commune="Diễn Châu").get_data(as_text=True)
    assert "Không tìm thấy xã, phường" in unknown
    # Typed without accents and without "Xã" is enough when it names one commune.
    assert register(client, kind="citizen", commune="nghi loc").status_code == 302
    assert db.session.scalar(select(User)).unit_id == nghi_loc.id
