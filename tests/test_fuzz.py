"""Fuzzing every form and query parameter: whatever arrives, the answer is never a 500.

Hypothesis sends Vietnamese text (NFC and NFD), huge strings, control
characters, formula-leading and SQL/HTML-ish strings, out-of-range and
non-numeric numbers, malformed dates and unknown enum values to every form
field, query parameter, path segment and uploaded file, signed in as the role
each route is for. An exception escaping the app fails the test too (TESTING
propagates it). Most examples send one or two odd values among sound ones, so
the odd value gets past the first check and deep into the code.

The conftest gives each test function a fresh database and Hypothesis runs all
the examples of a test inside that one function: each test builds its data
once, and its examples only read it or repeat the same change.
"""

from __future__ import annotations

import io
import os
import re
import unicodedata
from datetime import date
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from werkzeug.security import generate_password_hash

from lms.auth import logic as auth_logic
from lms.auth.activation import invite
from lms.courses.logic import published_course_or_404
from lms.courses.sync import sync_courses
from lms.extensions import db, limiter
from lms.learning.logic import record_completion
from lms.org.logic import unit_by_code
from lms.org.models import Official
from lms.reports.tokens import create_token
from tests.builders import (
    PASSWORD,
    ROSTER_HEADER,
    UNITS_FILE,
    csv_bytes,
    load_roster,
    load_units,
    make_user,
    write_course,
    xlsx_bytes,
)
from tests.conftest import CSRF_INPUT, login

# In CI (LMS_FAIL_ON_SKIP) the examples are derived from each test, so a red build is
# reproducible and not the luck of the draw; local runs explore new random inputs.
FUZZ = settings(max_examples=40, deadline=None,
                derandomize=bool(os.environ.get("LMS_FAIL_ON_SKIP")),
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])
FEW = settings(FUZZ, max_examples=30)

# --- inputs ----------------------------------------------------------------------------

VIETNAMESE = ["Nguyễn Văn Ạn", "Trần Thị Bình", "Xã Nghi Lộc", "Kỹ năng số cơ bản", "Đắk Lắk",
              "Sở Nội vụ", "ỷ ỹ ự ữ ẵ", "Phường Trường Thi", "đ Đ", "Thị trấn Con Cuông",
              "Hãy nhập mật khẩu", "tran van", "NGUYỄN"]
CONTROLS = ["\x00", "\r", "\n", "\r\n", "\t", "\x1b", "\x1b[31m", "\u202e", "\x7f", "\x08",
            "\ufeff", "\u200b", "\x85", "\u2028", "\x0c", "\x0b"]
FORMULAS = ["=", "+", "-", "@", '=HYPERLINK("http://x")', "=1+1", "+84912345678", "-5",
            "@SUM(A1)", "=cmd|' /C calc'!A0"]
INJECTIONS = ["' OR '1'='1", "'; DROP TABLE users; --", '" OR ""="', "%", "_", "%_%", "\\",
              "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "{{7*7}}",
              "{% raw %}", "${7*7}", "../../../etc/passwd", "%00", "%2e%2e%2f",
              "javascript:alert(1)", "//evil.example", "/\\evil.example",
              "https://evil.example", "NULL", "None", "null", "true", "[]", "{}", "a@b",
              "@", "@@", " ", "", "_x0000_", "_x001B_"]
# Characters that grow when lower-cased or folded, astral planes, combining marks.
ODD = ["İ", "ẞ", "ß", "ﬁ", "한국어", "𝔘𝔫𝔦", "👩‍👩‍👧", "e\u0301", "\u0300", "ᴀ", "\uffff",
       "\U0010ffff", "Ω", "ǅ"]
NUMBERS = ["99999999999999999999999999", "0", "-1", "-99999999999999999999", "1", "2", "3",
           str(2**63), str(2**31), str(2**63 - 1), "1e9", "1.5", "NaN", "inf", "-0", "０１２",
           "١٢", "²", "0x10", " 3 ", "1_000", "abc", "9" * 400]
DATES = ["0001-01-01", "0001-06-30", "9999-12-31", "2026-02-30", "99999-01-01", "0001-12-31",
         "9999-12-01", "2026-13-01", "2026-00-10", "20260630", "2026-W01-1",
         "2026-06-30T12:00", "30/06/2026", "2026-6-3", "-2026-01-01", "  2026-06-30  ",
         "1900-01-01", "2026-06-30", "0000-00-00", "2026-06-30\x00", "１９９９-01-01"]


