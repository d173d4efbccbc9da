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
from tests.conftest import statements

NOT_FOUND = {"found": False, "self_declared": False, "valid": False, "learner": "",
             "course": "", "completed_on": "", "number": ""}
PAGES = [
    ("learning/verify.html", dict(NOT_FOUND, code="")),
    ("learning/verify.html", dict(NOT_FOUND, code="KHONG-CO")),
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
        first = render_page("learning/verify.html", **dict(NOT_FOUND, code="AAAA"))
    with app.test_request_context("/verify/BBBB"):
        second = render_page("learning/verify.html", **dict(NOT_FOUND, code="BBBB"))
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
    with statements(compact=True) as seen:  # the driver's cursor: still announced
        page = app.test_client().get(f"/verify/{completion.code}").get_data(as_text=True)
    assert "Chứng nhận hợp lệ." in page and "Trần Thị Bình (tự khai" in page
    assert completion.completed_on.strftime("%d/%m/%Y") in page  # a date, not ISO text
    assert len(seen) == 1 and "FROM completions JOIN users" in seen[0]


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
    make_user("citizen", email="khac@example.vn", name="Người Khác")
    login(client, "moi@example.vn")
    page = client.get("/courses/").get_data(as_text=True)
    assert "Hãy xác nhận email moi@example.vn" in page
    other = app.test_client()
    login(other, "khac@example.vn")
    page = other.get("/courses/").get_data(as_text=True)  # the same kept layout
    assert "Hãy xác nhận email khac@example.vn" in page and "moi@" not in page


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_layout_with_the_email_reminder_is_the_layout_rendered_whole(app, language):
    from flask import session
    from flask_login import login_user

    from lms.auth.twofactor import mark_passed
    from lms.recovery.logic import needs_verification

    users = [make_user("citizen", email=email, name="Người Mới")
             for email in ("moi@example.vn", "o'brien+<b>@example.vn")]
    for user in users * 2:
        assert needs_verification(user)
        with app.test_request_context("/help"):
            session["lang"] = language
            login_user(user)
            mark_passed(user)
            whole = render_template("main/help.html")
            assert render_page("main/help.html") == whole
    assert "o&#39;brien+&lt;b&gt;@example.vn" in whole
    assert any(key[3] for key in app.extensions["lms_layout_shells"])  # kept, reminded


# --- a page's own blocks kept with slots (render_with_slots) ----------------------------

VERIFICATIONS = [  # (slots, context) as the verification page gives them
    ({"code": "", "learner": "", "course": "", "completed_on": "", "number": ""},
     {"found": False, "self_declared": False, "valid": False}),
    ({"code": "<b>\"ma\"</b>", "learner": "", "course": "", "completed_on": "", "number": ""},
     {"found": False, "self_declared": False, "valid": False}),
    ({"code": "abcd-efgh", "learner": "Trần <Thị> Bình", "course": "An toàn & bảo mật",
      "completed_on": "01/06/2026", "number": "ABCD-EFGH"},
     {"found": True, "self_declared": True, "valid": True}),
    ({"code": "WXYZ", "learner": "Lê Văn 'An'", "course": "Kỹ năng số",
      "completed_on": "02/01/2024", "number": "WXYZ"},
     {"found": True, "self_declared": False, "valid": False}),
]


@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_page_with_its_slots_filled_is_the_page_rendered_whole(app, language):
    from flask import session

    from lms.layout import render_with_slots

    pages = []
    for slots, context in VERIFICATIONS * 2:  # the second time from what was kept
        with app.test_request_context(f"/verify/{slots['code'] or 'x'}?a=<1>"):
            session["lang"] = language
            whole = render_template("learning/verify.html", **slots, **context)
            pages.append(render_with_slots("learning/verify.html", slots, **context))
            assert pages[-1] == whole
    assert "Trần &lt;Thị&gt; Bình" in pages[2] and "Lê Văn &#39;An&#39;" in pages[3]
    assert 'value="&lt;b&gt;&#34;ma&#34;&lt;/b&gt;"' in pages[1]


def test_a_slot_shown_through_a_filter_is_not_kept(app, monkeypatch):
    from jinja2 import ChoiceLoader, DictLoader

    from lms.layout import render_with_slots

    page = ("{% extends 'base.html' %}{% block content %}<p>{{ name|upper }}</p>"
            "{% endblock %}")
    monkeypatch.setattr(app.jinja_env, "loader", ChoiceLoader(
        [DictLoader({"slotted.html": page}), app.jinja_env.loader]))
    with app.test_request_context("/"):
        first = render_with_slots("slotted.html", {"name": "an"})
    with app.test_request_context("/"):
        second = render_with_slots("slotted.html", {"name": "bình"})
    assert "<p>AN</p>" in first and "<p>BÌNH</p>" in second


def test_the_verification_page_shows_each_certificate_its_own(app, client, course):
    from lms.extensions import db
    from lms.learning import logic

    first = make_user("citizen", email="mot@example.vn", name="Nguyễn Văn Một")
    second = make_user("official", email="hai@example.vn", name="Trần Thị <Hai>")
    codes = [logic.record_completion(user, course).code for user in (first, second)]
    db.session.commit()
    pages = [client.get(f"/verify/{code.lower()}").get_data(as_text=True) for code in codes]
    again = client.get(f"/verify?code={codes[0]}").get_data(as_text=True)
    assert "Nguyễn Văn Một (tự khai" in pages[0] and "Hai" not in pages[0]
    assert "Trần Thị &lt;Hai&gt;</dd>" in pages[1] and "Một" not in pages[1]
    assert codes[0] in again and "Nguyễn Văn Một" in again
    missing = client.get("/verify/KHONG-CO-MA")
    assert missing.status_code == 404 and "Không tìm thấy" in missing.get_data(as_text=True)
