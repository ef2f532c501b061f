"""Comforts over real HTTP: Kimai2Client against the Kimai 2 simulator, real SQLite files.

The simulator's user lives in America/New_York; the tracker's clock is fixed (FakeClock)
at Tuesday 2026-11-17 00:20 New York time, just after a midnight and a week boundary.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from helpers.fake_clock import FakeClock
from helpers.live_tracker import live_tracker, token_client
from kimai_tray.api.kimai2 import Kimai2Client
from kimai_tray.core.comforts import Comforts
from kimai_tray.core.favourites import FavouriteStore
from kimai_tray.core.timeparse import parse_start
from kimai_tray.core.tracker import Tracker
from kimai_tray.simulator.kimai2 import SimulatorState
from kimai_tray.simulator.server import SimulatorServer

TOKEN = "comforts-token"
TZ = "America/New_York"
NY = ZoneInfo(TZ)
NOW = datetime(2026, 11, 17, 0, 20, tzinfo=NY).astimezone(UTC)
PROJECT, TASK, MEETING = 1, 6, 1  # demo seed: project 1, its "Task 1", global "Meeting"


def ny(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=NY).astimezone(UTC)


@pytest.fixture
def sim() -> Iterator[SimulatorServer]:
    state = SimulatorState(seed="demo", rounding=False, token=TOKEN, timezone=TZ)
    server = SimulatorServer(state, token=TOKEN)
    server.start()
    yield server
    server.stop()


Body = Callable[[Tracker, Comforts, FakeClock, Kimai2Client], Awaitable[None]]


def _scenario(tmp_path: Path, url: str, body: Body) -> None:
    async def run() -> None:
        clock = FakeClock(NOW)
        client = token_client(url, TOKEN, None, timeout=10.0)  # the user's zone from the server
        async with live_tracker(tmp_path, client, clock) as tracker:
            store = FavouriteStore(tmp_path / "favourites.sqlite")
            try:
                await body(tracker, Comforts(tracker, store, clock, zone=UTC), clock, client)
            finally:
                store.close()

    asyncio.run(run())


async def _sync(tracker: Tracker) -> None:
    for _ in range(5):
        if (await tracker.sync_once()).remaining == 0:
            return
    raise AssertionError(f"outbox not empty: {tracker.pending()}")


def _clipped(state: SimulatorState, lo: datetime, hi: datetime, now: datetime) -> int:
    """The simulator's own records, summed independently of core/totals."""
    total = 0
    for ts in state.timesheets.values():
        if ts.user != state.admin.id:
            continue
        end = ts.end or now
        total += max(0, int((min(end, hi) - max(ts.begin, lo)).total_seconds()))
    return total


def test_totals_match_the_servers_records_across_midnight_and_week_start(
    sim: SimulatorServer, tmp_path: Path
) -> None:
    state = sim.state
    state.timesheets.clear()
    me = state.admin.id
    for begin, end in [
        (ny(15, 23), ny(16, 0, 30)),  # Sunday -> Monday: 30 min this week
        (ny(16, 23, 30), ny(17, 0, 10)),  # Monday -> Tuesday: 10 min today
        (ny(15, 10), ny(15, 11)),  # Sunday: previous week
    ]:
        state.insert_timesheet(
            user=me, begin=begin, end=end, timezone=TZ, project=PROJECT, activity=TASK
        )

    async def body(
        tracker: Tracker, comforts: Comforts, clock: FakeClock, client: Kimai2Client
    ) -> None:
        await comforts.refresh(client)
        assert comforts.zone == NY
        tracker.set_backend(None)  # offline: a finished entry and a running one stay local
        clock.set(ny(17, 0, 12))
        tracker.start(PROJECT, TASK, "offline")
        clock.set(ny(17, 0, 15))
        tracker.stop()
        clock.set(ny(17, 0, 17))
        tracker.start(PROJECT, MEETING, "running")
        clock.set(ny(17, 0, 20))
        offline = comforts.totals(target_hours=7.5)
        assert (offline.today, offline.week) == ((10 + 3 + 3) * 60, (30 + 40 + 3 + 3) * 60)
        assert offline.target == 27000

        # Once synced the same records come back from the server: counted once, not twice.
        tracker.set_backend(client)
        await _sync(tracker)
        await comforts.refresh(client)
        synced = comforts.totals()
        now = clock.now()
        assert synced.today == _clipped(state, ny(17, 0), ny(18, 0), now) == offline.today
        assert synced.week == _clipped(state, ny(16, 0), ny(18, 0), now) == offline.week

        state.admin.first_weekday = "sunday"
        await comforts.refresh(client)
        assert comforts.totals().week == _clipped(state, ny(15, 0), ny(18, 0), now)
        assert comforts.totals().week == offline.week + (90 - 30 + 60) * 60

    _scenario(tmp_path, sim.url, body)


