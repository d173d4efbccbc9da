"""The cluster tier: the app as deploy/ runs it on several machines (PostgreSQL, Redis,
two gunicorn app servers and nginx in front), started by deploy/local-cluster, the
same script a person runs, and driven through nginx with real HTTP.

Without nginx, redis-server or PostgreSQL the tier skips, saying what to install; CI
sets LMS_FAIL_ON_SKIP, so there a skip is a failure. It runs once per `make test`
(in the pass without LMS_TEST_DATABASE_URL): the cluster brings its own PostgreSQL.
"""

from __future__ import annotations

import glob
import importlib.util
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.builders import write_course
from tests.cluster.browser import Browser

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "local-cluster"
START_SECONDS = 180  # the whole cluster, on a slow shared CI machine
STOP_SECONDS = 60
COURSE = "ky-nang-so-cho-nguoi-dan"
LOGIN_LIMIT = 5  # LMS_LOGIN_LIMIT_PER_ACCOUNT given to the cluster


def pytest_collection_modifyitems(config, items):
    """Not again in the PostgreSQL pass (deselected, not skipped: the cluster always
    runs on its own PostgreSQL, so a second run would test nothing new)."""
    if not os.environ.get("LMS_TEST_DATABASE_URL"):
        return
    here = Path(__file__).parent
    mine = [item for item in items if here in item.path.parents]
    if mine:
        config.hook.pytest_deselected(items=mine)
        items[:] = [item for item in items if here not in item.path.parents]


@pytest.fixture(scope="session")
def cluster_tools() -> dict[str, str]:
    """The programs the cluster needs, or a skip saying what to install."""
    path = os.environ.get("PATH", "") + os.pathsep + "/usr/sbin:/sbin"
    found = {name: shutil.which(name, path=path) for name in ("nginx", "redis-server")}
    missing = [f"{name} (apt-get install {name})" for name, where in found.items() if not where]
    pgbin = os.environ.get("LMS_PGBIN")
    if not (Path(pgbin, "initdb").exists() if pgbin
            else glob.glob("/usr/lib/postgresql/*/bin/initdb")):
        missing.append("PostgreSQL (apt-get install postgresql)")
    if importlib.util.find_spec("redis") is None:
        missing.append("the redis package (pip install -e '.[test]', as make test does)")
    if missing:
        pytest.skip("the cluster tier needs " + ", ".join(missing))
    return found


@dataclass
class Cluster:
    url: str
    env: dict[str, str]  # the cluster's environment, for commands run against it
    workdir: Path

    def browser(self, headers: dict[str, str] | None = None) -> Browser:
        return Browser(self.url, headers)

    def flask(self, *args: str) -> str:
        """`flask --app lms ARGS` against the cluster's database."""
        done = subprocess.run([str(Path(sys.prefix) / "bin" / "flask"), "--app", "lms", *args],
                              cwd=ROOT, env={**os.environ, **self.env}, capture_output=True,
                              text=True, timeout=120, stdin=subprocess.DEVNULL)
        assert done.returncode == 0, f"flask {' '.join(args)}: {done.stdout}{done.stderr}"
        return done.stdout


def _read_environment(process: subprocess.Popen, log: Path) -> dict[str, str]:
    """The KEY=value lines local-cluster prints before READY (bounded in time)."""
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    env: dict[str, str] = {}
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            line = None
        if line is None or time.monotonic() > deadline:
            process.kill()
            process.wait(timeout=STOP_SECONDS)
            pytest.fail(f"deploy/local-cluster did not start within {START_SECONDS}s "
                        f"(exit {process.returncode}):\n{log.read_text()[-4000:]}")
        line = line.strip()
        if line == "READY":
            return env
        key, _, value = line.partition("=")
        env[key] = value


@pytest.fixture(scope="module")  # stopped once the module's tests are done
def cluster(cluster_tools, tmp_path_factory) -> Iterator[Cluster]:
    workdir = tmp_path_factory.mktemp("cluster")
    courses = workdir / "courses"
    write_course(courses, COURSE, title="Kỹ năng số cho người dân",
                 audiences=["citizen", "business"], lessons=["Điện thoại thông minh", "VNeID"])
    log = workdir / "local-cluster.log"
    env = dict(os.environ, LMS_VENV=sys.prefix, LMS_COURSES_DIR=str(courses),
               LMS_RATELIMIT_ENABLED="1",
               LMS_LOGIN_LIMIT_PER_ACCOUNT=f"{LOGIN_LIMIT} per 15 minutes")
    with log.open("w") as stderr:
        process = subprocess.Popen([str(SCRIPT), "--print-env"], cwd=ROOT, env=env,
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=stderr, text=True)
    try:
        cluster_env = _read_environment(process, log)
        yield Cluster(cluster_env["LMS_CLUSTER_URL"], cluster_env, workdir)
    finally:
        process.stdin.close()  # local-cluster stops everything when its stdin closes
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.terminate()
            process.wait(timeout=STOP_SECONDS)
        process.stdout.close()
    assert process.returncode == 0, f"local-cluster:\n{log.read_text()[-4000:]}"
