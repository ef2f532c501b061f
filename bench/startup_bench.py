"""Cold start (process start -> first state rendered) and resident memory after start."""

from __future__ import annotations

import time

from bench.apprun import (
    Home,
    Proc,
    app_argv,
    bare_argv,
    configured_home,
    floor_argv,
    rss_mb,
    simulator,
    stack_argv,
)
from bench.common import Figure, bench_env, median
from bench.desktop import check_tray_used, missing_tools, real_tray

SETTLE_S = 1.0  # let the first event-loop turns (and lazy imports) finish before reading RSS


def _launch_time(argv: list[str], env: dict[str, str], needle: str, *, tray: bool = False) -> float:
    """Seconds to `needle`; with `tray`, fail unless the log says the tray icon was used."""
    proc = Proc(argv, {**env, "KIMAI_TRAY_EXIT_AFTER_START": "1"})
    try:
        seconds = proc.wait_line(needle)
        if tray:  # both lines come before the needle ("first state rendered" / "tray shown")
            check_tray_used(proc.seen, " ".join(argv[1:3]))
        proc.popen.wait(timeout=30)
        return seconds
    finally:
        proc.stop()


def cold_start(quick: bool) -> list[Figure]:
    with simulator("demo") as url, configured_home(url) as home:
        figures = _cold_start_offscreen(quick, home)
        if missing := missing_tools():
            print(f"  skipped cold start on a real tray: {', '.join(missing)} not installed")
            return figures
        return [*figures, *_cold_start_desktop(quick, home)]


def _cold_start_desktop(quick: bool, home: Home) -> list[Figure]:
    """The same launches on Xvfb + trayer: the app shows its icon, as on a user's desktop."""
    runs = 2 if quick else 10
    ours: list[float] = []
    base: list[float] = []
    floor: list[float] = []
    with real_tray() as desktop:
        app = (app_argv(), desktop.env(home.env), "first state rendered")
        bare = (bare_argv(), desktop.env(), "tray shown")
        low = (floor_argv(), desktop.env(), "tray shown")
        _launch_time(*app, tray=True)  # warm the page cache (xcb plugin, fonts) for both
        _launch_time(*bare, tray=True)
        for _ in range(runs):  # interleaved, as offscreen
            ours.append(_launch_time(*app, tray=True))
            base.append(_launch_time(*bare, tray=True))
            floor.append(_launch_time(*low, tray=True))
    value, baseline = median(ours), median(base)
    return [
        Figure(
            f"cold start to first state, real tray (median of {runs})",
            value * 1000,
            "ms",
            baseline * 1000,
            "bare PySide6 tray script, same tray",
            target="<= 1.5x",
            ok=value <= 1.5 * baseline,
            extra={
                "min ms": round(min(ours) * 1000),
                "baseline min ms": round(min(base) * 1000),
                "floor ms": round(median(floor) * 1000),
                "app vs floor": round(value / median(floor), 2),
                "tray host": "Xvfb + trayer",
            },
        )
    ]


def _cold_start_offscreen(quick: bool, home: Home) -> list[Figure]:
    runs = 3 if quick else 10
    ours: list[float] = []
    base: list[float] = []
    floor: list[float] = []
    app = (app_argv(), home.env, "first state rendered")
    bare = (bare_argv(), bench_env(), "tray shown")
    _launch_time(*app)  # warm the page cache for both
    _launch_time(*bare)
    low = (floor_argv(), bench_env(), "tray shown")
    for _ in range(runs):  # interleaved, so load changes on a shared machine hit all alike
        ours.append(_launch_time(*app))
        base.append(_launch_time(*bare))
        floor.append(_launch_time(*low))
    value, baseline = median(ours), median(base)
    return [
        Figure(
            f"cold start to first state (median of {runs})",
            value * 1000,
            "ms",
            baseline * 1000,
            "bare PySide6 tray script",
            target="<= 1.5x",
            ok=value <= 1.5 * baseline,
            extra={"min ms": round(min(ours) * 1000), "baseline min ms": round(min(base) * 1000)},
        ),
        Figure(
            "cold start floor: bare + qasync loop + SQLite",
            median(floor) * 1000,
            "ms",
            baseline * 1000,
            "bare PySide6 tray script",
            target="report",
            extra={"app vs floor": round(value / median(floor), 2)},
        ),
    ]


def _bare_rss(argv: list[str], env: dict[str, str], needle: str = "tray shown") -> float:
    proc = Proc(argv, env)
    try:
        proc.wait_line(needle)
        time.sleep(SETTLE_S)
        return rss_mb(proc.pid)
    finally:
        proc.stop()


def _app_rss(seed: str) -> tuple[float, float]:
    """RSS once the first catalog refresh from a `seed` simulator is in; and seconds to it."""
    with simulator(seed) as url, configured_home(url) as home:
        proc = Proc(app_argv(), home.env)
        try:
            loaded = proc.wait_line("catalog refreshed", timeout=300)
            time.sleep(SETTLE_S)
            return rss_mb(proc.pid), loaded
        finally:
            proc.stop()


def memory(quick: bool) -> list[Figure]:
    baseline = _bare_rss(bare_argv(), bench_env())
    demo, _ = _app_rss("demo")
    # What the app cannot go below: the same script plus the libraries the app needs loaded.
    floor = _bare_rss(stack_argv(), bench_env(), "stack loaded")
    figures = [
        Figure(
            "RSS after start, demo catalog",
            demo,
            "MB",
            baseline,
            "bare PySide6 tray script",
            target="<= 1.5x",
            ok=demo <= 1.5 * baseline,
            extra={"stack floor MB": round(floor, 1), "vs floor": round(demo / floor, 2)},
        ),
        Figure(
            "RSS floor: bare script + qasync, httpx, keyring",
            floor,
            "MB",
            baseline,
            "bare PySide6 tray script",
            target="report",
        ),
    ]
    if not quick:
        large, loaded = _app_rss("large")
        figures.append(
            Figure(
                "RSS after start, large catalog (10k/50k)",
                large,
                "MB",
                baseline,
                "bare PySide6 tray script",
                target="report",
                extra={"catalog loaded after s": round(loaded, 1)},
            )
        )
    return figures
