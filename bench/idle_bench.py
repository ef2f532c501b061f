"""Idle CPU and wake-ups of the running app, not tracking and tracking.

The app runs against a simulator in another process (so only the app is measured), in a
configured temp home. "Tracking" starts a timer with the real CLI before the app launches, so the
app shows a running timer (the elapsed-time display is the usual idle cost of a tray timer).
CPU is utime+stime from /proc/PID/stat; wake-ups are voluntary context switches summed over the
app's threads from /proc/PID/task/*/status.
"""

from __future__ import annotations

import json
import time

from bench.apprun import (
    CLK_TCK,
    Home,
    Proc,
    app_argv,
    cli,
    configured_home,
    cpu_seconds,
    simulator,
    thread_switches,
)
from bench.common import Figure

SETTLE_S = 3.0  # start-up work (catalog refresh, first poll) is not idle time


def _measure(home: Home, window: float) -> tuple[float, float]:
    """(CPU % of one core, wake-ups per minute) over `window` seconds after start-up."""
    proc = Proc(app_argv(), home.env)
    try:
        proc.wait_line("catalog refreshed", timeout=120)
        time.sleep(SETTLE_S)
        cpu0, sw0, t0 = cpu_seconds(proc.pid), thread_switches(proc.pid), time.monotonic()
        time.sleep(window)  # the measured process is another process: we only wait here
        cpu1, sw1, t1 = cpu_seconds(proc.pid), thread_switches(proc.pid), time.monotonic()
    finally:
        proc.stop()
    elapsed = t1 - t0
    return (cpu1 - cpu0) / elapsed * 100, (sw1 - sw0) / elapsed * 60


def run(quick: bool) -> list[Figure]:
    window = 10.0 if quick else 60.0
    figures = []
    with simulator("demo") as url, configured_home(url) as home:
        idle = _measure(home, window)
        projects = json.loads(cli(home.env, "projects", "--json"))
        cli(home.env, "start", "--project", str(projects[0]["id"]), "--activity", "1")
        tracking = _measure(home, window)
    for label, (cpu, wakeups) in (("not tracking", idle), ("tracking", tracking)):
        figures.append(
            Figure(
                f"idle CPU over {window:.0f} s, {label}",
                cpu,
                "%core",
                target="< 0.1 %",
                ok=cpu < 0.1,
                extra={
                    "wake-ups/min": round(wakeups),
                    "resolution %": round(100 / CLK_TCK / window, 3),
                },
            )
        )
    return figures
