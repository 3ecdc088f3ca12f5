"""Run every benchmark module in this folder (or the ones named) and print their results.

    python -m benchmarks                 # all, default sizes (a few minutes each at most)
    python -m benchmarks featurevis --full
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import time
from pathlib import Path


def available() -> list[str]:
    here = Path(__file__).parent
    return sorted(m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_"))


def format_value(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default all: {', '.join(available())})")
    parser.add_argument("--full", action="store_true", help="the full-size runs (slower)")
    args = parser.parse_args(argv)
    names = args.names or available()
    unknown = [n for n in names if n not in available()]
    if unknown:
        parser.error(f"unknown benchmark {unknown[0]!r} — expected one of {', '.join(available())}")
    for name in names:
        module = importlib.import_module(f"benchmarks.{name}")
        start = time.perf_counter()
        results = module.run(full=args.full)
        print(f"== {name} ({time.perf_counter() - start:.0f} s)")
        width = max((len(k) for k in results), default=0)
        for key, value in results.items():
            print(f"  {key:<{width}}  {format_value(value)}")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
