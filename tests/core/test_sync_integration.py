"""The sync engine over real HTTP: Kimai2Client against the Kimai 2 simulator on 127.0.0.1.

No mocks: faults are injected by the simulator (connection dropped after commit, stalls).
Each scenario runs in one asyncio.run so the httpx pool stays on one loop.
"""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from helpers.fake_clock import FakeClock
from helpers.live_tracker import live_tracker, sync_until_done, token_client
from kimai_tray.api.kimai2 import Kimai2Client
from kimai_tray.core.catalog import Catalog
from kimai_tray.core.outbox import OpStatus, Outbox
from kimai_tray.core.tracker import Tracker

server_mod = pytest.importorskip("kimai_tray.simulator.server")
from kimai_tray.simulator.kimai2 import SimulatorState  # noqa: E402

TOKEN = "core-integration-token"
TZ = "Europe/Berlin"
PROJECT, TASK, MEETING = 1, 6, 1  # demo seed: project 1, its "Task 1", global "Meeting"
TESTS_DIR = Path(__file__).resolve().parent.parent


@pytest.fixture
def sim() -> Iterator[object]:
    state = SimulatorState(seed="demo", rounding=False, token=TOKEN, timezone=TZ)
    server = server_mod.SimulatorServer(state, token=TOKEN)
    server.start()
    yield server
    server.stop()


def _scenario(
    tmp_path: Path,
    url: str,
    body: Callable[[Tracker, FakeClock, Kimai2Client], Awaitable[None]],
    timeout: float = 2.0,
) -> None:
    """Run `body` with a tracker (FakeClock two hours in the past, so times are valid)."""

    async def run() -> None:
        clock = FakeClock(datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2))
        client = token_client(url, TOKEN, TZ, timeout)
        async with live_tracker(tmp_path, client, clock) as tracker:
            await body(tracker, clock, client)

    asyncio.run(run())


def test_offline_start_and_stop_become_one_exact_timesheet(sim: object, tmp_path: Path) -> None:
    state: SimulatorState = sim.state  # type: ignore[attr-defined]
    tag = next(iter(state.tags.values())).name

    async def body(tracker: Tracker, clock: FakeClock, backend: Kimai2Client) -> None:
        tracker.set_backend(None)
        begin = clock.now()
        tracker.start(PROJECT, TASK, "offline work", (tag,))
        clock.advance(3723)
        tracker.stop()
        tracker.set_backend(backend)
        await sync_until_done(tracker)
        mine = [t for t in state.timesheets.values() if t.description == "offline work"]
        assert len(mine) == 1
        ts = mine[0]
        assert (ts.begin, ts.end) == (begin, begin + timedelta(seconds=3723))
        assert (ts.project, ts.activity, ts.tags) == (PROJECT, TASK, [tag])

    _scenario(tmp_path, sim.url, body)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("method", "fault"),
    [
        ("POST", "drop_after"),
        ("PATCH", "drop_after"),
        ("DELETE", "drop_after"),
        ("POST", "delay"),
    ],
)
def test_a_request_lost_after_commit_neither_duplicates_nor_loses(
    sim: object, tmp_path: Path, method: str, fault: str
) -> None:
    state: SimulatorState = sim.state  # type: ignore[attr-defined]
    before = len(state.timesheets)

    async def body(tracker: Tracker, clock: FakeClock, backend: Kimai2Client) -> None:
        if method == "POST":
            state.faults.add(fault, method="POST", delay=1.0)  # type: ignore[arg-type]
        tracker.start(PROJECT, TASK, "lost reply")
        await sync_until_done(tracker)
        clock.advance(600)
        tracker.edit_running(description="lost reply, edited")
        if method == "PATCH":
            state.faults.add("drop_after", method="PATCH", times=2)
        tracker.stop()
        await sync_until_done(tracker)
        ts = [t for t in state.timesheets.values() if (t.description or "").startswith("lost")]
        assert len(ts) == 1 and len(state.timesheets) == before + 1
        assert ts[0].description == "lost reply, edited" and ts[0].end == clock.now()
        if method == "DELETE":
            tracker.start(PROJECT, MEETING, "to be discarded")
            await sync_until_done(tracker)
            state.faults.add("drop_after", method="DELETE")
            tracker.discard_running()
            await sync_until_done(tracker)
            assert not [t for t in state.timesheets.values() if t.description == "to be discarded"]
            assert len(state.timesheets) == before + 1

    _scenario(tmp_path, sim.url, body, timeout=0.4)  # type: ignore[attr-defined]


