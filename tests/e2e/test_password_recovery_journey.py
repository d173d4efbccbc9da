"""Journey: a learner on a phone has forgotten her password. She asks for a link on the
sign-in page, the mail reaches a real SMTP server on loopback (queued by the app under
test, delivered by `flask mail send`), she opens the link, sets a new password, and
signs in with it; the old password and the link are spent, and the browser she left
signed in elsewhere is signed out."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

from lms.extensions import db
from tests.builders import make_user
from tests.e2e.conftest import axe_clean, shot
from tests.mail.conftest import FROM, SmtpServer, html_of, text_of

ROOT = Path(__file__).resolve().parents[2]
OLD_PASSWORD = "mat-khau-cu-cua-lan"
NEW_PASSWORD = "hoa-sen-no-thang-sau"


@pytest.fixture
def smtp_server():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def server_settings(smtp_server):
    return {"LMS_SMTP_URL": smtp_server.url, "LMS_MAIL_FROM": FROM}


def flask_mail_send(live_server) -> str:
    """`flask mail send`, as the systemd timer runs it, against the server's database."""
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "lms", "mail", "send"],
                          env=live_server.env, cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def sign_in(page, url: str, identifier: str, password: str) -> None:
    page.goto(url + "/login")
    page.get_by_label("Email, số điện thoại hoặc mã cán bộ").fill(identifier)
    page.get_by_label("Mật khẩu").fill(password)
    page.locator("main").get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state()


def test_a_learner_recovers_a_forgotten_password_on_a_phone(browser, phone, live_server,
                                                            smtp_server):
    with live_server.app.app_context():
        make_user("citizen", email="lan.pham@example.vn", name="Phạm Thị Lan",
                  password=OLD_PASSWORD)
        db.session.commit()
    base = live_server.url
    findings: dict[str, list[str]] = {}

    # Still signed in on the family computer.
    computer = browser.new_context(viewport={"width": 1280, "height": 800}, locale="vi-VN")
    elsewhere = computer.new_page()
    sign_in(elsewhere, base, "lan.pham@example.vn", OLD_PASSWORD)
    assert elsewhere.goto(base + "/my").ok and "/my" in elsewhere.url

    page = phone
    page.goto(base + "/login")
    page.get_by_role("link", name="Quên mật khẩu?").click()
    page.wait_for_url(re.compile(r"/password/forgot$"))
    assert page.get_by_role("heading", name="Quên mật khẩu").is_visible()
    axe_clean(page, findings, "forgot")
    shot(page, "recovery-forgot")
    page.get_by_role("button", name="Gửi đường dẫn đặt lại mật khẩu").click()  # empty
    expect(page.get_by_text("Hãy nhập email.").first).to_be_visible()
    axe_clean(page, findings, "forgot with an error")

    page.get_by_label("Email của tài khoản").fill("Lan.Pham@example.vn ")
    page.get_by_role("button", name="Gửi đường dẫn đặt lại mật khẩu").click()
    expect(page.get_by_role("heading", name="Hãy kiểm tra hộp thư")).to_be_visible()
    assert page.get_by_text("trong 60 phút").is_visible()
    axe_clean(page, findings, "forgot: sent")
    shot(page, "recovery-sent")

    # The app queued the mail in its outbox; the sender delivers it.
    assert smtp_server.messages == []
    assert flask_mail_send(live_server).startswith("1 sent")
    [message] = smtp_server.wait_for(1)
    assert message["To"].addresses[0].addr_spec == "lan.pham@example.vn"
    assert message["Subject"] == "Đặt lại mật khẩu · Học kỹ năng số Nghệ An"
    text = text_of(message)
    assert "Xin chào Phạm Thị Lan," in text
    [link] = re.findall(re.escape(base) + r"/password/reset/\S+", text)
    assert f'href="{link}"' in html_of(message)

    # The link from the mail, on the phone.
    page.goto(link)
    assert page.get_by_role("heading", name="Đặt mật khẩu mới").is_visible()
    assert page.get_by_text("lan.pham@example.vn").is_visible()
    axe_clean(page, findings, "reset")
    shot(page, "recovery-reset")
    # A common password is refused, and the link stays usable.
    page.get_by_label("Chọn mật khẩu (ít nhất 8 ký tự)").fill("12345678")
    page.get_by_label("Nhập lại mật khẩu").fill("12345678")
    page.get_by_role("button", name="Đặt mật khẩu mới").click()
    assert page.get_by_text("Mật khẩu này nằm trong danh sách mật khẩu phổ biến").first \
        .is_visible()
    axe_clean(page, findings, "reset with an error")
    page.get_by_label("Chọn mật khẩu (ít nhất 8 ký tự)").fill(NEW_PASSWORD)
    page.get_by_label("Nhập lại mật khẩu").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Đặt mật khẩu mới").click()
    page.wait_for_url(re.compile(r"/login$"))
    assert page.get_by_text("Đã đặt mật khẩu mới và đăng xuất mọi phiên đăng nhập cũ.") \
        .is_visible()
    shot(page, "recovery-done")

    # The old password no longer signs in; the new one does.
    sign_in(page, base, "lan.pham@example.vn", OLD_PASSWORD)
    assert "/login" in page.url
    assert page.locator("#password-error").get_by_text("Thông tin đăng nhập không đúng.") \
        .is_visible()
    sign_in(page, base, "lan.pham@example.vn", NEW_PASSWORD)
    page.wait_for_url(lambda address: "/login" not in address)
    assert page.goto(base + "/my").ok and "/my" in page.url
    page.get_by_role("button", name="Đăng xuất").click()

    # The link works once.
    response = page.goto(link)
    assert response.status == 410
    assert page.get_by_text("Đường dẫn này đã được dùng").is_visible()
    assert page.get_by_role("link", name="Xin đường dẫn mới").is_visible()
    assert page.get_by_label("Chọn mật khẩu (ít nhất 8 ký tự)").count() == 0
    axe_clean(page, findings, "reset: link used")
    shot(page, "recovery-link-used")

    # The computer's session ended with the reset.
    elsewhere.goto(base + "/my")
    assert "/login" in elsewhere.url
    computer.close()
    assert findings == {}, "\n".join(f"{where}\n  " + "\n  ".join(lines)
                                     for where, lines in findings.items())
