"""The outbox and `flask mail send`, against a real SMTP server on loopback."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from lms import create_app
from lms.config import ConfigError
from lms.extensions import db
from lms.mail import logic as mail
from lms.mail import sender
from lms.mail.models import OutboxMessage, UndeliverableAddress
from lms.mail.smtp import SmtpUrlError, build_message, parse_smtp_url
from lms.util.time import utcnow
from tests.mail.conftest import FROM, html_of, text_of

ROOT = Path(__file__).resolve().parents[2]


def queue(key: str, to: str = "an@example.vn", name: str = "Nguyễn Văn An", **extra) -> bool:
    context = {"link": "https://hocso.example.vn/password/reset/abc", "valid_minutes": 60}
    context.update(extra)
    return mail.queue(key, to, "password_reset", name=name, **context)


def rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_a_message_has_both_parts_in_vietnamese_and_nothing_external(app, smtp_server):
    assert queue("test:1", headers={"List-Unsubscribe": "<https://hocso.example.vn/u/1>"})
    db.session.commit()
    result = sender.send_due()
    assert (result.sent, result.failed, result.error) == (1, 0, None)
    [message] = smtp_server.wait_for(1)
    assert smtp_server.envelopes == [("hocso@lms.example", ["an@example.vn"])]
    assert message["To"] == "Nguyễn Văn An <an@example.vn>"
    assert message["From"] == FROM
    assert message["Subject"] == "Đặt lại mật khẩu · Học kỹ năng số Nghệ An"
    assert message["List-Unsubscribe"] == "<https://hocso.example.vn/u/1>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"].endswith("@lms.example>")
    assert message.get_content_type() == "multipart/alternative"
    text, html = text_of(message), html_of(message)
    link = "https://hocso.example.vn/password/reset/abc"
    assert "Xin chào Nguyễn Văn An," in text and link in text
    assert '<html lang="vi">' in html and f'href="{link}"' in html
    # Nothing fetched from elsewhere: no images, stylesheets, scripts or frames.
    for fetches in ("<img", "<link", "<script", "<iframe", "src=", "url(", "@import"):
        assert fetches not in html.lower()
    # Sent: the bodies (a one-time link) are erased, the row stays.
    [row] = rows()
    assert row.sent_at is not None and row.attempts == 1
    assert row.text_body == row.html_body == ""


def test_the_same_key_is_queued_once(app, smtp_server):
    assert queue("reminder:7:due-14") is True
    assert queue("reminder:7:due-14", to="other@example.vn") is False
    db.session.commit()
    assert len(rows()) == 1
    sender.send_due()
    assert queue("reminder:7:due-14") is False  # sent already: still nothing new
    db.session.commit()
    sender.send_due()
    assert len(smtp_server.wait_for(1)) == 1
    assert len(rows()) == 1


def test_a_rollback_queues_nothing(app, smtp_server):
    queue("test:rolled-back")
    db.session.rollback()
    assert rows() == []
    assert sender.send_due().sent == 0
    assert smtp_server.messages == []


def test_mail_send_twice_delivers_once(app, runner, smtp_server):
    for n in range(3):
        queue(f"test:{n}", to=f"person{n}@example.vn")
    db.session.commit()
    first = runner.invoke(args=["mail", "send"])
    assert first.exit_code == 0, first.output
    assert "3 sent" in first.output
    second = runner.invoke(args=["mail", "send"])
    assert "0 sent" in second.output
    assert len(smtp_server.wait_for(3)) == 3
    assert sorted(to[0] for _from, to in smtp_server.envelopes) == [
        "person0@example.vn", "person1@example.vn", "person2@example.vn"]


def _environment(app, smtp_server) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("LMS_")}
    env.update(LMS_ENV="testing", SECRET_KEY="test-secret",
               DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               LMS_SMTP_URL=smtp_server.url, LMS_MAIL_FROM=FROM)
    return env


def test_two_concurrent_senders_deliver_each_message_once(app, smtp_server):
    count = 120
    for n in range(count):
        queue(f"test:{n}", to=f"person{n}@example.vn")
    db.session.commit()
    command = [sys.executable, "-m", "flask", "--app", "lms", "mail", "send", "--batch", "7"]
    runs = [subprocess.Popen(command, cwd=ROOT, env=_environment(app, smtp_server),
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for _ in range(2)]
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    assert all(run.returncode == 0 for run in runs), outputs
    messages = smtp_server.wait_for(count)
    ids = [m["Message-ID"] for m in messages]
    assert len(ids) == count and len(set(ids)) == count, outputs
    sent = [int(out.split(" sent")[0].split()[-1]) for out in outputs]
    assert sum(sent) == count
    assert all(row.sent_at is not None and row.attempts == 1 for row in rows())


def test_a_claimed_message_is_not_taken_by_another_run_until_its_lease_ends(app, smtp_server):
    queue("test:leased")
    db.session.commit()
    token, claimed = sender.claim()
    assert len(claimed) == 1
    assert sender.send_due().sent == 0  # another run: the message is leased
    # The first run died: once its lease ends, the message is claimed again.
    db.session.execute(update(OutboxMessage).values(claimed_until=utcnow() - timedelta(1)))
    db.session.commit()
    assert sender.send_due().sent == 1
    assert len(smtp_server.wait_for(1)) == 1


def test_server_down_keeps_mail_queued_with_the_error_then_delivers(app, runner, smtp_server):
    smtp_server.stop()
    queue("test:down")
    db.session.commit()
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 1
    assert "Stopped" in result.output and "ConnectionRefusedError" in result.output
    [row] = rows()
    assert row.sent_at is None and row.failed_at is None and row.claim_token is None
    assert row.attempts == 0 and "ConnectionRefusedError" in row.last_error
    status = runner.invoke(args=["mail", "status"]).output
    assert "queued: 1" in status and "ConnectionRefusedError" in status
    smtp_server.start()
    assert "1 sent" in runner.invoke(args=["mail", "send"]).output
    [message] = smtp_server.wait_for(1)
    assert message["To"].endswith("<an@example.vn>")
    assert "sent: 1" in runner.invoke(args=["mail", "status"]).output


def test_a_temporary_refusal_is_retried_with_growing_delays(app, smtp_server):
    smtp_server.mailbox.refuse["an@example.vn"] = "451 4.7.1 Greylisted, try again later"
    queue("test:greylisted")
    db.session.commit()
    before = utcnow()
    result = sender.send_due()
    assert (result.sent, result.retrying, result.failed) == (0, 1, 0)
    [row] = rows()
    assert row.attempts == 1 and row.last_error.startswith("451")
    assert row.send_after >= before + timedelta(seconds=60)
    assert sender.send_due().claimed == 0  # not due again yet
    assert [sender.retry_delay(n).total_seconds() for n in (1, 2, 3, 7, 8, 20)] == [
        60, 120, 240, 3600, 3600, 3600]
    del smtp_server.mailbox.refuse["an@example.vn"]
    db.session.execute(update(OutboxMessage).values(send_after=utcnow()))
    db.session.commit()
    assert sender.send_due().sent == 1
    assert rows()[0].attempts == 2


def test_temporary_failures_end_after_the_last_attempt(app, smtp_server):
    smtp_server.mailbox.refuse["an@example.vn"] = "452 4.2.2 Mailbox full"
    queue("test:full")
    db.session.execute(update(OutboxMessage).values(attempts=sender.MAX_ATTEMPTS - 1))
    db.session.commit()
    assert sender.send_due().failed == 1
    [row] = rows()
    assert row.failed_at is not None and row.text_body == ""
    # A full mailbox is not a wrong address.
    assert db.session.scalar(select(func.count()).select_from(UndeliverableAddress)) == 0


def test_a_permanent_refusal_marks_the_address_until_mail_gets_through(app, runner,
                                                                        smtp_server):
    smtp_server.mailbox.refuse["khongco@example.vn"] = "550 5.1.1 No such user here"
    queue("test:bounce", to="KhongCo@example.vn")
    queue("test:fine", to="an@example.vn")
    db.session.commit()
    result = sender.send_due()
    assert (result.sent, result.failed, result.undeliverable) == (1, 1, 1)
    bounced = rows()[0]
    assert bounced.failed_at is not None and bounced.attempts == 1
    assert bounced.last_error == "550 5.1.1 No such user here"
    assert mail.undeliverable_among(["khongco@example.vn", "AN@example.vn"]) == {
        "khongco@example.vn"}
    status = runner.invoke(args=["mail", "status"]).output
    assert "failed: 1" in status and "undeliverable addresses: 1" in status
    # The mailbox was created: the next message gets through and the mark goes.
    del smtp_server.mailbox.refuse["khongco@example.vn"]
    queue("test:later", to="khongco@example.vn")
    db.session.commit()
    assert sender.send_due().sent == 1
    assert mail.undeliverable_among(["khongco@example.vn"]) == set()


def test_line_breaks_in_names_cannot_add_headers_or_recipients(app, smtp_server):
    evil = "Nguyễn Văn An\r\nBcc: victim@example.vn\r\nX-Evil: 1"
    queue("test:evil-name", name=evil)
    db.session.commit()
    assert sender.send_due().sent == 1
    [message] = smtp_server.wait_for(1)
    assert smtp_server.envelopes == [("hocso@lms.example", ["an@example.vn"])]
    assert message["Bcc"] is None and message["X-Evil"] is None
    [to] = message["To"].addresses  # one recipient, its name on one line
    assert to.addr_spec == "an@example.vn"
    assert to.display_name.startswith("Nguyễn Văn An Bcc: victim@example.vn X-Evil")
    assert "Xin chào Nguyễn Văn An Bcc: victim@example.vn X-Evil: 1," in text_of(message)


@pytest.mark.parametrize("address", ["an@example.vn\r\nBcc: victim@example.vn",
                                     "an@example.vn, victim@example.vn",
                                     "An <an@example.vn>", "khong-phai-email", "", None])
def test_an_address_must_be_one_address(app, address):
    with pytest.raises(ValueError):
        queue("test:bad-address", to=address)


@pytest.mark.parametrize("headers", [{"List-Unsubscribe": "<https://x>\r\nBcc: a@b.vn"},
                                     {"Bcc": "victim@example.vn"},
                                     {"X-Bad\r\nBcc": "a"}, {"To": "victim@example.vn"}])
def test_extra_headers_cannot_carry_line_breaks_or_replace_the_senders(app, headers):
    with pytest.raises(ValueError):
        queue("test:bad-header", headers=headers)
    assert rows() == []


def test_the_email_package_itself_refuses_a_subject_with_a_line_break(app, smtp_server):
    """Defence in depth: a row written around queue() still cannot inject a header;
    the sender gives that message up without sending it."""
    queue("test:raw")
    db.session.execute(update(OutboxMessage).values(subject="Chào\r\nBcc: victim@example.vn"))
    db.session.commit()
    row = rows()[0]
    with pytest.raises(ValueError):
        build_message(row, sender.Sender().sender)
    result = sender.send_due()
    assert (result.sent, result.failed) == (0, 1)
    assert smtp_server.messages == []
    assert "linefeed" in rows()[0].last_error


def test_watch_delivers_new_mail_and_stops_when_asked(app, smtp_server):
    queue("test:watched")
    db.session.commit()
    rounds = []
    sender.watch(0.1, stop=lambda: len(rounds) >= 1, sleep=lambda _s: None,
                 report=rounds.append)
    assert rounds[0].sent == 1
    assert len(smtp_server.wait_for(1)) == 1


@pytest.mark.parametrize("app_settings", [{}])
def test_without_a_server_mail_waits_and_the_admin_is_told(app, runner, client, admin):
    from tests.builders import load_units
    from tests.conftest import login

    load_units()
    queue("test:waiting")
    db.session.commit()
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code != 0 and "LMS_SMTP_URL is not set" in result.output
    assert "server: not configured" in runner.invoke(args=["mail", "status"]).output
    login(client, "admin@example.vn")
    page = client.get("/units/NA").get_data(as_text=True)
    assert "Chưa cấu hình máy chủ thư (LMS_SMTP_URL)" in page
    assert "1 thư đang chờ trong hàng đợi" in page
    assert rows()[0].sent_at is None


def test_an_admin_sees_mail_that_keeps_failing(app, client, admin, smtp_server):
    from tests.builders import load_units
    from tests.conftest import login

    load_units()
    login(client, "admin@example.vn")
    assert "máy chủ thư" not in client.get("/units/NA").get_data(as_text=True)
    smtp_server.stop()
    queue("test:stuck")
    db.session.commit()
    sender.send_due()
    page = client.get("/units/NA").get_data(as_text=True)
    assert "1 thư đang chờ gửi lại sau lỗi" in page and "ConnectionRefusedError" in page


@pytest.mark.parametrize(("url", "expected"), [
    ("smtp://relay.local:25", ("smtp", "relay.local", 25, None, None)),
    ("smtp://relay.local", ("smtp", "relay.local", 25, None, None)),
    ("smtp+starttls://user%40x.vn:p%40ss@mail.x.vn:587",
     ("smtp+starttls", "mail.x.vn", 587, "user@x.vn", "p@ss")),
    ("smtp+starttls://mail.x.vn", ("smtp+starttls", "mail.x.vn", 587, None, None)),
    ("smtps://u:p@mail.x.vn", ("smtps", "mail.x.vn", 465, "u", "p")),
])
def test_smtp_urls(url, expected):
    settings = parse_smtp_url(url)
    assert (settings.scheme, settings.host, settings.port, settings.username,
            settings.password) == expected
    assert "p@ss" not in settings.display and "ss@" not in settings.display


@pytest.mark.parametrize("url", ["http://mail.x.vn", "smtp://", "mail.x.vn:25",
                                 "smtp://mail.x.vn:port"])
def test_bad_smtp_urls_are_refused(url):
    with pytest.raises(SmtpUrlError):
        parse_smtp_url(url)


@pytest.mark.parametrize(("settings", "problem"), [
    ({"LMS_SMTP_URL": "imap://mail.x.vn"}, "LMS_SMTP_URL must start with"),
    ({"LMS_SMTP_URL": "smtp://mail.x.vn"}, "LMS_MAIL_FROM must be set"),
    ({"LMS_SMTP_URL": "smtp://mail.x.vn", "LMS_MAIL_FROM": "khong dung"}, "LMS_MAIL_FROM"),
])
def test_the_app_refuses_to_start_with_broken_mail_settings(tmp_path, settings, problem):
    with pytest.raises(ConfigError, match=problem):
        create_app({"LMS_ENV": "testing", "SECRET_KEY": "t",
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'c.sqlite3'}",
                    **settings})


def test_long_vietnamese_headers_arrive_with_every_space(app, smtp_server):
    """Python's folding of encoded words drops spaces ("kỹ năngsố"): the headers of a
    message are written unfolded, and arrive exactly."""
    subject = ("Kích hoạt tài khoản học kỹ năng số · Học kỹ năng số Nghệ An · "
               "nhắc lịch học các khóa bồi dưỡng bắt buộc của đơn vị")[:mail.SUBJECT_MAX]
    name = "Nguyễn Thị Phương Thảo (Phòng Văn hóa và Thông tin xã Nghi Lộc)"
    queue("test:long")
    db.session.execute(update(OutboxMessage).values(subject=subject, to_name=name))
    db.session.commit()
    assert sender.send_due().sent == 1
    [message] = smtp_server.wait_for(1)
    assert str(message["Subject"]) == subject
    assert message["To"].addresses[0].display_name == name


def test_mail_send_watch_delivers_as_mail_is_queued_and_stops_on_sigterm(app, smtp_server):
    import signal
    import time

    command = [sys.executable, "-m", "flask", "--app", "lms", "mail", "send", "--watch",
               "--interval", "0.2"]
    watcher = subprocess.Popen(command, cwd=ROOT, env=_environment(app, smtp_server),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        queue("test:watched-1")
        db.session.commit()
        assert len(smtp_server.wait_for(1, timeout=30)) == 1
        queue("test:watched-2", to="hai@example.vn")
        db.session.commit()
        assert len(smtp_server.wait_for(2, timeout=30)) == 2
    finally:
        time.sleep(0.1)
        watcher.send_signal(signal.SIGTERM)
        output = watcher.communicate(timeout=30)[0]
    assert watcher.returncode == 0, output
    assert "Watching the outbox" in output
    # Each look that claims mail reports what it sent (one look may find both messages
    # on a slow machine): two in all, never one twice.
    assert sum(int(n) for n in re.findall(r"^(\d+) sent", output, re.MULTILINE)) == 2, output