def test_web_ui_timers_show_up_and_stopped_ones_stay_stopped(sim: object, tmp_path: Path) -> None:
    state: SimulatorState = sim.state  # type: ignore[attr-defined]

    async def body(tracker: Tracker, clock: FakeClock, backend: Kimai2Client) -> None:
        web = state.start_timer(PROJECT, MEETING, description="from the browser")
        await tracker.refresh_remote()
        running = tracker.state.running
        assert running is not None and running.timesheet_id == web.id
        assert running.activity.name == "Meeting"
        state.stop_timer()
        await tracker.refresh_remote()
        await tracker.refresh_remote()
        await sync_until_done(tracker)
        assert tracker.state.running is None
        assert state.timesheets[web.id].end is not None and not state.running(state.admin.id)
        # The local copy ends when Kimai says it ended (this clock runs two hours behind it).
        (local,) = [e for e in tracker.outbox.entries(limit=10) if e.timesheet_id == web.id]
        assert local.end == state.timesheets[web.id].end

    _scenario(tmp_path, sim.url, body)  # type: ignore[attr-defined]


def test_an_entry_for_a_deleted_activity_is_rejected_and_blocks_nothing(
    sim: object, tmp_path: Path
) -> None:
    state: SimulatorState = sim.state  # type: ignore[attr-defined]

    async def body(tracker: Tracker, clock: FakeClock, backend: Kimai2Client) -> None:
        tracker.set_backend(None)
        tracker.start(PROJECT, TASK, "doomed")
        clock.advance(300)
        tracker.start(PROJECT, MEETING, "independent")
        clock.advance(300)
        tracker.stop()
        state.delete_activity(TASK)
        tracker.set_backend(backend)
        report = await tracker.sync_once()
        assert report.failed == 1
        failed = [p for p in tracker.pending() if p.status is OpStatus.FAILED]
        assert len(failed) == 1 and failed[0].entry.description == "doomed"
        assert failed[0].last_error and failed[0].last_error.startswith("Kimai rejected")
        assert [t.description for t in state.timesheets.values()].count("independent") == 1
        tracker.discard_failed(failed[0].op_id)
        assert tracker.pending() == []

    _scenario(tmp_path, sim.url, body)  # type: ignore[attr-defined]


@pytest.mark.slow
def test_kill_9_at_random_moments_never_duplicates_or_loses(sim: object, tmp_path: Path) -> None:
    state: SimulatorState = sim.state  # type: ignore[attr-defined]
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0) - timedelta(days=2))
    outbox = Outbox(tmp_path / "outbox.sqlite")
    catalog = Catalog(tmp_path / "catalog.sqlite")
    tracker = Tracker(outbox, catalog, clock)
    for n in range(200):
        tracker.start(PROJECT, MEETING, f"kill {n}")
        clock.advance(30)
        tracker.stop()
        clock.advance(30)
    outbox.close()
    catalog.close()
    # 40 ms per POST keeps the sync long enough for the kills to land mid-sync (the simulator
    # used to be this slow by accident: Nagle + delayed ACK, fixed in SimulatorServer).
    state.faults.add("delay", method="POST", path="/api/timesheets", times=-1, delay=0.04)
    env = {**os.environ, "PYTHONPATH": str(TESTS_DIR)}
    cmd = [sys.executable, "-m", "core.sync_child", str(tmp_path), sim.url, TOKEN, TZ]  # type: ignore[attr-defined]
    rng = random.Random(9)
    kills = 0
    progress: set[int] = set()

    def synced() -> int:
        with state.lock:
            return sum((t.description or "").startswith("kill ") for t in state.timesheets.values())

    for _ in range(50):
        # Kill after a random number of commits this run (0: during start-up), plus a random
        # slice of the next request: driven by the server's progress, not by wall-clock guesses,
        # so the kills land mid-sync on a fast machine and on a loaded one alike.
        target = synced() + rng.randint(0, 5)
        extra = rng.random() * 0.05
        child = subprocess.Popen(cmd, env=env, cwd=TESTS_DIR, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while synced() < target and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)  # polling the simulator thread's state, not awaiting our own work
        if child.poll() is None:
            time.sleep(extra)
            child.kill()  # SIGKILL
            kills += 1
        child.wait()
        progress.add(synced())
    final = subprocess.run(
        cmd, env=env, cwd=TESTS_DIR, capture_output=True, timeout=60, check=False
    )
    assert final.stdout.strip().endswith(b"done"), final.stderr[-2000:]
    names = [
        t.description
        for t in state.timesheets.values()
        if (t.description or "").startswith("kill ")
    ]
    assert sorted(names) == sorted(f"kill {n}" for n in range(200))
    assert kills >= 10
    assert len([n for n in progress if 0 < n < 200]) >= 3  # kills landed mid-sync