def test_editing_the_start_time_offline_syncs_the_exact_new_begin(
    sim: SimulatorServer, tmp_path: Path
) -> None:
    state = sim.state

    async def body(tracker: Tracker, _: Comforts, clock: FakeClock, client: Kimai2Client) -> None:
        tracker.start(PROJECT, TASK, "forgot to start")
        await _sync(tracker)
        tid = tracker.state.running.timesheet_id  # type: ignore[union-attr]
        assert tid is not None
        tracker.set_backend(None)
        clock.advance(17)  # seconds: proves no rounding of the new begin
        new_begin = parse_start("-20m", clock.now(), NY)
        tracker.edit_running(begin=new_begin, activity_id=MEETING, description="standup")
        assert tracker.state.running is not None
        assert tracker.state.running.begin == new_begin
        assert tracker.state.running.activity.id == MEETING
        tracker.set_backend(client)
        await _sync(tracker)
        ts = state.timesheets[tid]
        assert (ts.begin, ts.end) == (new_begin, None)
        assert (ts.activity, ts.description) == (MEETING, "standup")

    _scenario(tmp_path, sim.url, body)


def test_a_retime_before_the_first_sync_folds_into_the_post(
    sim: SimulatorServer, tmp_path: Path
) -> None:
    state = sim.state

    async def body(tracker: Tracker, _: Comforts, clock: FakeClock, client: Kimai2Client) -> None:
        tracker.set_backend(None)
        tracker.start(PROJECT, TASK, "late start", begin=parse_start("-15m", clock.now(), NY))
        clock.advance(61)
        new_begin = parse_start("20 min ago", clock.now(), NY)
        tracker.edit_running(begin=new_begin)
        tracker.set_backend(client)
        before = len(state.requests)
        await _sync(tracker)
        sent = [(r.method, r.path) for r in state.requests[before:]]
        assert sum(m == "POST" for m, _ in sent) == 1
        assert not any(m == "PATCH" for m, _ in sent)
        mine = [t for t in state.timesheets.values() if t.description == "late start"]
        assert [t.begin for t in mine] == [new_begin]

    _scenario(tmp_path, sim.url, body)


def test_recents_from_server_timesheets_keep_descriptions_apart(
    sim: SimulatorServer, tmp_path: Path
) -> None:
    state = sim.state
    state.timesheets.clear()
    me = state.admin.id
    for hours, text in [(5, "code review"), (4, "planning"), (3, "code review")]:
        begin = NOW - timedelta(days=2, hours=hours)
        state.insert_timesheet(
            user=me,
            begin=begin,
            end=begin + timedelta(minutes=30),
            timezone=TZ,
            project=PROJECT,
            activity=TASK,
            description=text,
        )

    async def body(
        tracker: Tracker, comforts: Comforts, _: FakeClock, client: Kimai2Client
    ) -> None:
        await comforts.refresh(client)
        tracker.start(PROJECT, TASK, "local only")
        recents = comforts.recents(5)
        assert [r.description for r in recents] == ["local only", "code review", "planning"]
        assert recents[1].project.name == tracker.catalog.project(PROJECT).name  # type: ignore[union-attr]
        paths = [r.path for r in state.requests]
        assert not any(p.endswith("/timesheets/recent") for p in paths)

    _scenario(tmp_path, sim.url, body)
