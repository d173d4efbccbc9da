"""Several stateless app servers behind nginx, sharing PostgreSQL and Redis (issue 12):
each test drives deploy/local-cluster through nginx and checks that what one app server
did, the other one knows."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from pathlib import Path

import pyotp
import pytest

from tests.builders import PASSWORD, RIGHT_ANSWERS, ROSTER_HEADER, csv_bytes
from tests.cluster.browser import SERVERS, Browser, Page
from tests.cluster.conftest import COURSE, LOGIN_LIMIT, ROOT, Cluster

STATIC = ROOT / "static"


def register(browser: Browser, email: str, name: str = "Lò Thị Mai") -> Page:
    """A citizen registers through the site and is signed in."""
    form = browser.get("/register").form()
    page = browser.submit(form, {"kind": "citizen", "full_name": name, "email": email,
                                 "phone": "", "unit_id": "0", "password": PASSWORD,
                                 "confirm": PASSWORD, "consent": "y"})
    assert page.status == 302, page.text[:2000]
    return page


def login(browser: Browser, identifier: str, password: str = PASSWORD,
          on: str | None = None) -> Page:
    """Sign in; ``on``: the app server that must receive the password."""
    form = browser.get("/login").form()
    if on:
        browser.steer_to(on)
    return browser.submit(form, {"identifier": identifier, "password": password})


def sign_in_with_second_factor(browser: Browser, identifier: str) -> None:
    """An admin signs in: the password, then the authenticator app that admins and HR
    officers must set up, from the key the set-up page shows."""
    landing = browser.follow(login(browser, identifier))
    if "/two-factor/setup" in landing.url:
        key = re.search(r'id="totp-key"[^>]*>([^<]+)<', landing.text).group(1)
        code = pyotp.TOTP(key.replace(" ", "")).now()
        codes = browser.submit(landing.form(), {"code": code})
        assert codes.status == 200, codes.text[:2000]
    assert browser.get("/my").status == 200


def test_requests_reach_both_app_servers_and_static_files_come_from_nginx(cluster: Cluster):
    browser = cluster.browser()
    pages = [browser.get("/") for _ in range(4)]
    assert all(page.status == 200 for page in pages)
    assert {page.server for page in pages} == set(SERVERS)

    # The page's stylesheet: served by nginx from static/ (no app server named), with
    # the cache its URL deserves (a year when it carries the file's fingerprint).
    css = next(link for link in pages[0].links("/static/") if "/css/" in link)
    sheet = browser.get(css)
    assert sheet.status == 200 and sheet.server is None
    assert sheet.body == (STATIC / "css" / "app.css").read_bytes()
    assert sheet.headers["X-Content-Type-Options"] == "nosniff"
    expected = ("public, max-age=31536000, immutable" if "?v=" in css
                else "public, max-age=300")
    assert sheet.headers["Cache-Control"] == expected
    plain = browser.get("/static/css/app.css")
    assert plain.headers["Cache-Control"] == "public, max-age=300"
    again = browser.get("/static/css/app.css", headers={"If-None-Match": plain.headers["ETag"]})
    assert again.status == 304
    assert browser.get("/static/../wsgi.py").status in (400, 404)


def test_a_session_stays_valid_on_both_servers_and_ends_on_both(cluster: Cluster):
    browser = cluster.browser()
    register(browser, "phien@cluster.test")
    answers = [browser.get("/my") for _ in range(4)]
    assert [page.status for page in answers] == [200] * 4
    assert {page.server for page in answers} == set(SERVERS)
    assert "Lò Thị Mai" in answers[0].text

    # Signing out on one server ends a copy of the session cookie on both.
    copy = browser.copy()
    browser.steer_to("app-1")
    out = browser.submit(answers[0].form("/logout"))
    assert (out.status, out.server) == (302, "app-1")
    for server in SERVERS:
        copy.steer_to(server)
        page = copy.get("/my")
        assert (page.status, page.server) == (302, server)
        assert "/login" in page.location


def test_a_login_lockout_made_on_one_server_holds_on_the_other(cluster: Cluster):
    register(cluster.browser(), "khoa@cluster.test", "Vi Văn Khóa")
    register(cluster.browser(), "hang-xom@cluster.test", "Vi Thị Xóm")
    attacker = cluster.browser()
    for _ in range(LOGIN_LIMIT):  # every failure on app-1
        failed = login(attacker, "khoa@cluster.test", "khong-phai-mat-khau", on="app-1")
        assert (failed.status, failed.server) == (200, "app-1")
        assert "Thông tin đăng nhập không đúng" in failed.text
    # The right password, on app-2 and then on app-1: refused on both.
    owner = cluster.browser()
    for server in ("app-2", "app-1"):
        locked = login(owner, "khoa@cluster.test", on=server)
        assert (locked.status, locked.server) == (429, server)
        assert int(locked.headers["Retry-After"]) > 0
        assert "Quá nhiều lần thử" in locked.text
    # The lock is this account's, not everybody's behind the same address.
    neighbour = cluster.browser()
    assert login(neighbour, "hang-xom@cluster.test").status == 302


def test_an_import_previewed_on_one_server_is_confirmed_on_the_other(cluster: Cluster):
    units = cluster.workdir / "units.csv"
    units.write_bytes(csv_bytes([["Mã đơn vị", "Tên đơn vị", "Cấp", "Mã đơn vị cấp trên"],
                                 ["NA", "Tỉnh Nghệ An", "Tỉnh", ""],
                                 ["XNL", "Xã Nghi Lộc", "Xã", "NA"]]))
    cluster.flask("units", "import", str(units))
    cluster.flask("users", "create-admin", "quantri@cluster.test", "--password", PASSWORD)
    # A visitor's own forwarding headers: nginx must replace them (LMS_PROXY_COUNT=1).
    admin = cluster.browser({"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Host": "evil.test",
                             "X-Forwarded-Proto": "https"})
    sign_in_with_second_factor(admin, "quantri@cluster.test")

    roster = csv_bytes([ROSTER_HEADER,
                        ["CB-C-01", "Hồ Văn Nam", "XNL", "cán bộ", "Chủ tịch", "có", "",
                         "nam@cluster.test", "", "", ""],
                        ["CB-C-02", "Hồ Thị Lan", "XNL", "công chức", "Văn thư", "", "có",
                         "", "", "", ""]])
    upload = admin.get("/imports/officials").form()
    admin.steer_to("app-1")
    preview = admin.submit(upload, {"effective": ""}, files={"file": ("roster.csv", roster)})
    assert (preview.status, preview.server) == (200, "app-1"), preview.text[:3000]
    confirm = preview.form("/imports/confirm/")
    admin.steer_to("app-2")
    done = admin.submit(confirm)
    assert (done.status, done.server) == (302, "app-2")
    assert "Đã nhập 2 dòng" in admin.follow(done).text
    unit = admin.get("/units/XNL")
    assert "Hồ Văn Nam" in unit.text and "Hồ Thị Lan" in unit.text

    # Links made behind nginx name the address the visitor used, whatever they sent
    # (the unit page leads to a page that says which links stop working, then makes them).
    links = admin.submit(admin.get("/units/XNL/invitations").form("/invitations"))
    assert links.status == 200
    rows = list(csv.DictReader(io.StringIO(links.text.lstrip("\ufeff"))))
    urls = [value for row in rows for value in row.values() if "/activate/" in value]
    assert len(urls) == 2
    assert all(url.startswith(cluster.url + "/activate/") for url in urls), urls
    # The audit log has the visitor's real address (loopback), not the made-up one.
    audit = admin.get("/admin/audit")
    assert audit.status == 200
    assert "127.0.0.1" in audit.text and "203.0.113.9" not in audit.text


def test_a_citizen_registers_and_completes_a_course(cluster: Cluster):
    citizen = cluster.browser()
    register(citizen, "hoc@cluster.test", "Lương Văn Học")
    course = citizen.get(f"/courses/{COURSE}")
    assert course.status == 200
    lessons = list(dict.fromkeys(course.links(f"/courses/{COURSE}/lessons/")))
    assert len(lessons) == 2
    for lesson in lessons:
        page = citizen.get(lesson)
        assert page.status == 200
        done = citizen.submit(page.form("/done"))
        assert done.status == 302
    assert done.location.endswith(f"/courses/{COURSE}/quiz")

    quiz = citizen.get(f"/courses/{COURSE}/quiz")
    form = quiz.form()
    assert form.fields["attempt_id"].isdigit()
    answers = {f"q-{question}": answer for question, answer in RIGHT_ANSWERS.items()}
    submitted = citizen.submit(form, answers)
    assert submitted.status == 302
    result = citizen.follow(submitted)
    assert "Đúng 5/5 câu" in result.text
    certificate = citizen.get(result.links("/certificates/")[0])
    assert certificate.status == 200
    code = re.search(r"/certificates/([^/?#]+)", certificate.url).group(1)

    # Anyone can verify it, on any server.
    anyone = cluster.browser()
    for server in SERVERS:
        anyone.steer_to(server)
        verified = anyone.get(f"/verify/{code}")
        assert (verified.status, verified.server) == (200, server)
        assert "Lương Văn Học" in verified.text
    assert set(citizen.seen) >= set(SERVERS)


def test_nginx_refuses_bodies_at_the_apps_own_limits(cluster: Cluster):
    """LMS_MAX_UPLOAD_BYTES (20 MiB) and LMS_QUIZ_MAX_BYTES (64 KiB): up to the limit the
    app gets the body; one byte more and nginx answers (an app server refusing a body
    unread would show as a 502 and count against that server)."""
    browser = cluster.browser()
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    for path, limit, message in ((f"/courses/{COURSE}/quiz", 64 * 1024, "Bài làm quá lớn"),
                                 ("/login", 20 * 1024 * 1024, "Tệp quá lớn")):
        at_limit = browser.request("POST", path, b"x" * limit, form)
        assert at_limit.server in SERVERS and at_limit.status != 502, path
        over = browser.request("POST", path, b"x" * (limit + 1), form)
        assert (over.status, over.server) == (413, None), path
        assert message in over.text
    # Nothing counted against the app servers: both still answer.
    assert {browser.get("/healthz").server for _ in range(4)} == set(SERVERS)


def test_the_production_site_file_passes_nginx_t(cluster_tools, tmp_path: Path):
    """deploy/nginx/lms.conf as shipped (only the certificate paths replaced)."""
    if not shutil.which("openssl"):
        pytest.skip("openssl is needed for a test certificate (apt-get install openssl)")
    (tmp_path / "snippets").mkdir()
    shutil.copy(ROOT / "deploy" / "nginx" / "lms-app.conf", tmp_path / "snippets")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=lms.example.vn", "-keyout", str(tmp_path / "key.pem"),
                    "-out", str(tmp_path / "cert.pem")], check=True, capture_output=True,
                   timeout=60)
    site = (ROOT / "deploy" / "nginx" / "lms.conf").read_text()
    site = site.replace("/etc/ssl/lms/fullchain.pem", str(tmp_path / "cert.pem"))
    site = site.replace("/etc/ssl/lms/privkey.pem", str(tmp_path / "key.pem"))
    (tmp_path / "lms.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{ include /etc/nginx/mime.types; include {tmp_path}/lms.conf; }}\n")
    command = [cluster_tools["nginx"], "-t", "-p", str(tmp_path), "-e",
               str(tmp_path / "error.log"), "-c", str(tmp_path / "nginx.conf")]
    checked = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stderr
