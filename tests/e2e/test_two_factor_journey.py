"""Journey: a commune's HR officer on a phone signs in for the first time, is held at
two-factor set-up until it is done (the unit's personal data waits), sets it up by
typing the code an authenticator app computes from the key on the page, then signs
in again with a recovery code and, later, with the app's code. A code is good once."""

from __future__ import annotations

import time

import pyotp
from playwright.sync_api import expect
from sqlalchemy import select

from lms.extensions import db
from lms.org.models import Unit
from tests.builders import load_units, make_user
from tests.e2e.conftest import axe_clean, login, shot

EMAIL = "tochuc@nghiloc.example"
PASSWORD = "to-chuc-xa-nghi-loc"
CODE_LABEL = "Mã xác thực (6 chữ số) hoặc mã dự phòng"


def second_step(page, code: str) -> None:
    page.get_by_label(CODE_LABEL).fill(code)
    page.get_by_role("button", name="Xác nhận").click()
    page.wait_for_load_state()


def test_hr_officer_sets_up_two_factor_and_signs_in_with_codes(phone, live_server):
    with live_server.app.app_context():
        load_units()
        x1 = db.session.scalar(select(Unit).where(Unit.code == "X1"))
        make_user("unit_manager", email=EMAIL, name="Hồ Thị Tổ Chức", password=PASSWORD,
                  unit=x1)
        db.session.commit()
    base = live_server.url
    findings: dict[str, list[str]] = {}
    page = phone

    # The password alone opens nothing but the set-up page.
    login(page, base, EMAIL, PASSWORD, second_factor=False)
    assert "/account/two-factor/setup" in page.url
    page.goto(base + "/units/X1")
    assert "/account/two-factor/setup" in page.url
    assert page.get_by_role("heading", name="Cài đặt xác thực hai bước").is_visible()
    assert page.get_by_text("bắt buộc dùng xác thực hai bước").is_visible()
    assert page.locator("svg.qr-code").is_visible()
    axe_clean(page, findings, "set-up")
    shot(page, "twofactor-setup")

    # The key as typed into an authenticator app by hand.
    app = pyotp.TOTP(page.locator("#totp-key").inner_text().replace(" ", ""))
    page.get_by_label("Mã 6 chữ số đang hiện trong ứng dụng").fill(
        app.at(time.time() + 3600))  # an hour ahead: not a code the server takes now
    page.get_by_role("button", name="Bật xác thực hai bước").click()
    # The click starts a navigation: wait for the answer, not for the page it leaves.
    expect(page.locator("#code-error")).to_contain_text("Mã không đúng.")
    axe_clean(page, findings, "set-up with a wrong code")

    typed_at = time.time()
    set_up_code = app.at(typed_at)
    page.get_by_label("Mã 6 chữ số đang hiện trong ứng dụng").fill(set_up_code)
    page.get_by_role("button", name="Bật xác thực hai bước").click()
    expect(page.get_by_role("heading", name="Mã dự phòng")).to_be_visible()
    expect(page.get_by_text("Đã bật xác thực hai bước.")).to_be_visible()
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10 and len(set(codes)) == 10
    axe_clean(page, findings, "recovery codes")
    shot(page, "twofactor-recovery-codes")
    page.get_by_role("link", name="Tôi đã lưu các mã, tiếp tục").click()
    page.wait_for_url(lambda address: "/two-factor" not in address)
    assert page.goto(base + "/units/X1").ok and page.url.endswith("/units/X1")
    page.get_by_role("button", name="Đăng xuất").click()

    # Next sign-in: the password, then a code. The set-up code was used: refused.
    login(page, base, EMAIL, PASSWORD, second_factor=False)
    assert "/login/two-factor" in page.url
    assert page.get_by_role("heading", name="Xác thực hai bước").is_visible()
    page.goto(base + "/units/X1")
    assert "/login/two-factor" in page.url  # still nothing before the code
    axe_clean(page, findings, "second step")
    shot(page, "twofactor-code")
    second_step(page, set_up_code)
    assert "/login/two-factor" in page.url
    expect(page.locator("#code-error")).to_contain_text("Mã không đúng hoặc đã dùng.")
    axe_clean(page, findings, "second step with a used code")

    # A recovery code (phone left at home): in, told how many are left.
    second_step(page, codes[0].replace("-", " "))
    page.wait_for_url(lambda address: "/two-factor" not in address)
    expect(page.get_by_text("Bạn đã đăng nhập bằng một mã dự phòng; còn 9 mã.")).to_be_visible()
    assert page.goto(base + "/units/X1").ok and page.url.endswith("/units/X1")
    page.get_by_role("button", name="Đăng xuất").click()

    # That recovery code works once; the app's next code signs in.
    login(page, base, EMAIL, PASSWORD, second_factor=False)
    assert "/login/two-factor" in page.url
    second_step(page, codes[0])
    expect(page.locator("#code-error")).to_contain_text("Mã không đúng hoặc đã dùng.")
    while int(time.time() // 30) <= int(typed_at // 30):  # the app shows a new code
        time.sleep(0.5)
    second_step(page, app.now())
    page.wait_for_url(lambda address: "/two-factor" not in address)
    assert page.goto(base + "/units/X1").ok and page.url.endswith("/units/X1")
    page.goto(base + "/account/two-factor")
    assert page.get_by_text("Còn 9 mã dự phòng chưa dùng.").is_visible()
    assert findings == {}, "\n".join(f"{where}\n  " + "\n  ".join(lines)
                                     for where, lines in findings.items())
