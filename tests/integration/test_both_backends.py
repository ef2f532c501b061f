"""The offline-first Tracker against BOTH simulators over real HTTP with real SQLite files.

Each test runs once with Kimai2Client + the Kimai 2 simulator and once with Kimai1Client + the
Kimai 1 (JSON-RPC) simulator. `Server` hides the differences: how to make a client and how the
"web UI" starts and stops timers directly in the server's state. The local clock is fake and
whole-minute aligned (Kimai 1.3.5 rounds to minutes; whole minutes make that a no-op); the
Kimai 1 simulator reads the same clock, so "now" agrees on both sides.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from helpers.fake_clock import FakeClock
from kimai_tray.api.credentials import Credentials
from kimai_tray.api.kimai1 import Kimai1Client
from kimai_tray.api.kimai2 import Kimai2Client
from kimai_tray.core.backend import KimaiBackend
from kimai_tray.core.catalog import Catalog
from kimai_tray.core.outbox import Outbox
from kimai_tray.core.tracker import Tracker
from kimai_tray.simulator.kimai1 import Kimai1Options, Kimai1SimulatorServer, Kimai1State
from kimai_tray.simulator.kimai2 import SimulatorState
from kimai_tray.simulator.server import SimulatorServer

TOKEN = "both-backends-token"
TZ = "Europe/Berlin"


@dataclass(frozen=True)
class Record:
    """A timesheet as the server stores it, in one shape for both simulators."""

    id: int
    project: int
    activity: int
    begin: datetime
    end: datetime | None
    description: str


@dataclass(frozen=True)
class Server:
    kind: str
    url: str
    project: int  # a project and an activity valid in it, in this server's seed
    activity: int
    make_backend: Callable[[], KimaiBackend]
    records: Callable[[], list[Record]]
    web_start: Callable[[datetime], int]  # start a timer as the web UI does; returns its id
    web_stop: Callable[[datetime], None]  # stop every running timer as the web UI does


def _start_clock() -> FakeClock:
    # Two hours in the past (Kimai 2 refuses future times), on a whole minute.
    now = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=2)
    return FakeClock(now)


def _kimai2(clock: FakeClock) -> Iterator[Server]:
    state = SimulatorState(seed="demo", rounding=False, token=TOKEN, timezone=TZ)
    server = SimulatorServer(state, token=TOKEN)
    server.start()
    seeded = set(state.timesheets)  # the demo seed's history is not the test's business

    def records() -> list[Record]:
        with state.lock:
            return [
                Record(t.id, t.project, t.activity, t.begin, t.end, t.description or "")
                for t in state.timesheets.values()
                if t.user == state.admin.id and t.id not in seeded
            ]

    def web_start(begin: datetime) -> int:
        return state.start_timer(1, 1, begin=begin).id  # project 1, global "Meeting"

    def web_stop(end: datetime) -> None:
        state.stop_timer()

    def make_backend() -> KimaiBackend:
        credentials = Credentials(kind="token", secret=TOKEN)
        return Kimai2Client(server.url, credentials, timezone=TZ, timeout=httpx.Timeout(10.0))

    try:
        # Demo seed: project 1 with its own "Task 1" (activity 6).
        yield Server("kimai2", server.url, 1, 6, make_backend, records, web_start, web_stop)
    finally:
        server.stop()


def _kimai1(clock: FakeClock) -> Iterator[Server]:
    password = "both-backends-pw"
    options = Kimai1Options(password=password, timezone=TZ)
    state = Kimai1State(options, clock=lambda: clock.now().timestamp())
    server = Kimai1SimulatorServer(state)
    server.start()

    def when(ts: int) -> datetime:
        return datetime.fromtimestamp(ts, UTC)

    def records() -> list[Record]:
        return [
            Record(
                e.id,
                e.project_id,
                e.activity_id,
                when(e.start),
                when(e.end) if e.end else None,
                e.description or "",
            )
            for e in list(state.entries.values())
        ]

    def web_start(begin: datetime) -> int:
        return state.add_entry(2, 3, int(begin.timestamp()))  # Website relaunch / Meeting

    def web_stop(end: datetime) -> None:
        for entry in state.running_entries():
            state.stop_entry(entry.id, int(end.timestamp()))

    def make_backend() -> KimaiBackend:
        return Kimai1Client(server.url, "admin", password)

    try:
        # Demo seed: "Website relaunch" (2) offers every unbound activity, e.g. Development (2).
        yield Server("kimai1", server.url, 2, 2, make_backend, records, web_start, web_stop)
    finally:
        server.stop()


@pytest.fixture
def clock() -> FakeClock:
    return _start_clock()


@pytest.fixture(params=["kimai2", "kimai1"])
def server(request: pytest.FixtureRequest, clock: FakeClock) -> Iterator[Server]:
    make = _kimai2 if request.param == "kimai2" else _kimai1
    yield from make(clock)


Body = Callable[[Tracker, KimaiBackend], Awaitable[None]]


def run_with_tracker(server: Server, clock: FakeClock, tmp_path: Path, body: Body) -> None:
    """One asyncio.run per scenario, so each client's connection pool stays on one loop."""

    async def main() -> None:
        backend = server.make_backend()
        outbox = Outbox(tmp_path / "outbox.sqlite")
        catalog = Catalog(tmp_path / "catalog.sqlite", today=lambda: clock.now().date())
        tracker = Tracker(outbox, catalog, clock, backend=backend, rng=random.Random(3))
        try:
            await tracker.refresh_catalog()
            await body(tracker, backend)
        finally:
            await backend.aclose()
            outbox.close()
            catalog.close()

    asyncio.run(main())


