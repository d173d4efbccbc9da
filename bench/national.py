"""National benchmark on PostgreSQL (`make bench-national`; not part of `make bench`, not
in CI: it loads ~12 million rows and takes several minutes).

A synthetic country: a national root, 33 synthetic provinces of 20 departments and 100
communes each (3,300 communes), 2,000,000 officials and about 10,000,000 completion and
classroom records, loaded with COPY. Then Nghệ An (bench/synthetic.py's province tree) is
added through the units import and its 100,000-official roster through the roster import
HR uses, timed, and given records of its own.

Bars (issue "Learners at the scale of a province-wide campaign", point 4):
- one province's report <= 1 s and the national report <= 10 s, each <= 3x the fastest
  hand-written SQL giving the same per-unit counts (asserted equal);
- the 100,000-row roster import into that database <= 60 s;
- the report page of a province under gunicorn (2 workers, 8 clients): p95 <= 1 s.

    python -m bench.national [--database URL] [--officials N] [--keep]

Without --database (or LMS_BENCH_DATABASE_URL) a throwaway PostgreSQL cluster is made in
a temporary folder with Debian's binaries (run as root, it runs them as `postgres`) and
removed afterwards; --keep leaves it running and prints its URL for a second look, and
`--database URL --reuse` measures the reports and the page again on that loaded country
(no second ten-minute load; the roster import is not measured again).
"""

from __future__ import annotations

import argparse
import glob
import os
import random
import shutil
import subprocess
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from bench.compliance_report import (
    AS_OF,
    csv_bytes,
    free_port,
    log,
    page_p95,
    raw_baselines,
    write_courses,
)
from bench.synthetic import ROSTER_HEADER, UNIT_HEADER, build_roster, build_units

PROVINCES = 33  # plus Nghệ An, imported: 34
DEPARTMENTS = 20
COMMUNES = 100
DEFAULT_OFFICIALS = 2_000_000
ROSTER_ROWS = 100_000
BARS = {"province_s": 1.0, "national_s": 10.0, "ratio": 3.0, "import_s": 60.0,
        "page_p95_ms": 1000.0}
SECRET = "bench-secret-" + "0" * 32


def bench(name: str, value: float, unit: str, bar: str | None = None,
          ok: bool | None = None) -> None:
    print(f"BENCH {name} {value:.3f} {unit}", flush=True)
    if bar:
        print(f"# bar: {bar} ({'ok' if ok else 'MISSED'})", flush=True)


# --- a throwaway PostgreSQL ------------------------------------------------------------


class Cluster:
    """initdb + pg_ctl in a temporary folder, on a free loopback port."""

    def __init__(self) -> None:
        binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not binaries:
            raise SystemExit("PostgreSQL not found: apt-get install postgresql "
                             "(or give --database URL)")
        self.bin = Path(binaries[-1]).parent
        self.dir = Path(tempfile.mkdtemp(prefix="lms-bench-national-"))
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/lms"

    def _run(self, *command: str) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
            command = ("runuser", "-u", "postgres", "--", *command)
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)

    def start(self) -> str:
        data = str(self.dir / "data")
        self._run(str(self.bin / "initdb"), "-D", data, "-A", "trust", "-U", "postgres",
                  "-E", "UTF8")
        # Settings of a machine given to the database; durability off for the load only
        # matters to writes, not to the reports measured.
        options = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
                   "-c shared_buffers=1GB -c work_mem=64MB -c maintenance_work_mem=512MB "
                   "-c effective_cache_size=8GB -c max_wal_size=8GB -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c jit=off")
        self._run(str(self.bin / "pg_ctl"), "-D", data, "-w", "-l", str(self.dir / "log"),
                  "-o", options, "start")
        self._run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                  "-U", "postgres", "lms")
        return self.url

    def stop(self) -> None:
        try:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast",
                      "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


# --- loading ---------------------------------------------------------------------------


def make_app(url: str, courses_dir: Path):
    from lms import create_app

    return create_app({"LMS_ENV": "testing", "SECRET_KEY": SECRET,
                       "SQLALCHEMY_DATABASE_URI": url, "LMS_COURSES_DIR": str(courses_dir)})


