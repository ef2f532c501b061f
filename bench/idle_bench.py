"""Idle CPU and wake-ups of the running app, not tracking and tracking.

The app runs against a simulator in another process (so only the app is measured), in a
configured temp home. "Tracking" starts a timer with the real CLI before the app launches, so the
app shows a running timer (the elapsed-time display is the usual idle cost of a tray timer).
CPU is utime+stime from /proc/PID/stat; wake-ups are voluntary context switches summed over the
app's threads from /proc/PID/task/*/status.

The desktop figures run the app on Xvfb + trayer (`QT_QPA_PLATFORM=xcb`) with the popup hidden,
as on a user's desktop; both cases run side by side (two homes, two simulators: a timer started
on one server would reach the other home's app through the shared account), each measured from
its own /proc entries. They fail if the log shows the no-tray fallback or the popup shown.
"""

from __future__ import annotations

import json
import threading
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
from bench.desktop import Desktop, TrayNotUsedError, check_tray_used, missing_tools, real_tray

SETTLE_S = 3.0  # start-up work (catalog refresh, first poll) is not idle time
QUICK_DESKTOP_S = (SETTLE_S, 3.0)  # settle, window: --quick checks the desktop run works, no more
POPUP_SHOWN = "kimai-tray: popup shown"


def _measure(
    home: Home, window: float, desktop: Desktop | None = None, settle: float = SETTLE_S
) -> tuple[float, float]:
    """(CPU % of one core, wake-ups per minute) over `window` seconds after start-up.

    On a `desktop`, raise unless the app used the tray and kept the popup hidden throughout.
    """
    env = home.env if desktop is None else desktop.env(home.env)
    proc = Proc(app_argv(), env)
    try:
        proc.wait_line("catalog refreshed", timeout=120)
        time.sleep(settle)
        cpu0, sw0, t0 = cpu_seconds(proc.pid), thread_switches(proc.pid), time.monotonic()
        time.sleep(window)  # the measured process is another process: we only wait here
        cpu1, sw1, t1 = cpu_seconds(proc.pid), thread_switches(proc.pid), time.monotonic()
    finally:
        proc.stop()
    if desktop is not None:
        lines = proc.all_lines()
        check_tray_used(lines, "the app")
        if any(POPUP_SHOWN in line for line in lines):
            raise TrayNotUsedError("the popup was shown during the idle measurement")
    elapsed = t1 - t0
    return (cpu1 - cpu0) / elapsed * 100, (sw1 - sw0) / elapsed * 60


def _start_timer(home: Home) -> None:
    """Start a timer with the real CLI, so the app launched next shows it running."""
    projects = json.loads(cli(home.env, "projects", "--json"))
    cli(home.env, "start", "--project", str(projects[0]["id"]), "--activity", "1")


def run(quick: bool) -> list[Figure]:
    window = 10.0 if quick else 60.0
    with simulator("demo") as url, configured_home(url) as home:
        idle = _measure(home, window)
        _start_timer(home)
        tracking = _measure(home, window)
        figures = [
            _figure(f"idle CPU over {window:.0f} s, {label}", window, *result)
            for label, result in (("not tracking", idle), ("tracking", tracking))
        ]
        if missing := missing_tools():
            print(f"  skipped idle CPU on a real tray: {', '.join(missing)} not installed")
            return figures
        # The home is tracking now; a second simulator and home are the "not tracking" case.
        return [*figures, *_run_desktop(quick, tracking_home=home)]


def _run_desktop(quick: bool, tracking_home: Home) -> list[Figure]:
    settle, window = QUICK_DESKTOP_S if quick else (SETTLE_S, 60.0)
    results: dict[str, tuple[float, float]] = {}
    errors: list[BaseException] = []
    with simulator("demo") as url, configured_home(url) as idle_home, real_tray() as desktop:
        homes = {"not tracking": idle_home, "tracking": tracking_home}

        def measure(label: str) -> None:
            try:
                results[label] = _measure(homes[label], window, desktop, settle)
            except BaseException as exc:  # re-raised below, in the bench's thread
                errors.append(exc)

        # Side by side: each app's CPU and wake-ups come from its own /proc entries.
        threads = [threading.Thread(target=measure, args=(label,)) for label in homes]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    if errors:
        raise errors[0]
    return [
        _figure(f"idle CPU over {window:.0f} s, real tray, {label}", window, *results[label])
        for label in homes
    ]


def _figure(name: str, window: float, cpu: float, wakeups: float) -> Figure:
    return Figure(
        name,
        cpu,
        "%core",
        target="< 0.1 %",
        ok=cpu < 0.1,
        extra={
            "wake-ups/min": round(wakeups),
            "resolution %": round(100 / CLK_TCK / window, 3),
        },
    )
