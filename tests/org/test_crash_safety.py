"""A roster import killed at any moment leaves the database whole: all of the file or none.

The ``officials import`` command runs in a child process against a file SQLite
database and is killed with SIGKILL (no clean-up, as when the OOM killer
strikes) at random moments: half of them anywhere in the import, half while it
holds the database's write lock, i.e. inside its transaction. After each kill
the file must pass ``PRAGMA integrity_check`` and hold either every row of the
file (created officials, updated officials, their requirements) or none.

Python and the app start once, in a child that forks one process per import
(before any database connection exists): the kill delays count from the start
of the import itself, and no run pays the interpreter's start-up again.

The kill schedule comes from a seeded RNG; the seed is printed (shown with the
output of a failing test). Repeat a run's schedule with ``LMS_CRASH_SEED=<seed>``.
"""

from __future__ import annotations

import os
import random
import select
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from lms.config import PROJECT_ROOT
from lms.courses.sync import sync_courses
from lms.extensions import db
from tests.builders import ROSTER_HEADER, csv_bytes, load_roster, load_units, write_course

pytestmark = pytest.mark.sqlite_only

ROWS = 15_000  # new officials per file: the import runs for seconds, not moments
SEEDED = 300  # officials already on the roster; every file updates each of them
KILLS = 6
UNITS = ["X1", "X2", "SNV", "SNV-TC"]
POLL = 0.005

# The child: loads the app once, then forks a process per file given on stdin that runs
# the real `flask officials import FILE` command (its output goes to LOG); it reports
# each process's pid, then its exit code (negative: killed by that signal).
FORKER = """
import os
import sys
import traceback

from lms import create_app

app = create_app()
print("ready", flush=True)
for line in sys.stdin:
    file, log = line.rstrip("\\n").split("\\t")
    pid = os.fork()
    if pid == 0:
        code = 70
        try:
            out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.dup2(out, 1)
            os.dup2(out, 2)
            result = app.test_cli_runner().invoke(args=["officials", "import", file])
            print(result.output)
            if result.exception is not None and not isinstance(result.exception, SystemExit):
                traceback.print_exception(result.exception)
            code = result.exit_code
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    print(f"pid {pid}", flush=True)
    _, status = os.waitpid(pid, 0)
    print(f"exit {os.waitstatus_to_exitcode(status)}", flush=True)
"""


def roster_file(directory: Path, batch: int) -> Path:
    """ROWS new officials of batch ``batch``, and the seeded ones with a new position."""
    rows = [ROSTER_HEADER]
    rows += [[f"B{batch:02d}-{n:06d}", f"Nguyễn Văn Đợt{batch} {n}", UNITS[n % 4], "Công chức",
              "Chuyên viên", "", "", "", "", "", ""] for n in range(ROWS)]
    rows += [[f"S-{n:04d}", f"Trần Thị {n}", UNITS[n % 4], "Viên chức", f"Đợt {batch}",
              "", "", "", "", "", ""] for n in range(SEEDED)]
    path = directory / f"roster-{batch:02d}.csv"
    path.write_bytes(csv_bytes(rows))
    return path


def state(database: Path, batch: int) -> dict[str, object]:
    with closing(sqlite3.connect(database)) as conn:
        return {
            "integrity": conn.execute("PRAGMA integrity_check").fetchall(),
            "officials": conn.execute("SELECT count(*) FROM officials").fetchone()[0],
            "created": conn.execute("SELECT count(*) FROM officials WHERE employee_code "
                                    "LIKE ?", (f"B{batch:02d}-%",)).fetchone()[0],
            "updated": conn.execute("SELECT count(*) FROM officials WHERE position = ?",
                                    (f"Đợt {batch}",)).fetchone()[0],
            "requirements": conn.execute("SELECT count(*) FROM requirements").fetchone()[0],
        }


def write_locked(database: Path) -> bool:
    """Whether another process holds the write lock (the import is in its transaction)."""
    probe = sqlite3.connect(database, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        return True
    finally:
        if probe.in_transaction:
            probe.execute("ROLLBACK")
        probe.close()
    return False


class Forker:
    """The child that runs each import in a process of its own."""

    def __init__(self, database: Path, courses: Path, log: Path) -> None:
        env = dict(os.environ, LMS_ENV="testing", SECRET_KEY="crash-test",
                   DATABASE_URL=f"sqlite:///{database}", LMS_COURSES_DIR=str(courses))
        self.log = log
        with log.open("wb") as errors:
            self.process = subprocess.Popen(
                [sys.executable, "-c", FORKER], cwd=PROJECT_ROOT, env=env, bufsize=0,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors)
        self.expect("ready")

    def expect(self, word: str) -> str:
        line = self.process.stdout.readline().decode()
        assert line.startswith(word), f"{line!r}\n{self.log.read_text()}"
        return line.split()[-1]

    def start(self, file: Path, log: Path) -> Import:
        self.process.stdin.write(f"{file}\t{log}\n".encode())
        return Import(self, int(self.expect("pid")), log)

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)
        self.process.stdout.close()