class Copier:
    """COPY rows into a table, filling the columns a row leaves out with the model's
    defaults (COPY does not run them)."""

    def __init__(self, connection, table_name: str, given: list[str]) -> None:
        from lms.extensions import db

        table = db.metadata.tables[table_name]
        self.columns = list(given)
        self.extra: list[object] = []
        for column in table.columns:
            if column.name in given or column.primary_key and column.name == "id" \
                    and "id" not in given:
                continue
            default = column.default
            if default is not None and default.is_scalar:
                value = default.arg
            elif default is not None and default.is_callable:
                try:
                    value = default.arg(None)
                except Exception:  # needs the row (sort_name): the caller gives it
                    raise SystemExit(f"{table_name}.{column.name} must be given") from None
            elif column.nullable or column.server_default is not None:
                continue
            else:
                raise SystemExit(f"{table_name}.{column.name} has no value")
            self.columns.append(column.name)
            self.extra.append(value)
        self.cursor = connection.cursor()
        self.sql = f"COPY {table_name} ({', '.join(self.columns)}) FROM STDIN"
        self.rows = 0

    def __enter__(self):
        self._copy = self.cursor.copy(self.sql)
        self.copy = self._copy.__enter__()
        return self

    def write(self, *values) -> None:
        self.copy.write_row((*values, *self.extra))
        self.rows += 1

    def __exit__(self, *exc) -> None:
        self._copy.__exit__(*exc)
        self.cursor.close()


FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Phan", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ",
          "Ngô", "Dương", "Lý", "Vi", "Lương"]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Thanh", "Ngọc", "Quang", "Xuân", "Hồng"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hoa", "Hùng", "Lan",
         "Linh", "Long", "Mai", "Nam", "Nga", "Phương", "Quân", "Sơn", "Tâm", "Thảo", "Trang",
         "Tuấn", "Vân", "Yến", "Đạt", "Ánh", "Ổn"]


