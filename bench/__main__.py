"""Run the benchmarks in this folder: ``python -m bench [NAME ...] [OPTIONS]`` (``make bench``).

A benchmark is a module here with a ``BENCHMARK`` description and ``main(argv) -> int``;
it prints one ``BENCH name value unit`` line per figure and ``#`` comment lines. NAMEs
select benchmarks (default: all); OPTIONS go to every selected one, e.g.
``make bench BENCH_ARGS="--rows 5000"``. The exit status is non-zero when any fails.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
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
    status = 0
    for name in names or list(available):
        print(f"# == {name}: {available[name].BENCHMARK}", flush=True)
        status = max(status, available[name].main(options))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
