"""Kimai 1 edits held until the stop survive an app restart (real HTTP, real SQLite, real file).

Kimai 1 takes neither a begin nor a description at `startRecord` and cannot edit a running
entry: Kimai1Client writes both at stop. The restart is a new Tracker + client on the same files.
"""

from __future__ import annotations

import asyncio
import json
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


def test_offline_begin_and_description_survive_a_restart(
    server: Kimai1SimulatorServer, clock: SteppedClock, tmp_path: Path
) -> None:
    local = FakeClock(datetime.fromtimestamp(clock.now, UTC))
    held = tmp_path / "kimai1-held.json"

    def advance(seconds: int) -> None:
        local.advance(seconds)
        clock.now += seconds

    def session() -> tuple[Tracker, Kimai1Client, Outbox, Catalog]:
        outbox = Outbox(tmp_path / "outbox.sqlite")
        catalog = Catalog(tmp_path / "catalog.sqlite", today=lambda: local.now().date())
        tracker = Tracker(outbox, catalog, local, rng=random.Random(5), sleep=local.sleep)
        return tracker, Kimai1Client(server.url, "admin", PASSWORD, held_file=held), outbox, catalog

    async def before_restart() -> datetime:
        tracker, client, outbox, catalog = session()
        try:
            tracker.set_backend(client)
            await tracker.refresh_catalog()
            tracker.set_backend(None)
            begin = local.now()
            tracker.start(2, 3, "Held across restart")  # offline: begin is local
            advance(300)
            tracker.set_backend(client)
            report = await tracker.sync_once()
            assert (report.error, report.failed, report.remaining) == (None, 0, 0)
            return begin
        finally:
            await client.aclose()
            outbox.close()
            catalog.close()

    async def after_restart(begin: datetime) -> None:
        tracker, client, outbox, catalog = session()
        try:
            tracker.set_backend(client)
            await tracker.refresh_remote()  # a poll must not "undo" the held edits
            running = tracker.state.running
            assert running is not None and running.description == "Held across restart"
            assert running.begin == begin
            advance(600)
            tracker.stop()
            report = await tracker.sync_once()
            assert (report.error, report.failed, report.remaining) == (None, 0, 0)
        finally:
            await client.aclose()
            outbox.close()
            catalog.close()

    begin = asyncio.run(before_restart())
    (entry,) = server.state.running_entries()
    assert entry.description in (None, "")  # Kimai 1 really does not have it yet
    assert entry.start != int(begin.timestamp())
    assert "Held across restart" in held.read_text(encoding="utf-8")

    asyncio.run(after_restart(begin))
    stored = server.state.entries[entry.id]
    assert stored.description == "Held across restart"
    assert stored.start == int(begin.timestamp())
    assert stored.end == int(local.now().timestamp())
    # Written at stop, so no longer held.
    assert json.loads(held.read_text(encoding="utf-8")) == {}