def _normalised(text: str, form: str) -> str:
    return unicodedata.normalize(form, text)


def _repeat(chunk: str, size: int) -> str:
    chunk = chunk or "x"
    return (chunk * (size // len(chunk) + 1))[:size]


atoms = st.one_of(
    st.builds(_normalised, st.sampled_from(VIETNAMESE), st.sampled_from(["NFC", "NFD"])),
    st.sampled_from(CONTROLS),
    st.sampled_from(FORMULAS),
    st.sampled_from(INJECTIONS),
    st.sampled_from(ODD),
    st.sampled_from(NUMBERS),
    st.sampled_from(DATES),
    st.text(max_size=12),  # Hypothesis never draws lone surrogates: they cannot be sent
)
mixed = st.lists(atoms, min_size=1, max_size=6).map("".join)
text = st.one_of(atoms, mixed, st.builds(_repeat, atoms, st.integers(10_000, 100_000)))
# Servers refuse request lines over a few KB (gunicorn: 4094 bytes), and the test
# client decodes a long URL slowly: URLs get 10-20k characters at most.
url_text = st.one_of(atoms, mixed, st.builds(_repeat, atoms, st.integers(10_000, 20_000)))


def ok(*values):
    """A value a browser would send."""
    return st.sampled_from(values)


def opt(*values):
    """A value a browser would send, or the parameter left out."""
    return st.one_of(st.none(), st.sampled_from(values))


def _spoil(value: str | None, how: str, atom: str, size: int) -> str:
    value = value or ""
    if how == "insert":
        return value[:len(value) // 2] + atom + value[len(value) // 2:]
    if how == "prefix":
        return atom + value
    if how == "suffix":
        return value + atom
    if how == "nfd":
        return unicodedata.normalize("NFD", value).upper()
    if how == "huge":
        return _repeat(value + atom, size)
    return atom


hostile = st.one_of(st.sampled_from(CONTROLS), st.sampled_from(FORMULAS),
                    st.sampled_from(INJECTIONS), st.sampled_from(ODD), atoms)


def spoiled(sound, *, url: bool = False):
    """A sound value with a control character, formula sign, SQL or HTML put into it,
    decomposed (NFD) and upper-cased, blown up to a huge string, or replaced."""
    return st.builds(_spoil, sound, st.sampled_from(["insert", "prefix", "suffix", "nfd",
                                                     "huge", "replace"]),
                     hostile, st.integers(10_000, 20_000 if url else 100_000))


# Hypothesis leans towards the ends of a range: years 1 and 9999, 0 and 2**64.
page_numbers = st.one_of(st.sampled_from(NUMBERS), st.integers().map(str),
                         spoiled(ok("1"), url=True))
dates = st.one_of(st.sampled_from(DATES), st.dates().map(date.isoformat),
                  spoiled(ok("2026-06-30"), url=True))


def fields(*, url: bool = False, **spec):
    """A dict of parameters: the sound value (or None: left out) for all but, usually,
    one or two, which get an odd one. ``name=sound`` spoils the sound value or sends
    anything; ``name=(sound, odd)`` says what odd is."""
    names = sorted(spec)
    anything = url_text if url else text

    def odd(name):
        if isinstance(spec[name], tuple):
            return spec[name][1]
        return st.one_of(spoiled(spec[name], url=url), anything)

    def build(odd_names):
        return st.fixed_dictionaries({name: odd(name) if name in odd_names else (
            spec[name][0] if isinstance(spec[name], tuple) else spec[name]) for name in names})

    return st.sets(st.sampled_from(names), max_size=2).flatmap(build).map(
        lambda values: {name: value for name, value in values.items() if value is not None})


def seg(value: str) -> str:
    """A path segment as a browser sends it: percent-encoded."""
    return quote(value, safe="")


# --- checks ----------------------------------------------------------------------------

SHOWN_ERROR = re.compile(rb'class="error"|role="alert"|class="flash flash-(warning|error)')


def answered(response):
    """Never a server error; reading the body also runs a streamed response to its end."""
    body = response.get_data()
    assert response.status_code < 500, body[:2000]
    return response


def form_answer(response):
    """A submitted form gets a redirect, a 4xx, or the same form with a visible message."""
    answered(response)
    if response.status_code == 200:
        assert SHOWN_ERROR.search(response.get_data()), "form re-rendered without a message"
    else:
        assert 300 <= response.status_code < 500
    return response


def preview_answer(response):
    """An upload gets a 4xx, an upload form with a message, or a preview that either
    lists the file's errors or offers to confirm."""
    answered(response)
    if response.status_code == 200:
        assert re.search(rb'class="error"|role="alert"|/imports/confirm/', response.get_data())
    elif 300 <= response.status_code < 400:
        # Only Werkzeug's own path clean-up ("/imports//x" merged to "/imports/x"),
        # which stays on the site; the upload itself is never answered by a redirect.
        assert "//" in response.request.path
        stays_on_site(response)
    else:
        assert 400 <= response.status_code < 500
    return response


def stays_on_site(response):
    if 300 <= response.status_code < 400:
        location = response.headers["Location"]
        # Werkzeug's own redirects (e.g. merging "//" in a path) name this host in full.
        on_site = location.removeprefix("http://localhost")
        assert on_site.startswith("/") and not on_site.startswith(("//", "/\\")), location
    return response


def token_of(client, path="/"):
    page = answered(client.get(path)).get_data(as_text=True)
    match = CSRF_INPUT.search(page)
    if match is None and path == "/":  # anonymous pages hold none: the sign-in page does
        match = CSRF_INPUT.search(answered(client.get("/login")).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def fresh_limits():
    """Every example starts with fresh sign-in allowances (else it measures the limiter)."""
    if limiter.enabled:
        limiter.reset()


def signed_in(app, identifier):
    fresh_limits()
    client = app.test_client()
    assert login(client, identifier).status_code == 302
    return client


def anonymous(app):
    fresh_limits()
    return app.test_client()


# --- the province ----------------------------------------------------------------------


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch):
    """scrypt costs ~0.3 s a call, far too slow for hundreds of sign-ins: the same
    code runs with a cheap hash."""
    monkeypatch.setattr(auth_logic, "hash_password",
                        lambda password: generate_password_hash(password, "pbkdf2:sha256:1"))
    monkeypatch.setattr(auth_logic, "_DUMMY_HASH",
                        generate_password_hash("not-a-real-password", "pbkdf2:sha256:1"))


@pytest.fixture
def world(app, courses_dir):
    """Units, officials with required courses, a course with a quiz for everyone, the
    accounts of every role, a certificate and an API token."""
    write_course(courses_dir, "co-ban", title="Cơ bản", quiz=False, due_days=30,
                 valid_days=365, required_for=[{"audience": "official"}])
    write_course(courses_dir, "lanh-dao", title="Lãnh đạo", quiz=False, due_days=60,
                 required_for=[{"audience": "official", "leaders": True}])
    write_course(courses_dir, "ky-nang-so-co-ban", audiences=["citizen", "business", "official"])
    sync_courses(courses_dir)
    load_units()
    load_roster([[f"CB{i:03d}", name, unit, "công chức", "", "có" if i == 0 else "", "", "", "",
                  "", ""]
                 for i, (name, unit) in enumerate([
                     ("Nguyễn Văn An", "SNV"), ("Lê Thị Bình", "SNV-TC"),
                     ("Trần Văn Cường", "X1"), ("Phạm Thị Dung", "X2")])], today=date(2026, 1, 1))
    make_user("admin", email="admin@example.vn")
    make_user("unit_manager", email="hr@snv.vn", unit=unit_by_code("SNV"))
    citizen = make_user("citizen", email="dan@example.vn", phone="0912000001")
    make_user("business", email="dn@example.vn")
    completion = record_completion(citizen, published_course_or_404("co-ban"))
    _record, api_token = create_token(unit_by_code("SNV"), "Hệ thống báo cáo")
    db.session.commit()
    return {"certificate": completion.code, "api_token": api_token, "citizen": citizen}


@pytest.fixture
def signed(app, world):
    """Signed-in clients made once per test and shared by its examples (which never
    change the session): ``signed("admin@example.vn")``."""
    clients = {}

    def client_of(identifier):
        if identifier not in clients:
            clients[identifier] = signed_in(app, identifier)
        return clients[identifier]

    return client_of


MANAGERS = st.sampled_from(["admin@example.vn", "hr@snv.vn"])

# --- sign-in, registration, passwords, activation --------------------------------------

NEXT = ("/courses/", "/my", "//evil.example", "/\\evil.example", "https://evil.example")


@FUZZ
@given(form=fields(identifier=ok("dan@example.vn", "0912000001", "+84 912 000 001", "CB001",
                                 "admin@example.vn"),
                   password=ok(PASSWORD, "sai-mat-khau"), next=opt(*NEXT), remember=opt("y")),
       query_next=st.one_of(st.none(), url_text))
def test_login(app, world, form, query_next):
    client = anonymous(app)
    answered(client.get("/login", query_string={"next": query_next} if query_next else {}))
    form["csrf_token"] = token_of(client, "/login")
    stays_on_site(form_answer(client.post("/login", data=form)))


registrations = fields(kind=ok("citizen", "business"),
                       full_name=ok("Nguyễn Thị Hoa", "HTX Nông nghiệp Đô Lương"),
                       email=opt("hoa@example.vn", "dan@example.vn", "İ" * 200),
                       phone=opt("0912345678", "+84 912 345 679", "0912000001"),
                       commune=opt("Xã Nghi Lộc", "nghi loc", "4"),
                       tax_code=opt("0100233488", "0101234567", "040090001234"),
                       business_type=opt("enterprise", "cooperative", "household", ""),
                       password=ok(PASSWORD), confirm=ok(PASSWORD),
                       consent=(ok("y"), st.one_of(st.none(), text)))


# Found by fuzzing: lower() lengthens "İ", past the email column on PostgreSQL.
@FUZZ
@example(form={"kind": "citizen", "full_name": "A", "email": "İ" * 200, "password": PASSWORD,
               "confirm": PASSWORD, "consent": "y"})
@given(form=registrations)
def test_register(app, world, form):
    client = anonymous(app)
    form["csrf_token"] = token_of(client, "/register")
    form_answer(client.post("/register", data=form))


@FEW
@given(form=registrations)
def test_register_before_any_unit_exists(app, form):
    """No communes: the commune field is not shown unless it has an error to show."""
    client = anonymous(app)
    form["csrf_token"] = token_of(client, "/register")
    form_answer(client.post("/register", data=form))


@FUZZ
@given(form=fields(current_password=ok(PASSWORD), password=ok("mat-khau-moi-2026"),
                   confirm=ok("mat-khau-moi-2026")))
def test_change_password(app, world, form):
    client = signed_in(app, "dan@example.vn")
    form["csrf_token"] = token_of(client, "/account/password")
    if form_answer(client.post("/account/password", data=form)).status_code == 302:
        auth_logic.set_password(world["citizen"], PASSWORD)  # changed: put it back
        db.session.commit()


@FUZZ
@given(form=fields(password=ok("chon-mat-khau-2026"), confirm=ok("chon-mat-khau-2026")),
       bad_token=url_text)
def test_activation(app, world, form, bad_token):
    official = db.session.query(Official).filter_by(employee_code="CB002").one()
    token = invite([official])[0].token  # a fresh link each time: activating uses it up
    db.session.commit()
    client = anonymous(app)
    form["csrf_token"] = token_of(client, f"/activate/{token}")
    form_answer(client.post(f"/activate/{token}", data=form))
    answered(client.get(f"/activate/{seg(bad_token)}"))
    form_answer(client.post(f"/activate/{seg(bad_token)}", data=form))


# --- learning --------------------------------------------------------------------------

answer_lists = st.lists(text, max_size=4)


# Found by fuzzing: an attempt id past any integer column, and "²" (isdigit, not int).
@FUZZ
@example(form={"attempt_id": ["9" * 30]}, unknown={})
@example(form={"attempt_id": ["²"]}, unknown={})
@given(form=fields(**{"q-mot": (opt(["0"], ["1"], ["2"]), answer_lists),
                      "q-hai": (opt(["0"], ["0", "2"], ["1", "2"]), answer_lists),
                      "q-ba": (opt(["true"], ["false"]), answer_lists),
                      "q-bon": (opt(["156"], ["113"]), answer_lists),
                      "q-nam": (opt(["VNeID"], ["vneid"]), answer_lists),
                      "attempt_id": (st.none(), page_numbers.map(lambda n: [n]))}),
       unknown=st.dictionaries(text, text, max_size=3))
def test_quiz_submission(signed, world, form, unknown):
    """The business learner never finishes the lessons, so no attempt completes the
    course and every example gets a fresh attempt."""
    client = signed("dn@example.vn")
    page = answered(client.get("/courses/ky-nang-so-co-ban/quiz")).get_data(as_text=True)
    data = MultiDict(list(unknown.items()))
    data["attempt_id"] = re.search(r'name="attempt_id"[^>]*value="(\d+)"', page).group(1)
    data["csrf_token"] = CSRF_INPUT.search(page).group(1)
    for name, values in form.items():
        data.setlist(name, values)
    response = stays_on_site(form_answer(client.post("/courses/ky-nang-so-co-ban/quiz",
                                                     data=data)))
    if response.status_code == 302:
        answered(client.get(response.headers["Location"]))


@FUZZ
@example(path={"slug": "ky-nang-so-co-ban", "lesson": "bai-mo-dau", "number": "9" * 30},
         extra={})
@given(path=fields(url=True, slug=ok("ky-nang-so-co-ban", "co-ban"),
                   lesson=ok("bai-mo-dau", "bai-thuc-hanh"), number=(ok("1", "2"), page_numbers)),
       extra=st.dictionaries(text, text, max_size=3))
def test_lesson_done_and_learning_pages(signed, world, path, extra):
    client = signed("dan@example.vn")
    slug, lesson, number = seg(path["slug"]), seg(path["lesson"]), seg(path["number"])
    extra["csrf_token"] = token_of(client)
    stays_on_site(form_answer(client.post(f"/courses/{slug}/lessons/{lesson}/done",
                                          data=extra)))
    answered(client.get(f"/courses/{slug}"))
    answered(client.get(f"/courses/{slug}/lessons/{lesson}"))
    answered(client.get(f"/courses/{slug}/files/{lesson}.png"))
    answered(client.get(f"/courses/{slug}/quiz/attempts/{number}"))
    answered(client.get(f"/certificates/{number}"))
    answered(client.get("/my"))


@FUZZ
@given(form=fields(lang=opt("vi", "en"), next=opt(*NEXT)))
def test_language_switch(app, world, form):
    client = anonymous(app)  # the switch posts no CSRF token (lms/main/views.py)
    assert stays_on_site(answered(client.post("/lang", data=form))).status_code in (302, 400)
    answered(client.get("/courses/"))


@FUZZ
@given(catalogue=fields(url=True, q=opt("kỹ năng", "ky nang", "KỸ"),
                        audience=opt("official", "citizen", "business"),
                        page=(opt("1", "2"), page_numbers)),
       code=fields(url=True, code=opt("ABCD-EFGH-JKLM", "real")))
def test_public_pages(app, world, catalogue, code):
    client = anonymous(app)
    answered(client.get("/courses/", query_string=catalogue))
    answered(client.get("/", query_string=catalogue))
    if code.get("code") == "real":
        code["code"] = world["certificate"].lower()
    answered(client.get("/verify", query_string=code))
    answered(client.get(f"/verify/{seg(code.get('code', ''))}"))


# --- organisation, reports, API (managers) ---------------------------------------------

UNIT_CODES = ("NA", "SNV", "SNV-TC", "X1", "X2")


# Found by fuzzing: an OFFSET past 64 bits; NUL, which PostgreSQL refuses in text.
@FUZZ
@example(query={"code": "NA", "page": "9" * 30}, manager="admin@example.vn", extra={})
@example(query={"code": "NA", "q": "Bình\x00"}, manager="admin@example.vn", extra={})
@given(query=fields(url=True, code=ok(*UNIT_CODES), q=opt("tran van", "CB00", "Bình"),
                    status=opt("overdue", "not_started", "in_progress", "done",
                               "no_requirement"),
                    page=(opt("1", "2"), page_numbers)),
       manager=MANAGERS, extra=st.dictionaries(text, text, max_size=2))
def test_unit_pages(signed, world, query, manager, extra):
    client = signed(manager)
    code = seg(query.pop("code"))
    answered(client.get(f"/units/{code}", query_string=query))
    answered(client.get("/units", query_string=query))
    # The activation links (a new link replaces the old: repeating changes nothing more).
    links = answered(client.post(f"/units/{code}/invitations",
                                 data={**extra, "csrf_token": token_of(client)}))
    # An empty code makes "/units//invitations", which is not the invitations route at all
    # (Werkzeug merges the slashes into "/units/invitations", a unit page: GET only).
    refused = (400, 404, 405) if not code else (400, 404)
    assert links.status_code in refused or links.mimetype == "text/csv"


REPORTS = ("/reports", "/reports/untrained", "/reports/untrained.csv", "/reports/export.csv",
           "/reports/export.xlsx", "/reports/export.json", "/reports/learners",
           "/reports/trend.svg")


# Found by fuzzing: dates that overflow counting back (validity, month ends) or
# forward (due dates), an OFFSET past 64 bits, NUL in a unit code.
@settings(FUZZ, max_examples=60)
@example(query={"path": "/reports", "as_of": "0001-01-01"}, manager="admin@example.vn")
@example(query={"path": "/reports/trend.svg", "as_of": "0001-06-30"}, manager="hr@snv.vn")
@example(query={"path": "/reports/untrained.csv", "as_of": "9999-12-31"},
         manager="admin@example.vn")
@example(query={"path": "/reports/untrained", "page": "9" * 30}, manager="admin@example.vn")
@example(query={"path": "/reports/export.xlsx", "unit": "SNV\x00"}, manager="hr@snv.vn")
@given(query=fields(url=True, path=(ok(*REPORTS), url_text.map(
                        lambda fmt: f"/reports/export.{seg(fmt)}")),
                    unit=opt(*UNIT_CODES), as_of=(opt("2026-06-30", "2026-01-01"), dates),
                    cycle=opt("all", "year"), page=(opt("1", "2"), page_numbers)),
       manager=MANAGERS)
def test_reports(signed, world, query, manager):
    client = signed(manager)
    answered(client.get(query.pop("path"), query_string=query))


@FUZZ
@example(query={"unit": "SNV\x00", "auth": "Bearer REAL"})
@example(query={"as_of": "0001-01-01", "auth": "Bearer REAL"})
@given(query=fields(url=True, unit=opt("SNV", "SNV-TC", "NA", "X1", "ZZ"),
                    as_of=(opt("2026-06-30"), dates), cycle=opt("all", "year"),
                    auth=(ok("Bearer REAL"), st.builds(
                        "{} {}{}".format, st.sampled_from(["Bearer", "bearer", "Basic", "Token"]),
                        st.sampled_from(["", " ", "  "]), st.one_of(st.just("REAL"), text)))))
def test_api(app, world, query):
    client = anonymous(app)
    headers = {}
    if "auth" in query:
        # A server hands the app a header decoded as Latin-1, without line breaks.
        header = query.pop("auth").replace("REAL", world["api_token"])
        headers["Authorization"] = re.sub(r"[\r\n]", "", header.encode().decode("latin-1"))
    response = answered(client.get("/api/v1/reports/compliance", headers=headers,
                                   query_string=query))
    assert response.is_json, response.get_data()[:500]
    assert response.status_code in (200, 400, 401, 403, 404)


# --- imports ---------------------------------------------------------------------------

cells = st.one_of(text, st.builds(_repeat, atoms, st.integers(100_000, 150_000)), dates)
ROWS = {  # each kind's headers and the sound values of its columns
    "units": (UNITS_FILE[0], [ok("FZU1", "FZU2"), ok("Xã Thử Nghiệm"), ok("xã", "Phòng"),
                              ok("NA", "X1")]),
    "officials": (ROSTER_HEADER, [
        ok("FZ1", "FZ2"), ok("Nguyễn Văn Thử"), ok(*UNIT_CODES), ok("công chức", "viên chức"),
        ok("", "Chuyên viên"), ok("", "có"), ok("", "x"), ok("", "fz@example.vn"),
        ok("", "0912345678"), ok("", "đang công tác", "nghỉ việc"), ok("")]),
    "training": (["employee_code", "course", "completed_on", "source"], [
        ok("CB001", "CB003"), ok("co-ban", "lanh-dao"), ok("15/01/2026", "2026-01-02"),
        ok("Lớp tập huấn")]),
}


def _row(kind: str):
    columns = ROWS[kind][1]
    return fields(**{str(i): (sound, st.one_of(spoiled(sound), cells))
                     for i, sound in enumerate(columns)}).map(
        lambda values: [values.get(str(i), "") for i in range(len(columns))])


def _table(kind: str, rows: list[list[str]], filler: int, as_xlsx: bool) -> bytes:
    """The kind's headers, ``filler`` sound rows pushing the others past the first
    8 KB, then ``rows``."""
    header = ROWS[kind][0]
    pad = [[f"PAD{i}", "Hàng đệm " * 10, "NA", "công chức", *[""] * 7][:len(header)]
           for i in range(filler)] if kind == "officials" else []
    table = [header, *pad, *rows]
    if as_xlsx:
        # A workbook cannot hold control characters (openpyxl refuses them).
        return xlsx_bytes([[re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", cell) for cell in row]
                           for row in table])
    return csv_bytes(table)


def spreadsheets(kind: str):
    return st.builds(_table, st.just(kind), st.lists(_row(kind), min_size=1, max_size=3),
                     st.sampled_from([0, 100]), st.booleans())


tables = st.sampled_from(sorted(ROWS)).flatmap(
    lambda kind: st.tuples(st.just(kind), spreadsheets(kind)))


@FEW
@given(table=tables,
       upload=fields(kind=(st.none(), url_text),
                     content=(st.none(), st.one_of(
                         st.binary(max_size=2000),
                         st.builds(lambda chunk, n: chunk * n, st.binary(min_size=1, max_size=50),
                                   st.integers(1, 5000)))),
                     filename=(opt("roster.csv", "units.xlsx", "a.CSV", "x.xlsx.csv"),
                               st.builds(lambda name, ext: name + ext,
                                         text.filter(lambda t: len(t) < 5000),
                                         st.sampled_from([".csv", ".xlsx", ".txt", ""]))),
                     deactivate_missing=opt("y")),
       manager=MANAGERS, token=url_text)
def test_import_upload(signed, world, table, upload, manager, token):
    """Any file under any name for the preview (which writes nothing but the upload)."""
    client = signed(manager)
    csrf = token_of(client)
    kind = upload.pop("kind", table[0])
    content = upload.pop("content", table[1])
    filename = upload.pop("filename", "upload.csv")
    form = {**upload, "csrf_token": csrf, "file": (io.BytesIO(content), filename)}
    preview_answer(client.post(f"/imports/{seg(kind)}", data=form,
                               content_type="multipart/form-data"))
    answered(client.get(f"/imports/{seg(kind)}"))
    answered(client.get(f"/imports/templates/{seg(kind)}.xlsx"))
    stays_on_site(answered(client.post(f"/imports/confirm/{seg(token)}",
                                       data={"csrf_token": csrf})))


# Found by fuzzing: a name that folds past its column (Hangul decomposes), a NUL
# past the first 8 KB of a CSV or as "_x0000_" in a workbook, a cell over csv's limit.
@FEW
@example(table=("officials", _table("officials", [["FZ1", "한" * 200, "SNV", "công chức"]
                                                   + [""] * 7], 0, False)),
         manager="admin@example.vn")
@example(table=("officials", _table("officials", [["FZ2", "Tên\x00", "X1", "công chức"]
                                                   + [""] * 7], 100, False)),
         manager="admin@example.vn")
@example(table=("units", _table("units", [["FZU1", "Xã_x0000_", "xã", "NA"]], 0, True)),
         manager="admin@example.vn")
@example(table=("training", _table("training", [["CB001", "co-ban", "15/01/2026",
                                                 "x" * 140_000]], 0, False)),
         manager="hr@snv.vn")
@given(table=tables, manager=MANAGERS)
def test_import_confirmed(signed, world, table, manager):
    """The whole way, writing: upload, preview, confirm. The sound rows use the same
    few codes each time, so repeating an import changes nothing more."""
    kind, content = table
    client = signed(manager)
    csrf = token_of(client)
    preview = preview_answer(client.post(f"/imports/{kind}",
                                         content_type="multipart/form-data",
                                         data={"csrf_token": csrf,
                                               "file": (io.BytesIO(content), "file.csv")}))
    match = re.search(r"/imports/confirm/([\w-]+)", preview.get_data(as_text=True))
    if match:
        stays_on_site(answered(client.post(f"/imports/confirm/{match.group(1)}",
                                           data={"csrf_token": csrf})))
        answered(client.get("/units/NA", query_string={"status": "overdue"}))
        answered(client.get("/reports/untrained.csv"))
