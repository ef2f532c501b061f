"""The offline-first Tracker driving Kimai 1 via Kimai1Client (real HTTP, real SQLite)."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime
from pathlib import Path

from helpers.fake_clock import FakeClock
from kimai1.conftest import PASSWORD, SteppedClock
from kimai_tray.api.kimai1 import Kimai1Client
from kimai_tray.core.catalog import Catalog
from kimai_tray.core.outbox import Outbox
from kimai_tray.core.tracker import Tracker
from kimai_tray.simulator.kimai1 import Kimai1SimulatorServer


def test_offline_start_edit_stop_reach_kimai1(
    server: Kimai1SimulatorServer, clock: SteppedClock, tmp_path: Path
) -> None:
    local = FakeClock(datetime.fromtimestamp(clock.now, UTC))
    outbox = Outbox(tmp_path / "outbox.sqlite")
    catalog = Catalog(tmp_path / "catalog.sqlite", today=lambda: local.now().date())

    def advance(seconds: int) -> None:
        local.advance(seconds)
        clock.now += seconds

    async def scenario() -> None:
        client = Kimai1Client(server.url, "admin", PASSWORD)
        tracker = Tracker(outbox, catalog, local, rng=random.Random(7), sleep=local.sleep)
        try:
            tracker.set_backend(client)
            await tracker.refresh_catalog()
            tracker.set_backend(None)  # offline: start and edit locally
            begin = local.now()
            tracker.start(2, 3, "Planning")
            advance(120)
            tracker.edit_running(description="Sprint planning")
            advance(60)
            tracker.set_backend(client)  # back online
            report = await tracker.sync_once()
            assert (report.error, report.failed) == (None, 0)
            (running,) = server.state.running_entries()
            assert (running.project_id, running.activity_id) == (2, 3)
            advance(600)
            tracker.stop()
            report = await tracker.sync_once()
            assert (report.error, report.failed, report.remaining) == (None, 0, 0)
            entry = server.state.entries[running.id]
            # Begin, end and description are the local ones, though Kimai 1 took none at start.
            assert entry.start == int(begin.timestamp())
            assert entry.end == int(local.now().timestamp())
            assert entry.description == "Sprint planning"
        finally:
            await client.aclose()

    try:
        asyncio.run(scenario())
    finally:
        outbox.close()
        catalog.close()
