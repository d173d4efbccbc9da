"""An official marked as left loses every role and session (penetration test 2026-11)."""

from __future__ import annotations

from datetime import date

import pytest

from lms.auth import logic as auth
from lms.auth.models import User
from lms.extensions import db
from lms.org.logic import unit_by_code
from lms.org.models import Official
from tests.builders import PASSWORD, load_roster, load_units
from tests.conftest import login

ROW = ["CB1", "Trần Văn Tổ", "X1", "công chức", "", "", "", "to@example.vn", "", "", ""]


@pytest.fixture
def hr_official(app):
    """An official of X1 with an account who is also X1's HR officer."""
    load_units()
    load_roster([ROW])
    user = auth.grant_role("CB1", "unit_manager", unit_by_code("X1"))
    user.password_hash = auth.hash_password(PASSWORD)
    db.session.commit()
    return user


def leave(on: str = "01/11/2026", **options):
    load_roster([[*ROW[:9], "nghỉ việc", on]], **options)


def test_leaving_takes_every_role_and_ends_sessions(client, hr_official):
    assert login(client, "to@example.vn").status_code == 302
    leave()
    db.session.expire_all()
    user = db.session.get(User, hr_official.id)
    assert (user.role, user.unit_id) == ("official", None)
    assert client.get("/units").status_code in (302, 401)  # the session has ended
    assert auth.authenticate("to@example.vn", PASSWORD) is None  # and cannot sign in again
    assert db.session.query(Official).filter_by(employee_code="CB1").one().status == "left"


def test_the_province_may_let_leavers_sign_in_as_learners(app, hr_official):
    app.config["LMS_LEFT_OFFICIALS_CAN_SIGN_IN"] = True
    leave()
    user = auth.authenticate("to@example.vn", PASSWORD)
    assert user is not None and user.role == "official"


def test_a_planned_leaving_takes_effect_on_its_day(runner, hr_official):
    leave(on="15/12/2026", today=date(2026, 11, 30))
    db.session.expire_all()
    assert db.session.get(User, hr_official.id).role == "unit_manager"  # not yet
    result = runner.invoke(args=["units", "refresh", "--today", "2026-12-15"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(User, hr_official.id).role == "official"
