"""The layout kept for anonymous visitors (lms/layout.py): a page put into the kept
layout is, byte for byte, the page Flask renders whole; and what differs per request
(the page's own blocks, the address the language switch returns to, a flashed
message, a signed-in user's menu) is never taken from another request."""

from __future__ import annotations

import pytest
from flask import render_template

from lms.layout import render_page
from lms.learning.logic import verify_certificate
from lms.util.time import local_today
from tests.builders import make_user

PAGES = [
    ("learning/verify.html", {"code": "", "certificate": None}),
    ("learning/verify.html", {"code": "KHONG-CO", "certificate": None}),
    ("main/help.html", {}),
    ("errors/error.html", {"code": 404, "title": "Không tìm thấy", "message": "<b>x</b>"}),
]


@pytest.mark.parametrize(("template", "context"), PAGES)
@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_page_in_the_kept_layout_is_the_page_rendered_whole(app, template, context,
                                                              language):
    path = "/verify?code=<script>&x=\"1\""
    with app.test_request_context(path):
        from flask import session

        session["lang"] = language
        whole = render_template(template, **context)
        kept_twice = [render_page(template, **context) for _ in range(2)]
    assert kept_twice == [whole, whole]
    assert "&lt;script&gt;" in whole and "<script>&" not in whole


def test_each_request_gets_its_own_return_address(app):
    with app.test_request_context("/verify/AAAA"):
        first = render_page("learning/verify.html", code="AAAA", certificate=None)
    with app.test_request_context("/verify/BBBB"):
        second = render_page("learning/verify.html", code="BBBB", certificate=None)
    assert 'name="next" value="/verify/AAAA"' in first
    assert 'name="next" value="/verify/BBBB"' in second and "AAAA" not in second


def test_a_flashed_message_shows_in_the_page_and_not_after(app):
    client = app.test_client()
    client.get("/verify")  # the layout is kept
    with client.session_transaction() as session:  # what a redirect flashed
        session["_flashes"] = [("success", "Đã gửi thư.")]
    shown = client.get("/verify").get_data(as_text=True)
    after = client.get("/verify").get_data(as_text=True)
    assert "Đã gửi thư." in shown and "Đã gửi thư." not in after


def test_a_signed_in_visitor_gets_their_own_menu(app, client):
    from tests.conftest import login

    make_user("citizen", email="dan@example.vn", name="Trần Thị Bình")
    client.get("/verify")  # an anonymous visitor's page keeps the layout
    login(client, "dan@example.vn")
    page = client.get("/verify").get_data(as_text=True)
    assert "Đăng xuất" in page and "Khóa học của tôi" in page
    assert "Đăng nhập" not in page.split("<main", 1)[0]


def test_verification_shows_the_certificate(app, citizen_client, course, citizen):
    from lms.extensions import db
    from lms.learning import logic

    completion = logic.record_completion(db.session.merge(citizen), course)
    db.session.commit()
    found = verify_certificate(completion.code.lower(), local_today())
    assert found.learner == "Trần Thị Bình" and found.course == course.title
    assert found.name_self_declared and found.valid
    page = app.test_client().get(f"/verify/{completion.code}").get_data(as_text=True)
    assert "Chứng nhận hợp lệ." in page and "Trần Thị Bình (tự khai" in page


@pytest.mark.parametrize("role", ["citizen", "official", "unit_manager", "admin"])
@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_signed_in_page_in_the_kept_layout_is_the_page_rendered_whole(app, role,
                                                                         language):
    from flask import session
    from flask_login import login_user

    from lms.auth.twofactor import mark_passed

    users = [make_user(role, email=f"{role}{n}@example.vn", name=f"Người {n}")
             for n in (1, 2)]
    for user in users:  # the layout kept for the first is the second's, but for the id
        with app.test_request_context("/verify?x=<i>"):
            session["lang"] = language
            login_user(user)
            mark_passed(user)
            whole = render_template("main/help.html")
            kept = render_page("main/help.html")
        assert kept == whole
        assert f'data-user="{user.id}"' in kept and 'action="/logout"' in kept


def test_a_layout_that_shows_more_of_the_account_is_never_kept(app, monkeypatch):
    """Were base.html to show the account's name, a layout kept for a role would show
    one person's name to another: it is then rendered whole for each."""
    from flask_login import login_user

    import lms.layout as layout

    monkeypatch.setattr(layout, "SHELL", layout.SHELL.replace(
        "{% block content %}", "{% block content %}{{ current_user.full_name }}"))
    for name in ("Nguyễn Văn An", "Trần Thị Bình"):
        user = make_user("citizen", email=f"{len(name)}{name[-1]}@example.vn", name=name)
        with app.test_request_context("/help"):
            login_user(user)
            page = render_page("main/help.html")
        assert page == render_template_whole(app, user)
    assert not app.extensions.get("lms_layout_shells")


def render_template_whole(app, user) -> str:
    from flask_login import login_user

    with app.test_request_context("/help"):
        login_user(user)
        return render_template("main/help.html")


def test_a_learner_asked_to_verify_their_email_gets_their_own_reminder(app, client):
    from tests.conftest import login

    make_user("citizen", email="moi@example.vn", name="Người Mới")  # not verified
    login(client, "moi@example.vn")
    page = client.get("/courses/").get_data(as_text=True)
    assert "Hãy xác nhận email moi@example.vn" in page
