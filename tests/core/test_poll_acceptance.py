"""Issue 4: a timer started in the web UI shows up within 60 s through `Tracker.run()`'s own
poll schedule, and one stopped there is not resurrected. Real HTTP to the Kimai 2 simulator;
only time is faked (FakeClock.sleep advances it), so 60 s of polling take milliseconds.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from helpers.fake_clock import FakeClock
from kimai_tray.api.credentials import Credentials
from kimai_tray.api.kimai2 import Kimai2Client
from kimai_tray.core.catalog import Catalog
from kimai_tray.core.outbox import Outbox
from kimai_tray.core.state import TrackerState
from kimai_tray.core.tracker import POLL_ACTIVE_S, Tracker
from kimai_tray.simulator.kimai2 import SimulatorState
from kimai_tray.simulator.server import SimulatorServer

TOKEN = "poll-acceptance-token"
TZ = "Europe/Berlin"
PROJECT, MEETING = 1, 1  # demo seed: project 1 and the global "Meeting"


def test_poll_interval_is_within_the_30_to_60_second_window() -> None:
    assert 30 <= POLL_ACTIVE_S <= 60


async def _until(predicate: Callable[[], bool], what: str, real_s: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + real_s
    while not predicate():
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.01)  # yield to run(); its own sleeps are the fake clock's


def test_run_picks_up_web_ui_timers_within_60s_and_never_resurrects(tmp_path: Path) -> None:
    server = SimulatorServer(SimulatorState(seed="demo", token=TOKEN, timezone=TZ))
    server.start()
    state = server.state
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1))
    seen: dict[str, float] = {}

    def watch(s: TrackerState) -> None:
        key = "running" if s.running is not None else "idle"
        seen.setdefault(key, clock.monotonic())

    async def scenario() -> None:
        client = Kimai2Client(
            server.url, Credentials("token", TOKEN), timezone=TZ, timeout=httpx.Timeout(10.0)
        )
        outbox = Outbox(tmp_path / "outbox.sqlite")
        catalog = Catalog(tmp_path / "catalog.sqlite")
        tracker = Tracker(
            outbox, catalog, clock, backend=client, rng=random.Random(1), sleep=clock.sleep
        )
        runner = asyncio.ensure_future(tracker.run())
        try:
            await _until(lambda: tracker.state.online, "the first poll")
            tracker.subscribe(watch)
            started_at = clock.monotonic()
            web = state.start_timer(PROJECT, MEETING, description="from the browser")
            await _until(lambda: "running" in seen, "the web timer to show")
            assert seen["running"] - started_at <= 60
            running = tracker.state.running
            assert running is not None and running.timesheet_id == web.id
            assert running.description == "from the browser"

            seen.clear()
            stopped_at = clock.monotonic()
            state.stop_timer()
            await _until(lambda: "idle" in seen, "the web stop to show")
            assert seen["idle"] - stopped_at <= 60
            # Several more poll rounds: nothing restarts it locally or on the server.
            later = clock.monotonic() + 5 * POLL_ACTIVE_S
            await _until(lambda: clock.monotonic() > later, "more polls")
            assert tracker.state.running is None and tracker.state.pending == 0
            assert state.timesheets[web.id].end is not None
            assert not state.running(state.admin.id)
        finally:
            runner.cancel()
            await asyncio.wait([runner], timeout=10)
            await client.aclose()
            outbox.close()
            catalog.close()

    try:
        asyncio.run(scenario())
    finally:
        server.stop()
