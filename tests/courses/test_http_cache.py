"""HTTP caching of learner pages and static files (lms/http_cache.py).

Anonymous home, catalogue, course and lesson pages carry a weak ETag and a
Last-Modified and answer 304 to a browser revalidating its copy; the validator
changes when a course is re-synced and when the language changes; signed-in pages
are never given one and stay ``no-store``. A page rendered once is kept and sent
again as it is, without a cookie (the language switch needs no token); a kept page
with a form gets each session's own CSRF token. Static URLs carry their content hash
and are cached for a year, ``immutable``.
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask import render_template_string, template_rendered
from flask_wtf.csrf import generate_csrf

from lms.courses.logic import published_course_or_404
from lms.courses.sync import sync_courses
from lms.extensions import db
from lms.headers import CONTENT_SECURITY_POLICY
from lms.http_cache import (
    CSRF_PLACEHOLDER,
    STATIC_IMMUTABLE_MAX_AGE,
    STATIC_SHORT_MAX_AGE,
    anonymous_page,
    page_cache,
)
from lms.util.time import utcnow
from tests.builders import write_course
from tests.conftest import csrf_token, login, statements

COURSE = "/courses/ky-nang-so-co-ban"
LESSON = f"{COURSE}/lessons/bai-mo-dau"
ANONYMOUS_PAGES = ["/", "/courses/", "/courses/?q=ky+nang", COURSE, LESSON]
STATIC = Path(__file__).resolve().parents[2] / "static"
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def revalidate(client, url: str, response):
    return client.get(url, headers={"If-None-Match": response.headers["ETag"]})


def count_statements(request) -> int:
    db.session.remove()
    with statements() as seen:
        request()
    return len(seen)


@pytest.mark.parametrize("url", ANONYMOUS_PAGES)
def test_anonymous_pages_answer_304_to_the_same_etag(client, course, url):
    first = client.get(url)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')
    assert first.headers["Last-Modified"]
    cache_control = first.headers["Cache-Control"]
    assert "private" in cache_control and "no-cache" in cache_control
    assert "no-store" not in cache_control
    assert "Cookie" in first.headers["Vary"]

    again = revalidate(client, url, first)
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == etag
    assert again.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    by_date = client.get(url, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert by_date.status_code == 304
    # A different validator gets the page.
    assert client.get(url, headers={"If-None-Match": 'W/"autre"'}).status_code == 200


def test_a_304_reads_neither_lessons_nor_templates(client, course):
    first = client.get(LESSON)
    statements = count_statements(lambda: revalidate(client, LESSON, first))
    assert statements == 1  # the catalogue's version


@pytest.mark.parametrize("url", ANONYMOUS_PAGES)
def test_a_kept_page_is_sent_as_it_was_kept_to_every_visitor_without_a_cookie(app, course,
                                                                              url):
    first, second = app.test_client(), app.test_client()
    page = first.get(url)
    rendered = []
    template_rendered.connect(lambda *_a, **_k: rendered.append(1), app, weak=False)
    statements = count_statements(lambda: second.get(url))
    again = second.get(url)
    assert rendered == [] and statements == 1
    assert again.get_data() == page.get_data()
    assert CSRF_PLACEHOLDER not in again.get_data(as_text=True)
    # Nothing of a session: no token in the page, no cookie set.
    assert not TOKEN.search(again.get_data(as_text=True))
    assert "Set-Cookie" not in page.headers and "Set-Cookie" not in again.headers
    # The language switch on the kept page works without a token.
    switched = second.post("/lang", data={"lang": "en", "next": url})
    assert switched.status_code == 302
    assert '<html lang="en">' in second.get(url).get_data(as_text=True)
    assert '<html lang="vi">' in first.get(url).get_data(as_text=True)


@pytest.mark.parametrize("headers", [{"Sec-Fetch-Site": "cross-site"},
                                     {"Sec-Fetch-Site": "same-site"},
                                     {"Origin": "https://evil.example"}])
def test_a_language_switch_started_by_another_site_is_ignored(client, course, headers):
    response = client.post("/lang", data={"lang": "en", "next": COURSE}, headers=headers)
    assert response.status_code == 302
    assert '<html lang="vi">' in client.get(COURSE).get_data(as_text=True)
    client.post("/lang", data={"lang": "en", "next": COURSE},
                headers={"Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"})
    assert '<html lang="en">' in client.get(COURSE).get_data(as_text=True)


def test_course_pages_ask_the_database_at_most_once_per_check_interval(app, course,
                                                                        monkeypatch):
    """With LMS_CONTENT_CHECK_SECONDS (production: 5) a kept page is sent without a
    statement; a sync in this process shows at once, one in another process (seen here
    as a course row changed behind the app's back) once the interval has passed."""
    from lms.util import recheck

    clock = [1000.0]
    monkeypatch.setattr(recheck.time, "monotonic", lambda: clock[0])
    app.config["LMS_CONTENT_CHECK_SECONDS"] = 5
    client = app.test_client()
    first = client.get(COURSE)
    assert count_statements(lambda: client.get(COURSE)) == 0
    assert count_statements(lambda: revalidate(client, COURSE, first)) == 0

    row = published_course_or_404("ky-nang-so-co-ban")
    row.title, row.synced_at = "Kỹ năng số (sửa ở máy khác)", utcnow() + timedelta(seconds=1)
    db.session.commit()
    assert "sửa ở máy khác" not in client.get(COURSE).get_data(as_text=True)
    clock[0] += 5.1
    assert "sửa ở máy khác" in client.get(COURSE).get_data(as_text=True)


def test_a_resynced_course_has_a_new_etag(client, course, courses_dir):
    course_page, lesson_page, catalogue = (client.get(u) for u in (COURSE, LESSON, "/courses/"))
    write_course(courses_dir, lessons=["Bài mở đầu", "Bài thực hành", "Bài mới thêm"])
    sync_courses(courses_dir)
    db.session.commit()
    for url, before in ((COURSE, course_page), (LESSON, lesson_page), ("/courses/", catalogue)):
        after = revalidate(client, url, before)
        assert after.status_code == 200, url
        assert after.headers["ETag"] != before.headers["ETag"], url
    assert "Bài mới thêm" in client.get(COURSE).get_data(as_text=True)


def test_the_catalogue_etag_changes_when_a_course_is_added_or_unpublished(client, course,
                                                                           courses_dir):
    before = client.get("/courses/")
    write_course(courses_dir, "dich-vu-cong", title="Dịch vụ công")
    sync_courses(courses_dir)
    db.session.commit()
    added = revalidate(client, "/courses/", before)
    assert added.status_code == 200 and "Dịch vụ công" in added.get_data(as_text=True)
    for folder in (courses_dir / "dich-vu-cong").iterdir():
        folder.unlink()
    (courses_dir / "dich-vu-cong").rmdir()
    sync_courses(courses_dir)
    db.session.commit()
    removed = revalidate(client, "/courses/", added)
    assert removed.status_code == 200 and "Dịch vụ công" not in removed.get_data(as_text=True)
    assert revalidate(client, "/", client.get("/")).status_code == 304


def test_the_catalogue_changes_even_when_an_earlier_sync_ran_on_a_clock_ahead(
        client, course, courses_dir):
    write_course(courses_dir, "dich-vu-cong", title="Dịch vụ công")
    sync_courses(courses_dir)
    ahead = published_course_or_404("ky-nang-so-co-ban")
    ahead.synced_at = utcnow() + timedelta(days=1)  # synced by a machine a day ahead
    db.session.commit()
    before = client.get("/courses/")
    write_course(courses_dir, "dich-vu-cong", title="Dịch vụ công trực tuyến")
    sync_courses(courses_dir)
    db.session.commit()
    assert published_course_or_404("dich-vu-cong").synced_at > ahead.synced_at
    after = revalidate(client, "/courses/", before)
    assert after.status_code == 200
    assert "Dịch vụ công trực tuyến" in after.get_data(as_text=True)


def test_changing_the_language_changes_the_etag(client, course):
    vietnamese = client.get(COURSE)
    client.post("/lang", data={"lang": "en", "next": COURSE})
    english = revalidate(client, COURSE, vietnamese)
    assert english.status_code == 200
    assert '<html lang="en">' in english.get_data(as_text=True)
    assert english.headers["ETag"] != vietnamese.headers["ETag"]
    assert revalidate(client, COURSE, english).status_code == 304


def test_a_kept_page_with_a_form_gets_each_sessions_own_token(app):
    """A kept page holding a form (none of the learner pages today) is sent with the
    session's own CSRF token, and one session's validator never revalidates it for
    another."""
    form = '<form method="post"><input name="csrf_token" value="{{ csrf_token() }}"></form>'
    app.add_url_rule("/with-a-form", "with_a_form", lambda: anonymous_page(
        lambda: (("f",), None), lambda: render_template_string(form)))
    first, second = app.test_client(), app.test_client()
    page = first.get("/with-a-form")
    other = second.get("/with-a-form")
    tokens = [TOKEN.search(r.get_data(as_text=True)).group(1) for r in (page, other)]
    assert tokens[0] != tokens[1] and CSRF_PLACEHOLDER not in tokens
    assert revalidate(first, "/with-a-form", page).status_code == 304
    assert revalidate(second, "/with-a-form", page).status_code == 200


def test_signed_in_pages_are_never_cached_or_revalidated(client, course, citizen):
    anonymous = {url: client.get(url) for url in ANONYMOUS_PAGES}
    assert login(client, "dan@example.vn").status_code == 302
    for url, response in anonymous.items():
        personal = revalidate(client, url, response)
        assert personal.status_code == 200, url
        assert "ETag" not in personal.headers, url
        assert "Last-Modified" not in personal.headers, url
        assert personal.headers["Cache-Control"] == "no-store", url
    for url in ("/my", f"{COURSE}/quiz"):
        response = client.get(url)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"
        assert "ETag" not in response.headers


def test_a_page_showing_a_flashed_message_is_not_revalidated(client, course, citizen):
    login(client, "dan@example.vn")
    client.post("/logout", data={"csrf_token": csrf_token(client)})  # flashes "đã đăng xuất"
    shown = client.get("/")
    assert "Bạn đã đăng xuất." in shown.get_data(as_text=True)
    assert "ETag" not in shown.headers
    assert "ETag" in client.get("/").headers


def test_pages_link_fingerprinted_static_files(client, course):
    page = client.get(COURSE).get_data(as_text=True)
    for name in ("css/app.css", "js/app.js", "favicon.svg"):
        digest = hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:12]
        assert f"/static/{name}?v={digest}" in page, name
    assert not re.search(r'/static/[^"?]+"', page), "a static URL without its hash"


