"""Resident memory after many start/stop cycles vs after 100 (a leak check).

Offline tracker with a real SQLite outbox, in a fresh child process: the simulator (which keeps
every timesheet it receives) would otherwise be counted as our growth, and offline is the worst
case for the outbox (every cycle stays queued).
"""

from __future__ import annotations

import gc
import json
import os
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import ROOT, Figure, bench_env, run_child

WARMUP = 100


def run(quick: bool) -> list[Figure]:
    cycles = 2_000 if quick else 10_000
    out = run_child(
        f"from bench.cycles_bench import child; child({cycles})",
        env={**bench_env(), "PYTHONPATH": str(ROOT)},
        timeout=900,
    )
    data = json.loads(out.strip().splitlines()[-1])
    growth = data["after"] - data["warm"]
    return [
        Figure(
            f"RSS after {cycles:,} start/stop cycles",
            data["after"],
            "MB",
            data["warm"],
            f"RSS after {WARMUP}",
            target="growth < 5 MB",
            ok=growth < 5,
            extra={"growth MB": round(growth, 2), "cycles/s": round(data["rate"])},
        )
    ]


def child(cycles: int) -> None:
    import time

    from bench.apprun import rss_mb
    from bench.sync_bench import StepClock
    from kimai_tray.core.catalog import Catalog
    from kimai_tray.core.models import Activity, Customer, Project
    from kimai_tray.core.outbox import Outbox
    from kimai_tray.core.tracker import Tracker

    with tempfile.TemporaryDirectory() as tmp:
        clock = StepClock(datetime.now(UTC) - timedelta(days=30))
        outbox, catalog = Outbox(Path(tmp) / "o.sqlite3"), Catalog(Path(tmp) / "c.sqlite3")
        catalog.replace_all([Customer(1, "C")], [Project(1, "P", 1, "C")], [Activity(1, "A")], [])
        tracker = Tracker(outbox, catalog, clock)
        states: list[object] = []
        unsubscribe = tracker.subscribe(states.append)  # a UI-like subscriber, keeps the last
        try:
            t0 = time.perf_counter()
            for i in range(cycles):
                tracker.start(1, 1, "cycle")
                clock.at += timedelta(seconds=5)
                tracker.stop()
                clock.at += timedelta(seconds=5)
                del states[:-1]
                if i + 1 == WARMUP:
                    gc.collect()
                    warm = rss_mb(os.getpid())
            rate = cycles / (time.perf_counter() - t0)
            gc.collect()
            after = rss_mb(os.getpid())
        finally:
            unsubscribe()
            outbox.close()
            catalog.close()
    print(json.dumps({"warm": warm, "after": after, "rate": rate}))
    sys.stdout.flush()