def load_country(url: str, courses_dir: Path, officials: int) -> dict[str, int]:
    """Units, officials with their periods and accounts, completions and classroom
    records, by COPY; indexes are built by create_all before, as in production."""
    from sqlalchemy import select

    from lms.courses.models import Course
    from lms.courses.sync import sync_courses
    from lms.extensions import db
    from lms.reports.versions import bump
    from lms.util.formatting import name_sort_key
    from lms.util.text import fold

    write_courses(courses_dir)
    app = make_app(url, courses_dir)
    rng = random.Random(2026)
    stats: dict[str, int] = {}
    with app.app_context():
        db.create_all()
        sync_courses(courses_dir)
        db.session.commit()
        courses = list(db.session.scalars(select(Course).order_by(Course.id)))
        required = [c for c in courses if c.required_for]
        optional = [c for c in courses if not c.required_for]
        connection = db.engine.raw_connection()
        raw = connection.driver_connection
        now = datetime(2026, 6, 30, 12, 0)
        # The tree: 1 = the country, then provinces with departments and communes.
        units: list[tuple[int, str, str, str, int | None, str]] = [
            (1, "VN", "Cả nước", "other", None, "/1/")]
        leaves: list[tuple[int, str]] = []  # (unit id, level) where officials work
        next_id = 2
        for p in range(1, PROVINCES + 1):
            province_id, province_path = next_id, f"/1/{next_id}/"
            units.append((province_id, f"T{p:02d}", f"Tỉnh thử {p:02d}", "province", 1,
                          province_path))
            next_id += 1
            for kind, count, level, word in (("S", DEPARTMENTS, "department", "Sở"),
                                             ("X", COMMUNES, "commune", "Xã")):
                for n in range(1, count + 1):
                    units.append((next_id, f"T{p:02d}-{kind}{n:03d}", f"{word} thử {n:03d}",
                                  level, province_id, f"{province_path}{next_id}/"))
                    leaves.append((next_id, level))
                    next_id += 1
        with Copier(raw, "units", ["id", "code", "name", "level", "parent_id", "path",
                                   "created_at"]) as copy:
            for row in units:
                copy.write(*row, now)
        with Copier(raw, "unit_periods", ["unit_id", "name", "level", "parent_id"]) as copy:
            for unit_id, _code, name, level, parent, _path in units:
                copy.write(unit_id, name, level, parent)
        level_of = {unit_id: level for unit_id, _c, _n, level, _p, _x in units}
        # Officials: 60% in communes, 40% in departments; 90% with an account
        # (user id = official id), ~8% leaders, ~2% IT officers.
        communes = [u for u, level in leaves if level == "commune"]
        departments = [u for u, level in leaves if level == "department"]
        staff = []
        for number in range(1, officials + 1):
            unit_id = rng.choice(communes) if rng.random() < 0.6 else rng.choice(departments)
            name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
            leader, it = rng.random() < 0.08, rng.random() < 0.02
            category = "cong_chuc" if rng.random() < 0.6 else "vien_chuc"
            staff.append((number, unit_id, name, category, leader, it,
                          number if number % 10 else None))
        # One COPY at a time on a connection: accounts, then officials, then periods.
        with Copier(raw, "users", ["id", "full_name", "role", "is_active", "session_version",
                                   "created_at"]) as copy:
            for number, _unit, name, _category, _leader, _it, user_id in staff:
                if user_id:
                    copy.write(number, name, "official", True, 1, now)
        with Copier(raw, "officials", ["id", "employee_code", "full_name", "search_name",
                                       "sort_name", "unit_id", "category", "position",
                                       "is_leader", "is_it_officer", "status", "user_id",
                                       "created_at", "updated_at"]) as copy:
            for number, unit_id, name, category, leader, it, user_id in staff:
                copy.write(number, f"CB{number:08d}", name, fold(name), name_sort_key(name),
                           unit_id, category, "Lãnh đạo" if leader else "Chuyên viên",
                           leader, it, "active", user_id, now, now)
        with Copier(raw, "official_periods", ["official_id", "unit_id", "category",
                                              "position", "is_leader", "is_it_officer",
                                              "status"]) as copy:
            for number, unit_id, _name, category, leader, it, _user_id in staff:
                copy.write(number, unit_id, category, "Lãnh đạo" if leader else "Chuyên viên",
                           leader, it, "active")
        people = [(number, user_id, leader, it, level_of[unit_id])
                  for number, unit_id, _n, _c, leader, it, user_id in staff]
        del staff
        connection.commit()
        advance_sequences(db.session, ("units", "users", "officials"))
        db.session.commit()
        log(f"loaded {len(units):,} units and {officials:,} officials")
        stats.update(units=len(units), officials=officials)
        connection.close()
        stats.update(add_records(db.engine, people, required, optional, rng))
        # COPY passes outside SQLAlchemy, so the report's data version is bumped by hand
        # (lms.reports.versions): no kept report may outlive the load.
        bump()
        db.session.commit()
        settle(db.engine)
    return stats