def test_fingerprinted_static_files_are_immutable_for_a_year(client):
    page = client.get("/").get_data(as_text=True)
    url = re.search(r'href="(/static/css/app\.css\?v=[0-9a-f]{12})"', page).group(1)
    response = client.get(url)
    assert response.status_code == 200
    cache_control = response.cache_control
    assert cache_control.public and cache_control.immutable
    assert cache_control.max_age == STATIC_IMMUTABLE_MAX_AGE == 31536000
    assert not cache_control.no_cache
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    response.close()


@pytest.mark.parametrize("query", ["", "?v=000000000000"])
def test_unfingerprinted_or_outdated_static_urls_get_a_short_cache(client, query):
    response = client.get(f"/static/css/app.css{query}")
    assert response.status_code == 200
    cache_control = response.cache_control
    assert cache_control.max_age == STATIC_SHORT_MAX_AGE
    assert not cache_control.immutable
    assert "no-store" not in response.headers["Cache-Control"]
    response.close()


def test_signed_in_users_get_the_same_static_caching(client, citizen):
    login(client, "dan@example.vn")
    page = client.get("/my").get_data(as_text=True)
    url = re.search(r'src="(/static/js/app\.js\?v=[0-9a-f]{12})"', page).group(1)
    response = client.get(url)
    assert response.cache_control.immutable
    assert "no-store" not in response.headers["Cache-Control"]
    response.close()


