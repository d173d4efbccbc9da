"""Run the benchmarks in this folder: ``python -m bench [NAME ...] [OPTIONS]`` (``make bench``).

A benchmark is a module here with a ``BENCHMARK`` description and ``main(argv) -> int``;
it prints one ``BENCH name value unit`` line per figure and ``#`` comment lines. NAMEs
select benchmarks (default: all); OPTIONS go to every selected one, so give a NAME with
options only one benchmark knows: ``make bench BENCH_ARGS="roster_import --rows 5000"``.
The exit status is non-zero when any benchmark fails or misses its bar.
"""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
import traceback
from pathlib import Path


def benchmarks() -> dict[str, object]:
    found = {}
    for info in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"bench.{info.name}")
        if hasattr(module, "BENCHMARK") and hasattr(module, "main"):
            found[info.name] = module
    return found


def main(argv: list[str]) -> int:
    available = benchmarks()
    names = [arg for arg in argv if arg in available]
    options = [arg for arg in argv if arg not in available]
    if not names and ("-h" in options or "--help" in options):
        print(__doc__.strip())
        print("\nbenchmarks (NAME --help for its options):")
        for name, module in available.items():
            print(f"  {name}: {module.BENCHMARK}")
        return 0
    selected = names or list(available)
    if len(selected) == 1:
        name = selected[0]
        print(f"# == {name}: {available[name].BENCHMARK}", flush=True)
        return run(name, available[name], options)
    # Several: each in a process of its own, so one benchmark's data and memory
    # peak cannot leak into the next one's figures.
    status = 0
    for name in selected:
        child = subprocess.run([sys.executable, "-m", "bench", name, *options], check=False)
        status = max(status, child.returncode)
    return status


def run(name: str, module, options: list[str]) -> int:
    """One benchmark's exit status; its failure (bad option, crash) does not stop the others."""
    try:
        return int(module.main(options) or 0)
    except SystemExit as exit_:  # argparse rejects an option meant for another benchmark
        code = exit_.code if isinstance(exit_.code, int) else 1
    except Exception:
        traceback.print_exc()
        code = 1
    if code:
        print(f"# {name} FAILED (exit status {code}); options given: {' '.join(options)}",
              flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
