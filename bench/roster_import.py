"""Benchmark: importing a 100,000-row officials roster (CSV and XLSX) into ~1,000 units.

The bar (from the issue): a first import completes in at most 60 s with a peak
memory of at most 500 MB on a 2-core machine; a re-import of the same file
takes at most 30 s (and, being a re-import, changes nothing).

Every measured import runs in a fresh child process, against its own SQLite
database that already holds the units and the courses (so the requirement
refresh after an import has rules to apply), and reports the child's own peak
RSS (``ru_maxrss``: the Flask app, the file's bytes and the import together).
The timed part is what the CLI and the confirm step of the web UI do: read the
file's bytes, ``import_officials()``, ``db.session.commit()``. The baseline,
measured in the same run and also in a fresh process, is the time just to read
and parse the same file without the app (``csv.reader`` over the decoded text;
openpyxl ``read_only`` iteration over every row). The importer's own XLSX reader
may be faster than openpyxl, so an XLSX ratio below 1 is possible.

    python -m bench.roster_import [--rows N] [--formats csv xlsx xlsx-excel] [--profile]
                                  [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import synthetic

BENCHMARK = "officials roster import (CSV and XLSX)"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
RESULT_PREFIX = "BENCH-CHILD-RESULT "
FORMATS = ("csv", "xlsx", "xlsx-excel")  # xlsx-excel: stored as Excel saves it
DEFAULT_FORMATS = ("csv", "xlsx")
BAR_ROWS = 100_000  # the issue states the bar for this roster size
SECONDS_FIRST, SECONDS_AGAIN, PEAK_MB = 60.0, 30.0, 500.0


class BenchError(RuntimeError):
    """A child failed or an import did not do what it must (not a missed bar)."""


# --- parent -------------------------------------------------------------------------


class Report:
    """Prints ``BENCH name value unit`` lines with their bar and remembers misses."""

    def __init__(self) -> None:
        self.missed: list[str] = []

    def figure(self, name: str, value: float, unit: str, *, bar: float | None = None,
               digits: int = 3) -> None:
        print(f"BENCH {name} {value:.{digits}f} {unit}", flush=True)
        if bar is not None:
            ok = value <= bar
            print(f"# bar: <= {bar:g} {unit} ({'ok' if ok else 'MISSED'})", flush=True)
            if not ok:
                self.missed.append(f"{name} = {value:.{digits}f} {unit} > {bar:g} {unit}")

    @staticmethod
    def note(message: str) -> None:
        print(f"# {message}", flush=True)


def _spawn(task: str, **options: Any) -> dict[str, Any]:
    """Run ``task`` in a fresh interpreter; return the JSON it reports."""
    command = [sys.executable, "-m", "bench.roster_import", "--child", task]
    for key, value in options.items():
        if isinstance(value, list | tuple):
            command += [f"--{key.replace('_', '-')}", *map(str, value)]
        elif value is not None:
            command += [f"--{key.replace('_', '-')}", str(value)]
    completed = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True,
                               check=False)
    results = [line[len(RESULT_PREFIX):] for line in completed.stdout.splitlines()
               if line.startswith(RESULT_PREFIX)]
    if completed.returncode != 0 or not results:
        output = (completed.stdout + completed.stderr).strip().splitlines()[-30:]
        raise BenchError(f"child {task} {options} exited {completed.returncode}:\n"
                         + "\n".join(f"    {line}" for line in output))
    return json.loads(results[-1])


def _check_counts(label: str, got: dict[str, Any], rows: int, expected: str) -> None:
    counts = got["counts"]
    wanted = {"created": 0, "updated": 0, "unchanged": 0, "left": 0, expected: rows}
    actual = {key: counts.get(key, 0) for key in wanted}
    problems = []
    if got["errors"]:
        problems.append(f"{got['error_count']} error(s), first: {got['errors'][:3]}")
    if actual != wanted or got["rows"] != rows:
        problems.append(f"expected {wanted} for {rows} rows, got {actual} for {got['rows']}")
    if got["officials_in_db"] != rows:
        problems.append(f"{got['officials_in_db']} officials in the database, expected {rows}")
    if problems:
        raise BenchError(f"{label}: " + "; ".join(problems))


def _memory(got: dict[str, Any]) -> str:
    hwm = f"{got['hwm_mb']:.1f} MB" if got["hwm_mb"] is not None else "n/a"
    return f"RSS {got['rss_before_mb']:.1f} MB before the import, VmHWM {hwm}"


def _print_profile(path: Path, label: str, limit: int = 25) -> None:
    import io
    import pstats

    for order in ("cumulative", "tottime"):
        buffer = io.StringIO()
        stats = pstats.Stats(str(path), stream=buffer)
        stats.strip_dirs().sort_stats(order).print_stats(limit)
        Report.note(f"profile of {label}, top {limit} by {order}:")
        lines = buffer.getvalue().splitlines()
        start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
        for line in lines[start:]:
            if line.strip():
                print(f"#   {line}", flush=True)


def _bench_format(fmt: str, roster: Path, template_db: Path, workdir: Path, rows: int,
                  report: Report, profile: bool) -> None:
    report.note(f"roster {fmt}: {rows} rows, {roster.stat().st_size / 1e6:.1f} MB on disk")
    fmt = fmt.replace("-", "_")
    parse = _spawn("parse", file=roster, rows=rows)
    report.figure(f"roster_{fmt}_parse_baseline_s", parse["seconds"], "s")
    report.figure(f"roster_{fmt}_parse_baseline_peak_mb", parse["peak_mb"], "MB", digits=1)

    database = workdir / f"roster-{fmt}.sqlite3"
    shutil.copyfile(template_db, database)
    first = _spawn("import", db=database, file=roster)
    _check_counts(f"{fmt} first import", first, rows, "created")
    report.note(f"{fmt} first import: {first['summary']}; {_memory(first)}")
    report.figure(f"roster_{fmt}_import_s", first["seconds"], "s", bar=SECONDS_FIRST)
    report.figure(f"roster_{fmt}_import_peak_mb", first["peak_mb"], "MB", bar=PEAK_MB,
                  digits=1)

    again = _spawn("import", db=database, file=roster)
    _check_counts(f"{fmt} re-import", again, rows, "unchanged")
    report.note(f"{fmt} re-import: {again['summary']}; {_memory(again)}")
    report.figure(f"roster_{fmt}_reimport_s", again["seconds"], "s", bar=SECONDS_AGAIN)
    report.figure(f"roster_{fmt}_reimport_peak_mb", again["peak_mb"], "MB", bar=PEAK_MB,
                  digits=1)
    report.figure(f"roster_{fmt}_import_vs_parse_ratio", first["seconds"] / parse["seconds"],
                  "x", digits=1)
    report.figure(f"roster_{fmt}_reimport_vs_parse_ratio", again["seconds"] / parse["seconds"],
                  "x", digits=1)

    if profile:  # separate runs: cProfile slows the import down several times
        database = workdir / f"roster-{fmt}-profile.sqlite3"
        shutil.copyfile(template_db, database)
        for label in ("first import", "re-import"):
            stats = workdir / f"{fmt}-{label.replace(' ', '-')}.pstats"
            _spawn("import", db=database, file=roster, profile_to=stats)
            _print_profile(stats, f"{fmt} {label}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.roster_import", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=synthetic.DEFAULT_ROWS,
                        help="roster size (default %(default)s; the bar is set for 100000)")
    parser.add_argument("--seed", type=int, default=synthetic.DEFAULT_SEED)
    parser.add_argument("--formats", nargs="+", choices=FORMATS, default=list(DEFAULT_FORMATS),
                        help="files to import (default: %(default)s); xlsx is written by "
                             "openpyxl (inline strings), xlsx-excel is stored as Excel saves "
                             "it (shared strings, blank cells left out)")
    parser.add_argument("--profile", action="store_true",
                        help="also run each import under cProfile and print the hot spots")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    # Internal: one measured step in this (fresh) process.
    parser.add_argument("--child", choices=("generate", "setup", "parse", "import"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--profile-to", dest="profile_to", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return _child(args)

    report = Report()
    workdir = Path(tempfile.mkdtemp(prefix="lms-bench-roster-"))
    try:
        report.note(f"roster import benchmark: {args.rows} rows, seed {args.seed}, "
                    f"{os.cpu_count()} CPU(s), Python {sys.version.split()[0]}, SQLite")
        if args.rows != BAR_ROWS:
            report.note(f"the bar is stated for {BAR_ROWS} rows; checked as is at {args.rows}")
        # Also in a child: on Linux a child's ru_maxrss starts from the high-water mark
        # of the process that spawned it, so this one must stay small.
        dataset = _spawn("generate", file=workdir / "data", rows=args.rows, seed=args.seed,
                         formats=args.formats)
        report.note(f"generated {dataset['units']} units and {dataset['rows']} officials "
                    f"in {dataset['seconds']:.1f} s under {workdir}")
        template_db = workdir / "units.sqlite3"
        setup = _spawn("setup", db=template_db, file=dataset["units_csv"])
        report.note(f"units: {setup['summary']}; courses with rules: {setup['courses']}")
        report.figure("units_import_s", setup["seconds"], "s")
        for fmt in args.formats:
            _bench_format(fmt, Path(dataset[fmt]), template_db, workdir, args.rows, report,
                          args.profile)
    except BenchError as error:
        report.note(f"FAILED: {error}")
        report.figure("roster_import_within_bar", 0, "bool", digits=0)
        return 2
    finally:
        if args.keep:
            report.note(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    for miss in report.missed:
        report.note(f"bar missed: {miss} (rerun with --profile to see the hot spots)")
    report.figure("roster_import_within_bar", 0 if report.missed else 1, "bool", digits=0)
    return 1 if report.missed else 0


# --- child (a fresh process per measured step) -----------------------------------------


def _peak_mb() -> float:
    """This process's own peak RSS: VmHWM where the kernel gives it. ru_maxrss is only a
    fallback: on Linux a child's starts from the peak of the process that launched it."""
    hwm = _hwm_mb()
    if hwm is not None:
        return hwm
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _hwm_mb() -> float | None:
    """The kernel's high-water RSS of this process's own memory (a cross-check)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _emit(result: dict[str, Any]) -> int:
    print(RESULT_PREFIX + json.dumps(result), flush=True)
    return 0


def _child(args: argparse.Namespace) -> int:
    if args.child == "generate":
        return _emit(_generate(args.file, args.rows, args.seed, args.formats))
    if args.child == "parse":
        return _emit(_parse_baseline(args.file, args.rows))
    from lms import create_app

    app = create_app({
        "LMS_ENV": "testing",
        "SECRET_KEY": "bench",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{args.db.resolve()}",
    })
    with app.app_context():
        if args.child == "setup":
            return _emit(_setup(app, args.file))
        return _emit(_import(args.file, args.profile_to))


def _generate(directory: Path, rows: int, seed: int, formats: list[str]) -> dict[str, Any]:
    started = time.perf_counter()
    dataset = synthetic.generate(directory, rows=rows, seed=seed, xlsx="xlsx" in formats,
                                 xlsx_excel="xlsx-excel" in formats)
    return {"seconds": time.perf_counter() - started, "units": dataset.units,
            "rows": dataset.rows, "units_csv": str(dataset.units_csv),
            "csv": str(dataset.roster_csv), "xlsx": str(dataset.roster_xlsx),
            "xlsx-excel": str(dataset.roster_xlsx_excel)}


def _parse_baseline(path: Path, rows: int) -> dict[str, Any]:
    import csv
    import io

    import openpyxl  # loaded before the clock starts, as in the import child

    started = time.perf_counter()
    data = path.read_bytes()
    count = 0
    if path.suffix == ".csv":
        for _row in csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")):
            count += 1
    else:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        for _row in workbook.worksheets[0].iter_rows(values_only=True):
            count += 1
        workbook.close()
    seconds = time.perf_counter() - started
    if count != rows + 1:
        raise BenchError(f"parsed {count} lines from {path.name}, expected {rows} + header")
    return {"seconds": seconds, "peak_mb": _peak_mb(), "rows": count - 1}


def _setup(app, units_csv: Path) -> dict[str, Any]:
    from sqlalchemy import select

    from lms.courses.models import Course
    from lms.courses.sync import sync_courses
    from lms.extensions import db
    from lms.org.imports import import_units

    db.create_all()
    sync_courses(Path(app.config["LMS_COURSES_DIR"]))
    db.session.commit()
    started = time.perf_counter()
    result = import_units(units_csv.name, units_csv.read_bytes())
    if not result.ok:
        raise BenchError(f"units import failed: {result.errors[:5]}")
    db.session.commit()
    seconds = time.perf_counter() - started
    with_rules = sum(1 for course in db.session.scalars(select(Course)) if course.required_for)
    return {"seconds": seconds, "summary": result.summary(), "courses": with_rules}


def _import(roster: Path, profile_to: Path | None) -> dict[str, Any]:
    import openpyxl  # noqa: F401  (a one-off per worker process, not part of an import)
    from sqlalchemy import func, select

    from lms.extensions import db
    from lms.org.imports import import_officials
    from lms.org.models import Official

    rss_before = _peak_mb()
    profiler = None
    if profile_to is not None:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    started = time.perf_counter()
    result = import_officials(roster.name, roster.read_bytes())
    if result.ok:
        db.session.commit()
    seconds = time.perf_counter() - started
    peak, hwm = _peak_mb(), _hwm_mb()
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(str(profile_to))
    db.session.rollback()
    return {
        "seconds": seconds, "peak_mb": peak, "hwm_mb": hwm, "rss_before_mb": rss_before,
        "rows": result.rows, "counts": dict(result.counts), "summary": result.summary(),
        "error_count": result.error_count, "errors": result.errors[:10],
        "officials_in_db": db.session.scalar(select(func.count(Official.id))),
    }


if __name__ == "__main__":
    sys.exit(main())
