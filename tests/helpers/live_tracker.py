"""A Tracker on real SQLite files talking HTTP to a simulator: the set-up of the core
integration tests (away actions, sync, comforts, stalls), in one place."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from helpers.fake_clock import FakeClock
from kimai_tray.api.credentials import Credentials
from kimai_tray.api.kimai2 import Kimai2Client
from kimai_tray.core.catalog import Catalog
from kimai_tray.core.outbox import Outbox
from kimai_tray.core.tracker import Tracker


def token_client(url: str, token: str, timezone: str | None, timeout: float = 2.0) -> Kimai2Client:
    """A Kimai 2 client with a Bearer token; `timezone` None: read the user's from the server."""
    return Kimai2Client(
        url,
        Credentials(kind="token", secret=token),
        timezone=timezone,
        timeout=httpx.Timeout(timeout),
    )


@asynccontextmanager
async def live_tracker(
    directory: Path, client: Kimai2Client, clock: FakeClock
) -> AsyncIterator[Tracker]:
    """A tracker over `directory`'s outbox and catalog using `client`, catalog loaded.

    Closes the client and both databases on exit.
    """
    outbox = Outbox(directory / "outbox.sqlite")
    catalog = Catalog(directory / "catalog.sqlite", today=lambda: clock.now().date())
    tracker = Tracker(outbox, catalog, clock, backend=client, rng=random.Random(1))
    try:
        await tracker.refresh_catalog()
        yield tracker
    finally:
        await client.aclose()
        outbox.close()
        catalog.close()


async def sync_until_done(tracker: Tracker, rounds: int = 10) -> None:
    """Sync rounds until the outbox is empty, honouring the engine's (short) back-off."""
    for _ in range(rounds):
        report = await tracker.sync_once()
        if report.remaining == 0:
            return
        if report.retry_after is not None:
            await asyncio.sleep(min(report.retry_after, 2.0))
    raise AssertionError(f"outbox not empty: {tracker.pending()}")