async def sync_all(tracker: Tracker) -> None:
    for _ in range(10):
        report = await tracker.sync_once()
        assert report.failed == 0, tracker.pending()
        if report.remaining == 0:
            return
    raise AssertionError(f"outbox not empty: {tracker.pending()}")


def test_start_online_reaches_the_server(server: Server, clock: FakeClock, tmp_path: Path) -> None:
    async def body(tracker: Tracker, backend: KimaiBackend) -> None:
        begin = clock.now()
        tracker.start(server.project, server.activity, "online start")
        await sync_all(tracker)
        [record] = server.records()
        assert (record.project, record.activity) == (server.project, server.activity)
        assert record.begin == begin and record.end is None
        running = tracker.state.running
        assert running is not None and running.timesheet_id == record.id

    run_with_tracker(server, clock, tmp_path, body)


def test_stop_online_ends_the_same_timesheet(
    server: Server, clock: FakeClock, tmp_path: Path
) -> None:
    async def body(tracker: Tracker, backend: KimaiBackend) -> None:
        begin = clock.now()
        tracker.start(server.project, server.activity, "start then stop")
        await sync_all(tracker)
        clock.advance(25 * 60)
        tracker.stop()
        await sync_all(tracker)
        [record] = server.records()
        assert (record.begin, record.end) == (begin, begin + timedelta(minutes=25))
        assert record.description == "start then stop"
        assert tracker.state.running is None

    run_with_tracker(server, clock, tmp_path, body)


def test_offline_start_and_stop_then_sync_is_one_exact_timesheet(
    server: Server, clock: FakeClock, tmp_path: Path
) -> None:
    async def body(tracker: Tracker, backend: KimaiBackend) -> None:
        tracker.set_backend(None)  # offline: both changes wait in the SQLite outbox
        begin = clock.now()
        tracker.start(server.project, server.activity, "offline work")
        clock.advance(62 * 60)
        tracker.stop()
        assert tracker.state.pending > 0 and server.records() == []
        tracker.set_backend(backend)
        await sync_all(tracker)
        [record] = server.records()
        assert (record.project, record.activity) == (server.project, server.activity)
        assert (record.begin, record.end) == (begin, begin + timedelta(minutes=62))
        assert record.description == "offline work"

    run_with_tracker(server, clock, tmp_path, body)


def test_external_start_and_stop_show_up(server: Server, clock: FakeClock, tmp_path: Path) -> None:
    async def body(tracker: Tracker, backend: KimaiBackend) -> None:
        web_id = server.web_start(clock.now())
        await tracker.refresh_remote()
        running = tracker.state.running
        assert running is not None and running.timesheet_id == web_id
        clock.advance(10 * 60)
        server.web_stop(clock.now())
        await tracker.refresh_remote()
        await tracker.refresh_remote()
        await sync_all(tracker)
        assert tracker.state.running is None
        [record] = server.records()
        assert record.id == web_id and record.end is not None  # stayed stopped

    run_with_tracker(server, clock, tmp_path, body)