def test_only_pages_whose_token_is_the_placeholder_are_kept(app):
    """A token written by the template's csrf_token() is the placeholder in the kept
    page; one written any other way (a form's hidden_tag()) is the session's own, and
    that page is never kept."""
    with app.test_request_context("/courses/"):
        template = '<input name="csrf_token" value="{{ csrf_token() }}">'
        sent = anonymous_page(lambda: (("a",), None), lambda: render_template_string(template))
        assert CSRF_PLACEHOLDER in next(iter(page_cache(app).pages.values()))
        assert CSRF_PLACEHOLDER not in sent.get_data(as_text=True)
        page_cache(app).clear()
        anonymous_page(lambda: (("b",), None), lambda: f'<input value="{generate_csrf()}">')
        assert not page_cache(app).pages


class _Clock:
    """A clock for itsdangerous that moves on five seconds each time it is read: a
    token signed again would differ from the last."""

    def __init__(self) -> None:
        import time

        self.now = time.time()

    def time(self) -> float:
        self.now += 5
        return self.now


def test_a_sessions_token_is_signed_once_a_minute_and_still_accepted(
        citizen_client, course, monkeypatch):
    import itsdangerous.timed

    import lms.http_cache as http_cache

    monkeypatch.setattr(itsdangerous.timed, "time", _Clock())
    pages = ["/my", f"{COURSE}/quiz", "/my", "/account"]  # kept, and forms of their own
    tokens = [csrf_token(citizen_client, page) for page in pages]
    assert len(set(tokens)) == 1
    clock = http_cache.time.monotonic() + http_cache.CSRF_REUSE_SECONDS + 1
    monkeypatch.setattr(http_cache.time, "monotonic", lambda: clock)
    assert csrf_token(citizen_client, "/my") != tokens[0]  # signed afresh: its age counts
    # The token reused from the first page still submits a form.
    response = citizen_client.post(f"{COURSE}/lessons/bai-mo-dau/done",
                                   data={"csrf_token": tokens[0]})
    assert response.status_code == 302


def test_each_session_keeps_its_own_signed_token(app, course, citizen):
    from tests.builders import make_user

    make_user("citizen", email="khac@example.vn", name="Người Khác")
    first, second = app.test_client(), app.test_client()
    login(first, "dan@example.vn")
    login(second, "khac@example.vn")
    token = csrf_token(first, "/my")
    assert csrf_token(second, "/my") != token
    assert csrf_token(first, "/my") == token
    # Signing out and in again starts a new token: the old one is not reused.
    first.post("/logout", data={"csrf_token": token})
    login(first, "dan@example.vn")
    assert csrf_token(first, "/my") != token
