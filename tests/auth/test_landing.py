"""The page each role lands on after signing in: HR officers their unit, admins the
province's report, province reviewers their queue, community helpers their commune,
learners "Khóa học của tôi"; a safe
``next`` first, an unsafe one ignored."""

from __future__ import annotations

import pytest

from lms.org.logic import unit_by_code
from tests.builders import PASSWORD, load_units, make_user
from tests.conftest import login, post_form


def landed(response) -> str:
    assert response.status_code == 302
    return response.headers["Location"]


@pytest.mark.parametrize(("role", "expected"), [
    ("citizen", "/my"), ("business", "/my"), ("official", "/my"),
    ("admin", "/reports"), ("province_reviewer", "/review"), ("unit_manager", "/units/X1"),
    ("community_helper", "/community/c/X1"),
])
def test_each_role_lands_on_its_own_page(client, role, expected):
    load_units()
    unit = unit_by_code("X1") if role in ("unit_manager", "community_helper") else None
    make_user(role, email="nguoi@example.vn", unit=unit)
    assert landed(login(client, "nguoi@example.vn")) == expected
    assert client.get(expected).status_code == 200  # and may open it
    # Signed in already, the sign-in page sends them there too.
    assert landed(client.get("/login")) == expected


def test_an_hr_officer_without_a_unit_lands_on_their_courses(client):
    make_user("unit_manager", email="tochuc@example.vn")
    assert landed(login(client, "tochuc@example.vn")) == "/my"


def test_a_safe_next_comes_first(client):
    make_user("citizen", email="dan2@example.vn")
    response = post_form(client, "/login?next=/courses/",
                         {"identifier": "dan2@example.vn", "password": PASSWORD,
                          "next": "/courses/"}, token_from="/login?next=/courses/")
    assert landed(response) == "/courses/"


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/"])
def test_an_unsafe_next_is_ignored(client, target):
    load_units()
    make_user("unit_manager", email="tochuc@example.vn", unit=unit_by_code("SNV"))
    response = post_form(client, "/login", {"identifier": "tochuc@example.vn",
                                            "password": PASSWORD,
                                            "next": target}, token_from="/login")
    assert landed(response) == "/units/SNV"


def test_the_second_factor_leads_to_the_landing_page(client):
    make_user("admin", email="qt@example.vn")
    # login() follows the gate: /reports asks for the code, which then opens /reports.
    assert landed(login(client, "qt@example.vn")) == "/reports"