def settle(engine) -> None:
    """What autovacuum does on its own a minute after a bulk load (PostgreSQL 13 and
    later also vacuum tables that only grew): the planner's statistics, and the
    visibility map that lets an index-only scan skip the table. Done here so that each
    run measures the settled database, not how far autovacuum happened to get."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM (ANALYZE)")


def advance_sequences(session, tables) -> None:
    """Rows copied with their ids leave the id sequences behind: move them on, so the
    imports that follow get new ids."""
    for table in tables:
        session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"(SELECT MAX(id) FROM {table}))"))


def add_records(engine, people, required, optional, rng: random.Random,
                code_prefix: str = "N", requirements: bool = True) -> dict[str, int]:
    """~5 completion and classroom records per official, as bench/compliance_report.py
    makes them for one province (82% done each required course, earlier rounds). Two
    connections: a connection runs one COPY at a time."""
    from types import SimpleNamespace

    from lms.learning.requirements import rule_matches

    start = date(2024, 1, 1)
    completed_at = datetime(2026, 1, 1)
    sequence: dict[int, int] = {}  # course -> the person's rounds so far (one person)
    external_seen: set[tuple[int, date]] = set()
    statuses = ("verified", "declared", "rejected")
    connections = [engine.raw_connection() for _ in range(3)]
    first, second, third = (c.driver_connection for c in connections)
    with Copier(first, "completions", ["user_id", "course_id", "sequence", "completed_on",
                                       "code", "completed_at"]) as done, \
            Copier(second, "external_trainings",
                   ["official_id", "course_id", "completed_on", "source", "status"]) as external, \
            Copier(third, "requirements", ["official_id", "course_id", "since"]) as needs:

        def complete(user_id: int, course_id: int, day: date) -> None:
            sequence[course_id] = sequence.get(course_id, 0) + 1
            done.write(user_id, course_id, sequence[course_id], day,
                       f"{code_prefix}{done.rows:09d}", completed_at)

        def attend(official_id: int, course_id: int, day: date) -> None:
            if (course_id, day) in external_seen:
                return
            external_seen.add((course_id, day))
            external.write(official_id, course_id, day, "Lớp tập huấn",
                           rng.choices(statuses, (60, 35, 5))[0])

        for official_id, user_id, leader, it, level in people:
            sequence.clear()
            external_seen.clear()
            person = SimpleNamespace(is_leader=leader, is_it_officer=it, category="cong_chuc")
            for course in required:
                if not any(rule_matches(r, person, level) for r in course.required_for):
                    continue
                # Required since the roster was first loaded (due dates for reminders
                # and the untrained lists), as `refresh_requirements` would record it.
                if requirements:  # (an import records its own)
                    needs.write(official_id, course.id, start)
                if rng.random() >= 0.82:
                    continue
                day = start + timedelta(days=rng.randrange(1000))
                if user_id and rng.random() < 0.8:
                    complete(user_id, course.id, day)
                    for back in (400, 800):
                        if rng.random() < (0.8 if course.valid_days else 0.45):
                            complete(user_id, course.id, day - timedelta(days=back))
                else:
                    attend(official_id, course.id, day)
                    if rng.random() < 0.5:
                        attend(official_id, course.id, day - timedelta(days=500))
            for course in optional:
                if user_id and rng.random() < 0.45:
                    complete(user_id, course.id, start + timedelta(days=rng.randrange(1000)))
        counts = {"completions": done.rows, "external": external.rows,
                  "requirements": needs.rows}
    for connection in connections:
        connection.commit()
        connection.close()
    log(f"loaded {counts['completions']:,} completions and {counts['external']:,} "
        "classroom records")
    return counts


def import_province(url: str, courses_dir: Path, rows: int) -> dict[str, float]:
    """Nghệ An joins the country: its units through the units import, then its
    100,000-row roster through the roster import (timed), then records of its own."""
    from sqlalchemy import select

    from lms.courses.models import Course
    from lms.extensions import db
    from lms.org.imports import import_officials, import_units
    from lms.org.models import Official, Unit
    from lms.reports.versions import bump

    app = make_app(url, courses_dir)
    units = build_units()
    tree = [[u.code, u.name, u.level_word, u.parent_code or "VN"] for u in units]
    with app.app_context():
        result = import_units("units.csv", csv_bytes(UNIT_HEADER, tree))
        assert result.ok, result.errors[:3]
        db.session.commit()
        roster = csv_bytes(ROSTER_HEADER, build_roster(units, rows))
        began = time.perf_counter()
        result = import_officials("roster.csv", roster, today=date(2024, 1, 1))
        assert result.ok, result.errors[:3]
        db.session.commit()
        seconds = time.perf_counter() - began
        province = db.session.scalar(select(Unit).where(Unit.code == "NA"))
        # Accounts for 90% of them, then their records, as for the other provinces.
        ids = db.session.execute(select(Official.id, Official.is_leader,
                                        Official.is_it_officer, Unit.level)
                                 .join(Unit, Unit.id == Official.unit_id)
                                 .where(Unit.path.like(province.path + "%"))).all()
        first_user = (db.session.scalar(db.text("SELECT MAX(id) FROM users")) or 0) + 1
        people, links = [], []
        for index, (official_id, leader, it, level) in enumerate(ids):
            user_id = first_user + index if index % 10 else None
            people.append((official_id, user_id, leader, it, level))
            if user_id:
                links.append({"u": user_id, "o": official_id})
        db.session.execute(db.text(
            "INSERT INTO users (id, full_name, role, is_active, session_version, created_at) "
            "SELECT :u, full_name, 'official', TRUE, 1, CURRENT_TIMESTAMP FROM officials "
            "WHERE id = :o"), links)
        db.session.execute(db.text("UPDATE officials SET user_id = :u WHERE id = :o"), links)
        advance_sequences(db.session, ("users",))
        db.session.commit()
        courses = list(db.session.scalars(select(Course).order_by(Course.id)))
        add_records(db.engine, people, [c for c in courses if c.required_for],
                    [c for c in courses if not c.required_for], random.Random(34),
                    code_prefix="A", requirements=False)
        bump()  # the COPY above passed outside SQLAlchemy (lms.reports.versions)
        # Statistics only: a province's records are 5% of each table, under what starts
        # autovacuum (20%), so their pages stay out of the visibility map, as they would.
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()
        return {"import_s": seconds, "province_path": province.path,
                "officials": len(ids)}


def report_seconds(url: str, courses_dir: Path, code: str | None) -> tuple[float, dict]:
    from sqlalchemy import select

    from lms.extensions import db
    from lms.org.models import Unit
    from lms.reports.indicator import compliance_report

    app = make_app(url, courses_dir)
    with app.app_context():
        scope = db.session.scalar(select(Unit).where(Unit.code == code)) if code else None
        times, report = [], None
        for _ in range(3):
            began = time.perf_counter()
            report = compliance_report(scope, AS_OF, today=AS_OF)
            times.append(time.perf_counter() - began)
            db.session.expire_all()
        own = {r.unit_id: (r.own_total, r.own_trained) for r in report.rows if r.own_total}
        return min(times), own


def explain(url: str, courses_dir: Path, code: str | None) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of the statement that took longest in a report of
    ``code`` (None: the country), as the report ran it: for docs/scaling.md."""
    from sqlalchemy import event, select

    from lms.extensions import db
    from lms.org.models import Unit
    from lms.reports.indicator import _planner_settings as planner_settings
    from lms.reports.indicator import compliance_report

    app = make_app(url, courses_dir)
    with app.app_context():
        scope = db.session.scalar(select(Unit).where(Unit.code == code)) if code else None
        seen: list[tuple[float, str, object]] = []
        started: dict[int, float] = {}

        def before(conn, cursor, statement, parameters, context, executemany):
            started[id(cursor)] = time.perf_counter()

        def after(conn, cursor, statement, parameters, context, executemany):
            seen.append((time.perf_counter() - started.pop(id(cursor), 0), statement,
                         parameters))

        event.listen(db.engine, "before_cursor_execute", before)
        event.listen(db.engine, "after_cursor_execute", after)
        try:
            compliance_report(scope, AS_OF, today=AS_OF)
        finally:
            event.remove(db.engine, "before_cursor_execute", before)
            event.remove(db.engine, "after_cursor_execute", after)
        seconds, statement, parameters = max(seen, key=lambda item: item[0])
        db.session.rollback()
        # With the planner settings the report ran it with (its way's).
        way = ("joined" if "held_rows" in statement
               else "grouped" if "held_online" in statement else "probes")
        with planner_settings(way):
            plan = db.session.connection().exec_driver_sql(
                "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).scalars().all()
        db.session.rollback()
        return f"-- {seconds:.3f} s in the report\n{statement}\n\n" + "\n".join(plan)


def measure(url: str, courses_dir: Path, province_path: str) -> bool:
    ok = True
    app = make_app(url, courses_dir)
    for label, code, path, bar in (("province", "NA", province_path, BARS["province_s"]),
                                   ("national", None, None, BARS["national_s"])):
        raw_s, raw_counts = raw_baselines(app, AS_OF, path)
        seconds, counts = report_seconds(url, courses_dir, code)
        same = counts == raw_counts
        ratio = seconds / raw_s
        log(f"{label}: {sum(t for t, _ in counts.values()):,} officials, the report "
            f"{seconds:.2f} s, raw SQL {raw_s:.2f} s, same counts: {same}")
        bench(f"national_{label}_report_s", seconds, "s", f"<= {bar:g} s", seconds <= bar)
        bench(f"national_{label}_raw_sql_s", raw_s, "s")
        bench(f"national_{label}_ratio_to_raw_sql", ratio, "x",
              f"<= {BARS['ratio']:g}x raw SQL, same counts", ratio <= BARS["ratio"] and same)
        ok &= seconds <= bar and ratio <= BARS["ratio"] and same
    return ok


def reused(url: str, courses_dir: Path) -> str:
    """A database loaded by an earlier run (--keep): Nghệ An's path, the courses'
    folder written again for the page's app (the report reads the courses' rules
    from the database)."""
    from sqlalchemy import select

    from lms.org.models import Unit

    write_courses(courses_dir)
    with make_app(url, courses_dir).app_context():
        from lms.extensions import db

        path = db.session.scalar(select(Unit.path).where(Unit.code == "NA"))
    if path is None:
        raise SystemExit("--reuse: this database holds no country (run with --keep first)")
    log("reusing the loaded country: the roster import is not measured again")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.national")
    parser.add_argument("--database", default=os.environ.get("LMS_BENCH_DATABASE_URL"),
                        help="an empty PostgreSQL database (default: a throwaway cluster)")
    parser.add_argument("--officials", type=int, default=DEFAULT_OFFICIALS)
    parser.add_argument("--roster", type=int, default=ROSTER_ROWS,
                        help="rows of the timed roster import (the bar is for 100,000)")
    parser.add_argument("--keep", action="store_true", help="leave the cluster running")
    parser.add_argument("--reuse", action="store_true",
                        help="--database already holds the country (a run with --keep): "
                             "measure the reports and the page only")
    parser.add_argument("--explain", type=Path,
                        help="write the plans of the reports' longest statements here")
    args = parser.parse_args(argv)
    if args.reuse and not args.database:
        parser.error("--reuse needs --database (the URL a run with --keep printed)")
    print("# == national: synthetic country on PostgreSQL, reports, import, page p95",
          flush=True)
    cluster = None if args.database else Cluster()
    url = args.database or cluster.start()
    courses_dir = Path(tempfile.mkdtemp(prefix="lms-bench-national-courses-"))
    ok = True
    try:
        if args.reuse:
            province_path = reused(url, courses_dir)
        else:
            began = time.perf_counter()
            stats = load_country(url, courses_dir, args.officials)
            log(f"country loaded in {time.perf_counter() - began:.0f} s: {stats}")
            imported = import_province(url, courses_dir, args.roster)
            log(f"Nghệ An imported: {imported['officials']:,} officials")
            bar = BARS["import_s"]
            bench(f"national_roster_import_{args.roster // 1000}k_s", imported["import_s"],
                  "s", f"<= {bar:g} s", imported["import_s"] <= bar)
            ok &= imported["import_s"] <= bar
            province_path = imported["province_path"]
        ok &= measure(url, courses_dir, province_path)
        if args.explain:
            args.explain.mkdir(parents=True, exist_ok=True)
            for label, code in (("province", "NA"), ("national", None)):
                (args.explain / f"{label}.txt").write_text(explain(url, courses_dir, code))
            log(f"plans written to {args.explain}")
        p50, p95, count = page_p95(None, courses_dir, "NA", clients=8, database_url=url)
        bar = BARS["page_p95_ms"]
        log(f"province report page: {count} requests, p50 {p50:.0f} ms")
        bench("national_province_page_p95_ms", p95, "ms", f"<= {bar:g} ms", p95 <= bar)
        ok &= p95 <= bar
    finally:
        shutil.rmtree(courses_dir, ignore_errors=True)
        if cluster is not None:
            if args.keep:
                log(f"kept: {url} (stop: pg_ctl -D {cluster.dir / 'data'} stop)")
            else:
                cluster.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
