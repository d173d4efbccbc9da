"""Browser tests: the app served by a real server on loopback, driven by Playwright
in Debian's Chromium. Without Chromium they skip with a clear message; CI sets
LMS_FAIL_ON_SKIP, so there a skip is a failure."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask

from lms import create_app
from lms.courses.sync import sync_courses
from lms.extensions import db
from tests.builders import write_course

CHROMIUM = os.environ.get("LMS_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
AXE = Path(__file__).with_name("node_modules") / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    playwright_api = pytest.importorskip("playwright.sync_api",
                                         reason="pip install playwright (test extras)")
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class LiveServer:
    url: str
    app: Flask
    env: dict[str, str] = field(default_factory=dict)  # the server's environment


@pytest.fixture
def e2e_courses(tmp_path) -> Path:
    """The courses the server under test serves; a test module may override this."""
    courses = tmp_path / "courses"
    write_course(courses, "ky-nang-so-co-ban", title="Kỹ năng số cơ bản",
                 audiences=["citizen", "official"], lessons=["Thiết bị", "An toàn", "Dịch vụ công"],
                 required_for=[{"audience": "official"}], due_days=90)
    write_course(courses, "van-ban-dien-tu", title="Văn bản điện tử", quiz=False,
                 audiences=["official"], lessons=["Chữ ký số", "Hồ sơ công việc"],
                 required_for=[{"audience": "official"}], due_days=60)
    return courses


@pytest.fixture
def server_settings() -> dict[str, str]:
    """Environment variables of the server under test (e.g. LMS_SMTP_URL); a test
    module may override this."""
    return {}


@pytest.fixture
def live_server(tmp_path, e2e_courses, server_settings):
    """The app on a free loopback port with a throwaway SQLite database. Links in its
    mail (LMS_BASE_URL) point at it."""
    courses = e2e_courses
    database = f"sqlite:///{tmp_path / 'e2e.sqlite3'}"
    # This process's app sets data up; the server runs the same app in a process of
    # its own, so a connection the browser drops is the server's business, not pytest's.
    app = create_app({"LMS_ENV": "testing", "SECRET_KEY": "e2e",
                      "SQLALCHEMY_DATABASE_URI": database, "LMS_COURSES_DIR": str(courses)})
    with app.app_context():
        db.create_all()
        sync_courses(courses)
        db.session.commit()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    env = dict(os.environ, LMS_ENV="testing", SECRET_KEY="e2e", DATABASE_URL=database,
               LMS_COURSES_DIR=str(courses), LMS_BASE_URL=url, **server_settings)
    server = subprocess.Popen([sys.executable, str(Path(__file__).with_name("serve.py")),
                               str(port)], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    deadline = time.time() + 20
    while True:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2):
                break
        except OSError:
            if time.time() > deadline or server.poll() is not None:
                server.kill()
                raise RuntimeError("the app under test did not start") from None
            time.sleep(0.2)
    yield LiveServer(url, app, env)
    server.terminate()
    server.wait(timeout=10)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def phone(browser, live_server):
    """A 360 x 740 phone that may talk to nothing but the server under test."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN")
    outside: list[str] = []

    def guard(route):
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    yield page
    context.close()
    assert outside == [], f"requests left loopback: {outside}"


def serious_violations(page) -> list[str]:
    """axe-core's serious and critical findings on the page, one line each.

    axe-core is the npm package (tests/e2e/package.json, installed by `make test`),
    read from node_modules and evaluated in the page: nothing is fetched."""
    if not AXE.exists():
        pytest.skip(f"{AXE} missing: run `npm ci --prefix tests/e2e` (make test does)")
    page.evaluate(AXE.read_text("utf-8"))
    found = page.evaluate("""async () => {
      const result = await axe.run(document, {resultTypes: ["violations"]});
      return result.violations.filter(v => ["serious", "critical"].includes(v.impact))
        .map(v => `${v.impact} ${v.id}: ${v.help} -> ` +
                  v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", "));
    }""")
    return found


