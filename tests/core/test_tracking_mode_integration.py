"""A tracking mode that forbids begin/end never gets them sent (real HTTP, Kimai 2 simulator).

In Kimai's punch and duration_fixed_begin modes a plain user sending `begin`/`end` gets
"This form should not contain extra fields"; the server sets the times itself.
"""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from helpers.fake_clock import FakeClock
from kimai_tray.api.credentials import Credentials
from kimai_tray.api.kimai2 import Kimai2Client
from kimai_tray.core.catalog import Catalog
from kimai_tray.core.models import TimesheetChanges
from kimai_tray.core.outbox import Outbox
from kimai_tray.core.tracker import Tracker
from kimai_tray.simulator.kimai2 import SimulatorState
from kimai_tray.simulator.server import SimulatorServer

TOKEN = "mode-token"
PROJECT, TASK = 1, 6  # demo seed


@pytest.mark.parametrize("mode", ["punch", "duration_fixed_begin"])
def test_forbidden_times_are_never_sent(tmp_path: Path, mode: str) -> None:
    state = SimulatorState(seed="demo", token=TOKEN, timezone="Europe/Berlin")
    state.set_tracking_mode(mode)  # type: ignore[arg-type]
    with SimulatorServer(state, token=TOKEN) as server:

        async def run() -> None:
            clock = FakeClock(datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2))
            client = Kimai2Client(server.url, Credentials(kind="token", secret=TOKEN))
            outbox = Outbox(tmp_path / "outbox.sqlite")
            catalog = Catalog(tmp_path / "catalog.sqlite")
            tracker = Tracker(outbox, catalog, clock, backend=client, rng=random.Random(1))
            try:
                await tracker.refresh_catalog()
                # Offline start at an explicit past begin, an edit, and a stop: every path
                # that could carry begin/end.
                tracker.set_backend(None)
                tracker.start(PROJECT, TASK, "punch work", begin=clock.now() - timedelta(hours=1))
                clock.advance(600)
                tracker.edit_running(description="punch work 2")
                clock.advance(600)
                tracker.stop()
                tracker.set_backend(client)
                for _ in range(10):
                    if (await tracker.sync_once()).remaining == 0:
                        break
                    await asyncio.sleep(0.2)
                assert tracker.pending() == []
                # A direct time change through the client is dropped as well.
                ts = next(t for t in state.timesheets.values() if t.description == "punch work 2")
                await client.update_timesheet(
                    ts.id, TimesheetChanges.of(begin=clock.now() - timedelta(hours=3))
                )
            finally:
                await client.aclose()
                outbox.close()
                catalog.close()

        asyncio.run(run())

    writes = [r for r in state.requests if r.method in ("POST", "PATCH")]
    timesheet_writes = [r for r in writes if r.path.startswith("/api/timesheets")]
    assert timesheet_writes, "the entry never reached the simulator"
    assert all(r.status < 400 for r in timesheet_writes), timesheet_writes
    for record in timesheet_writes:
        body = record.json if isinstance(record.json, dict) else {}
        assert "begin" not in body and "end" not in body, record
    assert any(t.description == "punch work 2" and t.end for t in state.timesheets.values())
