"""Mail delivery benchmark: `flask --app lms mail send` against an SMTP server on loopback.

Bar (issue 13, "Reaching every learner"): `flask mail send` delivers at least 50
messages a second to the loopback SMTP server.

N messages (default 2,000; each plain text and HTML, Vietnamese) are queued in a fresh
SQLite database, then `flask --app lms mail send` runs as a separate process, as cron
or systemd would run it, against an aiosmtpd server in this process. The rate counts
the whole command, start-up included, and every message must arrive exactly once.
A second round queues N more and runs two senders at once (no message twice).

    python -m bench mail_send [--messages N]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BENCHMARK = "mail delivery: `flask mail send` to a loopback SMTP server"
ROOT = Path(__file__).resolve().parent.parent
BAR_PER_SECOND = 50.0
FROM = "Học kỹ năng số <hocso@lms.example>"


def log(message: str) -> None:
    print(f"# {message}", flush=True)


def bench(name: str, value: float, unit: str, bar: str | None = None, ok: bool | None = None):
    print(f"BENCH {name} {value:.1f} {unit}", flush=True)
    if bar:
        print(f"# bar: {bar} ({'ok' if ok else 'MISSED'})", flush=True)


class Mailbox:
    def __init__(self) -> None:
        self.ids: list[str] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content or envelope.content
        for line in content.split(b"\r\n"):
            if line.lower().startswith(b"message-id:"):
                with self.lock:
                    self.ids.append(line.split(b":", 1)[1].strip().decode())
                break
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def queue_messages(app, start: int, count: int) -> float:
    from lms.extensions import db
    from lms.mail import logic as mail

    began = time.perf_counter()
    with app.app_context():
        for n in range(start, start + count):
            mail.queue(f"bench:{n}", f"nguoi{n}@example.vn", "password_reset",
                       name=f"Nguyễn Văn Thử {n}", valid_minutes=60,
                       link=f"https://hocso.example.vn/password/reset/{n:064d}")
            if n % 500 == 0:
                db.session.commit()
        db.session.commit()
    return time.perf_counter() - began


def run_senders(environment: dict[str, str], senders: int) -> tuple[float, list[str]]:
    command = [sys.executable, "-m", "flask", "--app", "lms", "mail", "send"]
    began = time.perf_counter()
    runs = [subprocess.Popen(command, cwd=ROOT, env=environment, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True) for _ in range(senders)]
    outputs = [run.communicate()[0].strip() for run in runs]
    elapsed = time.perf_counter() - began
    for run, output in zip(runs, outputs, strict=True):
        if run.returncode != 0:
            raise RuntimeError(f"mail send failed: {output}")
    return elapsed, outputs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench mail_send")
    parser.add_argument("--messages", type=int, default=2000)
    args, _unknown = parser.parse_known_args(argv)
    from aiosmtpd.controller import Controller

    from lms import create_app
    from lms.extensions import db

    directory = Path(tempfile.mkdtemp(prefix="lms-bench-mail-"))
    database = f"sqlite:///{directory / 'mail.sqlite3'}"
    mailbox = Mailbox()
    port = free_port()
    server = Controller(mailbox, hostname="127.0.0.1", port=port)
    server.start()
    settings = {"LMS_SMTP_URL": f"smtp://127.0.0.1:{port}", "LMS_MAIL_FROM": FROM}
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith("LMS_")}
    environment.update(LMS_ENV="testing", SECRET_KEY="bench-" + "x" * 40,
                       DATABASE_URL=database, **settings)
    ok = True
    try:
        app = create_app({"LMS_ENV": "testing", "SECRET_KEY": "bench-" + "x" * 40,
                          "SQLALCHEMY_DATABASE_URI": database, **settings})
        with app.app_context():
            db.create_all()
        count = args.messages
        seconds = queue_messages(app, 0, count)
        bench("mail_queue_rate", count / seconds, "messages/s")

        elapsed, outputs = run_senders(environment, 1)
        log(f"{count} messages in {elapsed:.2f} s (start-up included): {outputs[0]}")
        rate = count / elapsed
        delivered = len(mailbox.ids)
        unique = len(set(mailbox.ids))
        if delivered != count or unique != count:
            log(f"delivered {delivered}, {unique} different: expected {count} once each")
            ok = False
        bench("mail_send_rate", rate, "messages/s", f">= {BAR_PER_SECOND:g} messages/s",
              rate >= BAR_PER_SECOND)
        ok &= rate >= BAR_PER_SECOND

        queue_messages(app, count, count)
        elapsed, outputs = run_senders(environment, 2)
        log(f"two senders at once: {count} more in {elapsed:.2f} s: {' | '.join(outputs)}")
        twice = len(mailbox.ids) - len(set(mailbox.ids))
        if len(mailbox.ids) != 2 * count or twice:
            log(f"two senders: {len(mailbox.ids)} arrived, {twice} twice")
            ok = False
        bench("mail_send_two_senders_rate", count / elapsed, "messages/s")
    finally:
        server.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