def axe_clean(page, findings: dict[str, list[str]], name: str) -> None:
    """axe-core on the page as it is now (a form showing its errors, say) at 360 and
    1280 px; what it finds goes into ``findings`` under ``name``."""
    size = page.viewport_size
    for width in (360, 1280):
        page.set_viewport_size({"width": width, "height": size["height"]})
        found = serious_violations(page)
        if found:
            findings[f"{name} @ {width} px"] = found
    page.set_viewport_size(size)


# The authenticator app of each account set up during a test: (server, identifier) →
# (secret, recovery codes not used yet).
AUTHENTICATORS: dict[tuple[str, str], tuple[str, list[str]]] = {}


def login(page, url: str, identifier: str, password: str, *, second_factor: bool = True) -> None:
    """Sign in through the form. Admins and HR officers then set up two-factor (the first
    time, reading the key off the page as a person's authenticator app would) or enter a
    code; with ``second_factor=False`` the page is left at that second step."""
    page.goto(url + "/login")
    page.get_by_label("Email, số điện thoại hoặc mã cán bộ").fill(identifier)
    page.get_by_label("Mật khẩu").fill(password)
    page.locator("main").get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(lambda address: "/login" not in address or "/login/two-factor" in address)
    if not second_factor:
        return
    if "/account/two-factor/setup" in page.url:
        set_up_two_factor(page, url, identifier)
    elif "/login/two-factor" in page.url:
        enter_recovery_code(page, url, identifier)


def set_up_two_factor(page, url: str, identifier: str, on_codes=None) -> list[str]:
    """The set-up page: the key into the "app", its code back, the recovery codes kept."""
    import pyotp

    key = page.locator("#totp-key").inner_text().replace(" ", "")
    page.get_by_label("Mã 6 chữ số đang hiện trong ứng dụng").fill(pyotp.TOTP(key).now())
    page.get_by_role("button", name="Bật xác thực hai bước").click()
    page.get_by_role("heading", name="Mã dự phòng").wait_for()
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    AUTHENTICATORS[(url, identifier)] = (key, codes)
    if on_codes is not None:
        on_codes(page)
    page.get_by_role("link", name="Tôi đã lưu các mã, tiếp tục").click()
    page.wait_for_url(lambda address: "/two-factor" not in address)
    return codes


def enter_recovery_code(page, url: str, identifier: str) -> None:
    """The second step with one of the saved recovery codes (the app's code of this
    30-second step was already used when the account was set up in this test)."""
    key, codes = AUTHENTICATORS[(url, identifier)]
    page.get_by_label("Mã xác thực (6 chữ số) hoặc mã dự phòng").fill(codes.pop(0))
    page.get_by_role("button", name="Xác nhận").click()
    page.wait_for_url(lambda address: "/two-factor" not in address)


def open_menu(page) -> None:
    """On a phone, open the header's "Danh mục" menu (a <details>); from 48rem up the
    links are a bar and there is nothing to open."""
    menu = page.locator("details.nav-menu")
    if menu.is_visible() and menu.get_attribute("open") is None:
        menu.locator("summary").click()


def nav(page, link: str) -> None:
    """Follow a link of the main navigation."""
    open_menu(page)
    page.get_by_role("navigation", name="Điều hướng chính").get_by_role("link", name=link).click()


TOO_WIDE = """[...document.querySelectorAll("body *")]
  .filter(e => e.getBoundingClientRect().right > 360.5
               && !e.closest(".table-wrap, .skip-link"))
  .slice(0, 5).map(e => e.tagName + "." + e.className + " " +
                        Math.round(e.getBoundingClientRect().right))"""


def shot(page, name: str) -> None:
    """Screenshots of the page at 360 px and at 1280 px, kept as test artifacts
    (test-artifacts/ is not committed). At 360 px the page must not scroll sideways:
    wide tables scroll inside their own box."""
    ARTIFACTS.mkdir(exist_ok=True)
    size = page.viewport_size
    for width in (360, 1280):
        page.set_viewport_size({"width": width, "height": size["height"]})
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
        if width == 360:
            overflow = page.evaluate("document.documentElement.scrollWidth")
            assert overflow <= 360, (f"{name}: the page is {overflow} px wide at 360 px; "
                                     f"too wide: {page.evaluate(TOO_WIDE)}")
    page.set_viewport_size(size)