class Import:
    """One import running in its own process."""

    def __init__(self, forker: Forker, pid: int, log: Path) -> None:
        self.forker, self.pid, self.log = forker, pid, log
        self.started = time.monotonic()
        self.code: int | None = None

    def running(self) -> bool:
        if self.code is None and select.select([self.forker.process.stdout], [], [], 0)[0]:
            self.code = int(self.forker.expect("exit"))
        return self.code is None

    def wait_for(self, condition, seconds: float) -> bool:
        """Poll until ``condition()``; False when the import ended first."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if not self.running():
                return False
            if condition():
                return True
            time.sleep(POLL)
        return self.running()

    def kill(self) -> None:
        os.kill(self.pid, signal.SIGKILL)

    def finish(self) -> tuple[int, str]:
        if self.code is None:
            self.code = int(self.forker.expect("exit"))
        return self.code, self.log.read_text(errors="replace")


def test_a_killed_roster_import_leaves_all_of_the_file_or_none(app, courses_dir, tmp_path):
    seed = int(os.environ.get("LMS_CRASH_SEED") or random.SystemRandom().randrange(2**32))
    print(f"crash-safety seed: {seed} (repeat with LMS_CRASH_SEED={seed})")
    rng = random.Random(seed)
    write_course(courses_dir, required_for=[{"audience": "official"}])
    sync_courses(courses_dir)
    load_units()
    load_roster([[f"S-{n:04d}", f"Trần Thị {n}", UNITS[n % 4], "Viên chức", "Chuyên viên",
                  "", "", "", "", "", ""] for n in range(SEEDED)])
    database = Path(db.engine.url.database)
    db.session.remove()
    db.engine.dispose()  # the test holds no connection while the children run
    locked = lambda: write_locked(database)  # noqa: E731

    totals = {key: state(database, 0)[key] for key in ("officials", "requirements")}

    def check(batch: int, output: str, what: str) -> str:
        """Every row of batch ``batch`` or none; the totals move on to the new state."""
        after = state(database, batch)
        context = f"seed {seed}, {what}: before {totals}, after {after}\n{output}"
        assert after["integrity"] == [("ok",)], context
        none = {"officials": totals["officials"], "created": 0, "updated": 0,
                "requirements": totals["requirements"]}
        every = {"officials": totals["officials"] + ROWS, "created": ROWS, "updated": SEEDED,
                 "requirements": totals["requirements"] + ROWS}
        counts = {key: after[key] for key in none}
        assert counts in (none, every), context
        totals.update(officials=after["officials"], requirements=after["requirements"])
        return "all" if counts == every else "none"

    forker = Forker(database, courses_dir, tmp_path / "forker.log")
    try:
        # A first import runs to its end: it works, and it times the import and its
        # transaction.
        batch = 1
        file = roster_file(tmp_path, batch)
        run = forker.start(file, tmp_path / "import-01.log")
        assert run.wait_for(locked, 120), run.finish()
        locked_at = committed_at = time.monotonic() - run.started
        while run.running():  # the last moment it holds the lock: its commit
            if locked():
                committed_at = time.monotonic() - run.started
            time.sleep(POLL)
        code, output = run.finish()
        duration = time.monotonic() - run.started
        assert code == 0, output
        assert check(batch, output, "uninterrupted import") == "all"
        print(f"import of {ROWS + SEEDED} rows: {duration:.2f} s, "
              f"in its transaction from {locked_at:.2f} s to {committed_at:.2f} s")

        outcomes = []
        for kill in range(KILLS):
            batch += 1
            file = roster_file(tmp_path, batch)
            inside = kill % 2 == 1  # every other kill aims at the write transaction
            delay = rng.uniform(0, (committed_at - locked_at) if inside else duration)
            run = forker.start(file, tmp_path / f"import-{batch:02d}.log")
            if inside:
                run.wait_for(locked, 120)
            run.wait_for(lambda: False, delay)
            at = time.monotonic() - run.started
            writing = run.running() and locked()
            if run.running():
                run.kill()
            code, output = run.finish()
            assert code in (0, -signal.SIGKILL), output
            result = check(batch, output, f"kill {kill + 1} at {at:.2f} s")
            if writing:
                moment = "in its transaction"
            elif code == 0:
                moment = "after it ended"
            else:
                moment = "after it committed" if result == "all" else "before it wrote"
            outcomes.append((round(at, 2), moment, result))
        print("kills (seconds into the import, moment, rows kept):", *outcomes, sep="\n  ")

        # The database is still fine for the next import.
        batch += 1
        file = roster_file(tmp_path, batch)
        code, output = forker.start(file, tmp_path / "import-last.log").finish()
        assert code == 0, output
        assert check(batch, output, "import after the kills") == "all"
    finally:
        forker.close()

    killed = [o for o in outcomes if o[1] != "after it ended"]
    assert len(killed) >= KILLS // 2, f"seed {seed}: most imports ended before the kill"
    assert any(o[1] == "in its transaction" for o in outcomes), (
        f"seed {seed}: no kill landed inside the import's transaction: {outcomes}")
