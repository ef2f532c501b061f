"""Issue 4: a stall that hits the client timeout, for each kind of request (POST, PATCH,
DELETE), never leaves a duplicate or a missing change. Real HTTP to the Kimai 2 simulator;
the 30 s stall of the issue is scaled down: the server stalls 1 s, the client gives up at 0.4 s.
"""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from helpers.fake_clock import FakeClock
from kimai_tray.api.credentials import Credentials
from kimai_tray.api.kimai2 import Kimai2Client
from kimai_tray.core.catalog import Catalog
from kimai_tray.core.errors import RequestTimeoutError
from kimai_tray.core.outbox import Outbox
from kimai_tray.core.tracker import Tracker
from kimai_tray.simulator.kimai2 import SimTimesheet, SimulatorState
from kimai_tray.simulator.server import SimulatorServer

TOKEN = "stall-acceptance-token"
TZ = "Europe/Berlin"
PROJECT, TASK = 1, 6  # demo seed: project 1 and its "Task 1"
STALL_S, CLIENT_TIMEOUT_S = 1.0, 0.4


async def _sync_until_done(tracker: Tracker) -> None:
    for _ in range(20):
        report = await tracker.sync_once()
        if report.remaining == 0:
            return
        await asyncio.sleep(min(report.retry_after or 0.0, 2.0))  # the engine's own back-off
    raise AssertionError(f"outbox not empty: {tracker.pending()}")


async def _stalled_then_synced(tracker: Tracker, state: SimulatorState, method: str) -> None:
    """Sync through a stall, then prove the stall really hit the client timeout."""
    first = await tracker.sync_once()
    await _sync_until_done(tracker)
    # The stalled request completes on the server STALL_S later; wait for its log record.
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    sent = [r for r in state.requests if r.method == method]
    while len(sent) < (1 if method == "POST" else 2):
        assert loop.time() < deadline, f"only {len(sent)} {method} reached the server"
        await asyncio.sleep(0.05)
        sent = [r for r in state.requests if r.method == method]
    if method == "POST":
        # Not idempotent: never re-sent blindly; the timeout is reported, then reconciled.
        assert first.error == RequestTimeoutError.default_message, first
        assert len(sent) == 1
    else:
        # PATCH end / DELETE are idempotent: the timed-out request is simply sent again.
        assert len(sent) == 2


@pytest.mark.parametrize("method", ["POST", "PATCH", "DELETE"])
def test_a_stalled_request_that_times_out_is_applied_exactly_once(
    tmp_path: Path, method: str
) -> None:
    server = SimulatorServer(SimulatorState(seed="demo", token=TOKEN, timezone=TZ, rounding=False))
    server.start()
    state = server.state
    seeded = set(state.timesheets)

    def mine() -> list[SimTimesheet]:
        return [t for i, t in state.timesheets.items() if i not in seeded]

    async def scenario() -> None:
        clock = FakeClock(datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2))
        client = Kimai2Client(
            server.url,
            Credentials("token", TOKEN),
            timezone=TZ,
            timeout=httpx.Timeout(CLIENT_TIMEOUT_S, connect=5.0),
        )
        outbox = Outbox(tmp_path / "outbox.sqlite")
        catalog = Catalog(tmp_path / "catalog.sqlite")
        tracker = Tracker(outbox, catalog, clock, backend=client, rng=random.Random(2))
        try:
            await tracker.refresh_catalog()
            if method == "POST":
                state.faults.add("delay", method="POST", delay=STALL_S)
            begin = clock.now()
            tracker.start(PROJECT, TASK, "stalled")
            if method == "POST":
                await _stalled_then_synced(tracker, state, method)
            await _sync_until_done(tracker)
            clock.advance(900)
            if method == "PATCH":
                state.faults.add("delay", method="PATCH", delay=STALL_S)
            if method == "DELETE":
                state.faults.add("delay", method="DELETE", delay=STALL_S)
                tracker.discard_running()
            else:
                tracker.stop()
            if method != "POST":
                await _stalled_then_synced(tracker, state, method)
            await _sync_until_done(tracker)
            if method == "DELETE":
                assert mine() == []
            else:
                (sheet,) = mine()
                assert (sheet.begin, sheet.end) == (begin, begin + timedelta(seconds=900))
                assert (sheet.project, sheet.activity, sheet.description) == (
                    PROJECT,
                    TASK,
                    "stalled",
                )
            assert tracker.pending() == []
        finally:
            await client.aclose()
            outbox.close()
            catalog.close()

    try:
        asyncio.run(scenario())
    finally:
        server.stop()
