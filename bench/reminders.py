"""Reminders benchmark: `reminders send` for the synthetic province.

Bar (issue 13): reminders and digests for the 100,000-official synthetic province
computed and queued <= 60 s and <= 300 MB peak heap (measured in a child process:
RssAnon sampled every 20 ms; the peak resident set, VmHWM, is printed beside it).
90% of officials have an account with an email; every unit down to district level has
an HR officer, and there is a province admin. The run is timed on two days: the
province's report date (refreshers of the yearly course, digests) and a day early in
2024 when most officials are due or overdue (the heavy case); each is run a second
time to show it queues nothing new.

    python -m bench reminders [--rows N] [--keep DIR]

At 100,000 (the default) on a busy 2-core machine: the report day 8 s and a 134 MB
heap, the heavy day (152,000 reminders and 62 digests) 17.5 s and a 235 MB heap; each
message variant is rendered once (lms/mail/bulk.py) and digests are cut from one
report of the whole tree. A repeat run takes ~6 s and queues nothing.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from bench.compliance_report import (
    AS_OF,
    HeapPeak,
    anon_mb,
    build_province,
    log,
    make_app,
    peak_mb,
)

DEFAULT_ROWS = 100_000  # the synthetic province

BENCHMARK = "reminders: `reminders send` for the synthetic province, time and peak memory"
ROOT = Path(__file__).resolve().parent.parent
HEAVY_DAY = date(2024, 3, 20)  # 60-day courses overdue, 90-day courses due in 11 days
BAR_SECONDS, BAR_MB = 60.0, 300.0


def bench(name: str, value: float, unit: str, bar: str | None = None, ok: bool | None = None):
    print(f"BENCH {name} {value:.1f} {unit}", flush=True)
    if bar:
        print(f"# bar: {bar} ({'ok' if ok else 'MISSED'})", flush=True)


def add_recipients(db_path: Path, courses_dir: Path) -> dict[str, int]:
    """Emails for every account; an HR officer for each unit down to districts."""
    from sqlalchemy import func, select, text

    from lms.auth.models import User
    from lms.extensions import db
    from lms.org.models import Unit

    app = make_app(db_path, courses_dir)
    with app.app_context():
        db.session.execute(text("UPDATE users SET email = 'u' || id || '@bench.vn' "
                                "WHERE email IS NULL AND role = 'official'"))
        top = db.session.execute(select(Unit.id, Unit.code).where(
            Unit.level.in_(("province", "department", "district")))).all()
        start = (db.session.scalar(select(func.max(User.id))) or 0) + 1
        rows = [{"id": start + i, "full_name": f"HR {code}", "role": "unit_manager",
                 "unit_id": unit_id, "email": f"hr.{code.lower()}@bench.vn",
                 "is_active": True, "session_version": 1}
                for i, (unit_id, code) in enumerate(top)]
        rows.append({"id": start + len(top), "full_name": "Quản trị tỉnh", "role": "admin",
                     "unit_id": None, "email": "admin@bench.vn", "is_active": True,
                     "session_version": 1})
        db.session.execute(text(
            "INSERT INTO users (id, full_name, role, unit_id, email, is_active, "
            "session_version, created_at) VALUES (:id, :full_name, :role, :unit_id, :email, "
            ":is_active, :session_version, CURRENT_TIMESTAMP)"), rows)
        db.session.commit()
        return {"managers": len(top), "admins": 1}


def child(db_path: str, courses_dir: str, day: str, fresh: str = "") -> None:
    """One `reminders send` in a fresh process: its peak memory is the run's own."""
    from sqlalchemy import delete, func, select

    from lms.extensions import db
    from lms.mail.models import OutboxMessage
    from lms.reminders.logic import send_reminders

    app = make_app(Path(db_path), Path(courses_dir))
    with app.app_context():
        if fresh:  # an empty outbox: the first run of the day queues everything
            db.session.execute(delete(OutboxMessage))
            db.session.commit()
        base = peak_mb()
        heap = HeapPeak()
        began = time.perf_counter()
        # As the command runs it: committed batch by batch.
        result = send_reminders(date.fromisoformat(day), checkpoint=db.session.commit)
        db.session.commit()
        seconds = time.perf_counter() - began
        heap.stop()
        total = db.session.scalar(select(func.count()).select_from(OutboxMessage))
        print(json.dumps({"seconds": seconds, "peak_mb": peak_mb(), "base_mb": base,
                          "anon_mb": anon_mb(), "peak_anon_mb": heap.peak,
                          "reminders": result.reminders, "summaries": result.summaries,
                          "digests": result.digests, "learners": result.learners,
                          "outbox": total}))


def run_child(db_path: Path, courses_dir: Path, day: date, fresh: bool = False) -> dict:
    output = subprocess.run(
        [sys.executable, "-m", "bench.reminders", "--child", str(db_path), str(courses_dir),
         day.isoformat(), "fresh" if fresh else ""],
        cwd=ROOT, capture_output=True, text=True, timeout=1200)
    if output.returncode:
        raise RuntimeError(output.stderr[-3000:])
    return json.loads(output.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--child"]:
        child(*argv[1:5])
        return 0
    parser = argparse.ArgumentParser(prog="python -m bench reminders")
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the database in DIR")
    args, _unknown = parser.parse_known_args(argv)
    directory = args.keep or Path(tempfile.mkdtemp(prefix="lms-bench-reminders-"))
    directory.mkdir(parents=True, exist_ok=True)
    db_path, courses_dir = directory / "report.sqlite3", directory / "courses"
    if args.keep and db_path.exists():
        log(f"reusing {db_path}")
    else:
        began = time.perf_counter()
        db_path, courses_dir, stats = build_province(directory, args.rows)
        stats.update(add_recipients(db_path, courses_dir))
        log(f"built in {time.perf_counter() - began:.1f} s: {stats}")
    try:
        return 0 if measure(db_path, courses_dir) else 1
    finally:
        if not args.keep:
            shutil.rmtree(directory, ignore_errors=True)


def measure(db_path: Path, courses_dir: Path) -> bool:
    ok = True
    for label, day in (("report_day", AS_OF), ("heavy_day", HEAVY_DAY)):
        first = run_child(db_path, courses_dir, day, fresh=True)
        log(f"{day}: {first}")
        seconds_ok = first["seconds"] <= BAR_SECONDS
        memory_ok = first["peak_anon_mb"] <= BAR_MB
        bench(f"reminders_{label}_s", first["seconds"], "s", f"<= {BAR_SECONDS:g} s",
              seconds_ok)
        bench(f"reminders_{label}_peak_heap_mb", first["peak_anon_mb"], "MB",
              f"<= {BAR_MB:g} MB", memory_ok)
        bench(f"reminders_{label}_peak_rss_mb", first["peak_mb"], "MB")
        again = run_child(db_path, courses_dir, day)
        queued_again = again["reminders"] + again["summaries"] + again["digests"]
        log(f"{day} again: {again}")
        bench(f"reminders_{label}_second_run_s", again["seconds"], "s")
        bench(f"reminders_{label}_second_run_queued", queued_again, "messages", "0",
              queued_again == 0)
        ok &= seconds_ok and memory_ok and queued_again == 0
    return ok


if __name__ == "__main__":
    raise SystemExit(main())
