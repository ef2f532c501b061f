"""`python -m bench [--quick] [--only NAME ...]`: every figure, headless, beside its baseline."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable

from bench.common import RESULTS, Figure, write_report

Runner = Callable[[bool], list[Figure]]


def benchmarks() -> dict[str, Runner]:
    """Name -> runner; imported lazily so `--only search` does not import Qt or the simulator."""

    def cold_start(quick: bool) -> list[Figure]:
        from bench.startup_bench import cold_start

        return cold_start(quick)

    def memory(quick: bool) -> list[Figure]:
        from bench.startup_bench import memory

        return memory(quick)

    def idle(quick: bool) -> list[Figure]:
        from bench.idle_bench import run

        return run(quick)

    def search(quick: bool) -> list[Figure]:
        from bench.search_bench import run

        return run(quick)

    def sync(quick: bool) -> list[Figure]:
        from bench.sync_bench import throughput

        return throughput(quick)

    def click(quick: bool) -> list[Figure]:
        from bench.sync_bench import click_to_post

        return click_to_post(quick)

    def cycles(quick: bool) -> list[Figure]:
        from bench.cycles_bench import run

        return run(quick)

    return {
        "cold_start": cold_start,
        "memory": memory,
        "idle": idle,
        "search": search,
        "sync": sync,
        "click": click,
        "cycles": cycles,
    }


def run(names: list[str], quick: bool, out: Callable[[str], None] = print) -> list[Figure]:
    table = benchmarks()
    figures: list[Figure] = []
    for name in names:
        started = time.perf_counter()
        got = table[name](quick)
        for figure in got:
            figure.bench = name
            out(figure.line())
        out(f"  ({name}: {time.perf_counter() - started:.1f} s)")
        figures.extend(got)
    return figures


def main(argv: list[str] | None = None) -> int:
    names = list(benchmarks())
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="smaller runs (~70 s), into results/quick.json"
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=names,
        help="run only this figure; the report keeps the other figures from earlier runs",
    )
    args = parser.parse_args(argv)
    # Headless everywhere, also for the in-process parts and every child process; the real-tray
    # figures move their own children onto a private Xvfb (bench/desktop.py).
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    figures = run(args.only or names, args.quick)
    # `--only` updates those runners' figures in the report and keeps the others; quick runs
    # have their own file, so checking that the bench still works never replaces full figures.
    path = RESULTS / ("quick.json" if args.quick else "latest.json")
    path = write_report(figures, args.quick, path, merge=bool(args.only))
    missed = [f.name for f in figures if f.ok is False]
    print(f"wrote {path}; targets missed: {', '.join(missed) or 'none'}")
    return 0  # a missed target is a finding to read, not a crash


if __name__ == "__main__":
    sys.exit(main())
