"""Sync throughput (queued entries -> simulator) and start click -> POST on the wire.

Both run the real Tracker + Kimai2Client against the Kimai 2 simulator over loopback HTTP,
in this process (the simulator serves from its own thread).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.common import Figure, median, percentile
from kimai_tray.api.credentials import Credentials
from kimai_tray.api.kimai2 import Kimai2Client
from kimai_tray.core.catalog import Catalog
from kimai_tray.core.outbox import Outbox
from kimai_tray.core.tracker import Tracker
from kimai_tray.simulator.kimai2 import RequestRecord, SimulatorState
from kimai_tray.simulator.server import SimulatorServer

TOKEN = "bench-sync-token"
TZ = "Europe/Berlin"
PROJECT, ACTIVITY = 1, 1  # demo seed: project 1 and the global "Meeting"


class StepClock:
    """Wall time set by the bench (entries lie in the past); monotonic is real."""

    def __init__(self, start: datetime) -> None:
        self.at = start

    def now(self) -> datetime:
        return self.at

    def monotonic(self) -> float:
        return time.monotonic()


def _is_post(record: RequestRecord) -> bool:
    return record.method == "POST" and record.path.rstrip("/") == "/api/timesheets"


def _client(url: str) -> Kimai2Client:
    return Kimai2Client(
        url, Credentials(kind="token", secret=TOKEN), timezone=TZ, timeout=httpx.Timeout(10)
    )


def throughput(quick: bool) -> list[Figure]:
    entries = 200 if quick else 1000
    state = SimulatorState(seed="demo", rounding=False, token=TOKEN, timezone=TZ)
    with SimulatorServer(state, token=TOKEN) as server, tempfile.TemporaryDirectory() as tmp:
        return asyncio.run(_throughput(server, Path(tmp), entries))


async def _throughput(server: SimulatorServer, tmp: Path, entries: int) -> list[Figure]:
    clock = StepClock(datetime.now(UTC).replace(microsecond=0) - timedelta(days=5))
    outbox, catalog = Outbox(tmp / "outbox.sqlite3"), Catalog(tmp / "catalog.sqlite3")
    client = _client(server.url)
    tracker = Tracker(outbox, catalog, clock, backend=client)
    try:
        await tracker.refresh_catalog()
        tracker.set_backend(None)  # queue offline, as after a day on a train
        for _ in range(entries):
            tracker.start(PROJECT, ACTIVITY, "bench")
            clock.at += timedelta(minutes=1)
            tracker.stop()
            clock.at += timedelta(minutes=1)
        tracker.set_backend(client)
        before = len(server.state.requests)
        t0 = time.perf_counter()
        rounds = 0
        while outbox.counts()[0] and rounds < 50:
            rounds += 1
            report = await tracker.sync_once()
            if report.error:
                raise RuntimeError(f"sync failed: {report.error}")
        elapsed = time.perf_counter() - t0
    finally:
        await client.aclose()
        outbox.close()
        catalog.close()
    log = server.state.requests[before:]
    posts = sum(1 for r in log if _is_post(r))
    limit_s = 10 * entries / 1000  # the target scales with the quick run's smaller queue
    return [
        Figure(
            f"sync {entries} queued entries: time",
            elapsed,
            "s",
            target=f"< {limit_s:g} s",
            ok=elapsed < limit_s,
            extra={"entries/s": round(entries / elapsed), "sync rounds": rounds},
        ),
        Figure(
            f"sync {entries} queued entries: requests",
            float(len(log)),
            "req",
            float(entries),
            "minimum (1 per entry)",
            target="1.0 req/entry",
            ok=len(log) == entries and posts == entries,
            extra={"timesheet POSTs": posts},
        ),
    ]


def click_to_post(quick: bool) -> list[Figure]:
    clicks = 10 if quick else 30
    state = SpyState(seed="demo", rounding=False, token=TOKEN, timezone=TZ)
    with SimulatorServer(state, token=TOKEN) as server, tempfile.TemporaryDirectory() as tmp:
        latencies, extra_requests = asyncio.run(_click_to_post(server, Path(tmp), clicks))
    p50, worst = median(latencies), max(latencies)
    return [
        Figure(
            "start click -> POST on the wire (p50)",
            p50,
            "ms",
            None,
            target="< 50 ms, exactly 1 request",
            ok=percentile(latencies, 95) < 50 and extra_requests == 0,
            extra={
                "p95 ms": round(percentile(latencies, 95), 1),
                "max ms": round(worst, 1),
                "clicks": clicks,
                "requests besides the POST": extra_requests,
            },
        )
    ]


async def _click_to_post(
    server: SimulatorServer, tmp: Path, clicks: int
) -> tuple[list[float], int]:
    loop = asyncio.get_running_loop()
    posted: list[asyncio.Future[float]] = []
    state = server.state
    assert isinstance(state, SpyState)
    seen = state.seen

    def on_post(at: float) -> None:
        # Runs on the simulator thread the moment it handles the POST.
        if posted:
            loop.call_soon_threadsafe(_resolve, posted[-1], at)

    state.on_post = on_post
    clock = StepClock(datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1))
    outbox, catalog = Outbox(tmp / "outbox.sqlite3"), Catalog(tmp / "catalog.sqlite3")
    client = _client(server.url)
    tracker = Tracker(outbox, catalog, clock, backend=client)
    supervisor = asyncio.create_task(tracker.run())
    latencies: list[float] = []
    extra = 0
    try:
        await _quiet(seen)  # the supervisor's start-up reads (catalog, active) are done
        for _ in range(clicks):
            posted.append(loop.create_future())
            mark = len(seen)
            t0 = time.perf_counter()
            tracker.start(PROJECT, ACTIVITY, "click")
            at = await asyncio.wait_for(posted[-1], timeout=10)
            latencies.append((at - t0) * 1000)
            await _settle(tracker)
            extra += sum(1 for r in seen[mark:] if not _is_post(r))
            clock.at += timedelta(seconds=30)
            tracker.stop()
            await _settle(tracker)
            clock.at += timedelta(seconds=30)
    finally:
        supervisor.cancel()
        await asyncio.wait({supervisor}, timeout=5)
        await client.aclose()
        outbox.close()
        catalog.close()
    return latencies, extra


def _resolve(fut: asyncio.Future[float], at: float) -> None:
    if not fut.done():
        fut.set_result(at)


class SpyState(SimulatorState):
    """The simulator, timing each timesheet POST the moment the server handles it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.seen: list[RequestRecord] = []
        self.on_post: Callable[[float], None] | None = None

    def log(self, record: RequestRecord) -> None:
        at = time.perf_counter()
        super().log(record)
        self.seen.append(record)
        if self.on_post is not None and _is_post(record):
            self.on_post(at)


async def _settle(tracker: Tracker) -> None:
    """Until the outbox is empty (the supervisor delivers it; the tracker publishes after)."""
    empty = asyncio.Event()

    def check(_state: object) -> None:
        if not tracker.outbox.counts()[0]:
            empty.set()

    unsubscribe = tracker.subscribe(check)
    try:
        check(None)
        await asyncio.wait_for(empty.wait(), timeout=10)
    finally:
        unsubscribe()


async def _quiet(seen: list[RequestRecord]) -> None:
    """Until no request arrived for 0.5 s (start-up refreshes finished)."""
    count, still = -1, time.monotonic()
    deadline = still + 30
    while time.monotonic() < deadline:
        if len(seen) != count:
            count, still = len(seen), time.monotonic()
        elif time.monotonic() - still > 0.5 and count > 0:
            return
        await asyncio.sleep(0.02)
    raise RuntimeError("the supervisor never went quiet")
