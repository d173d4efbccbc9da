"""A learner downloads everything held about them and can have their account
anonymised; aggregate figures stay right; officials' records are kept."""

from __future__ import annotations

import json

from sqlalchemy import select

from lms.auth.models import User
from lms.extensions import db
from lms.learning.models import Completion, QuizAttempt
from lms.org.logic import unit_by_code
from lms.reports.learners import learner_stats
from tests.builders import RIGHT_ANSWERS, load_roster, load_units, make_user
from tests.conftest import login, post_form
from tests.learning.test_quiz import finish_lessons, submit


def learner_who_finished(client, course) -> User:
    load_units([["Mã đơn vị", "Tên đơn vị", "Cấp", "Mã đơn vị cấp trên"],
                ["NA", "Tỉnh Nghệ An", "Tỉnh", ""], ["X1", "Xã Nghi Lộc", "Xã", "NA"]])
    user = make_user("citizen", email="mai@example.vn", phone="0987111222",
                     name="Lò Thị Mai", unit=unit_by_code("X1"))
    login(client, "mai@example.vn")
    finish_lessons(client, course)
    submit(client, {**RIGHT_ANSWERS, "bon": "156 (số của tôi 0987111222)"})
    return user


def test_the_download_holds_account_progress_answers_and_certificates(client, course):
    learner_who_finished(client, course)
    response = client.get("/account/data.json")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert data["account"]["full_name"] == "Lò Thị Mai"
    assert data["account"]["email"] == "mai@example.vn"
    assert data["account"]["unit"] == "Xã Nghi Lộc"
    assert len(data["lessons_done"]) == 2
    [attempt] = data["quiz_attempts"]
    assert attempt["passed"] and "0987111222" in attempt["answers"]["bon"]
    [completion] = data["completions"]
    assert completion["course"] == "Kỹ năng số cơ bản"
    assert completion["certificate_code"] == db.session.scalar(select(Completion.code))
    assert data["official_record"] is None


def test_deletion_anonymises_and_keeps_the_figures(app, client, course):
    user = learner_who_finished(client, course)
    code = db.session.scalar(select(Completion.code))
    stats_before = learner_stats(None)
    page = post_form(client, "/account/delete", {"password": "sai-mat-khau", "confirm": "y"},
                     token_from="/account/data")
    assert page.status_code == 400 and "Mật khẩu không đúng." in page.get_data(as_text=True)
    page = post_form(client, "/account/delete", {"password": "mat-khau-thu-2026"},
                     token_from="/account/data")
    assert "Hãy đánh dấu ô xác nhận." in page.get_data(as_text=True)

    done = post_form(client, "/account/delete", {"password": "mat-khau-thu-2026",
                                                 "confirm": "y"}, token_from="/account/data")
    assert done.status_code == 302
    assert client.get("/my").status_code == 302  # signed out
    db.session.expire_all()
    stored = db.session.get(User, user.id)
    assert (stored.email, stored.phone, stored.password_hash) == (None, None, None)
    assert "Lò Thị Mai" not in stored.full_name and stored.anonymised_at is not None
    assert db.session.scalar(select(QuizAttempt.responses)) is None  # free text gone
    assert learner_stats(None) == stats_before  # the commune's figures are unchanged
    verify = client.get(f"/verify/{code}").get_data(as_text=True)
    assert "Lò Thị Mai" not in verify
    assert login(client, "mai@example.vn").status_code == 200  # the account is gone
    # Someone else may now register with that email.
    make_user("citizen", email="mai@example.vn")


def test_officials_cannot_delete_and_are_told_why(app, client):
    load_units()
    load_roster([["CB1", "Nguyễn Văn An", "SNV", "công chức", "", "", "", "an@snv.vn", "", "",
                  ""]])
    from lms.auth import logic as auth

    auth.set_password(auth.grant_role("CB1", "official"), "mat-khau-can-bo")
    db.session.commit()
    login(client, "CB1", "mat-khau-can-bo")
    page = client.get("/account/data").get_data(as_text=True)
    assert "hồ sơ bồi dưỡng được lưu theo quy định" in page
    assert "Xóa tài khoản của tôi" not in page
    refused = post_form(client, "/account/delete", {"password": "mat-khau-can-bo",
                                                    "confirm": "y"}, token_from="/account/data")
    assert refused.status_code == 403
    data = json.loads(client.get("/account/data.json").get_data(as_text=True))
    assert data["official_record"]["employee_code"] == "CB1"
