"""A Tracker running its supervisor on the test's qasync loop, against a simulator over HTTP:
the set-up the popup/tray tests that talk to a real server share."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pytestqt.qtbot import QtBot

from kimai_tray.api.kimai2 import Kimai2Client
from kimai_tray.core.catalog import Catalog
from kimai_tray.core.clock import SystemClock
from kimai_tray.core.outbox import Outbox
from kimai_tray.core.tracker import Tracker

WAIT_MS = 30_000  # generous: CI runs on two loaded cores


@contextmanager
def running_tracker(qtbot: QtBot, directory: Path, client: Kimai2Client) -> Iterator[Tracker]:
    """`tracker.run()` started, catalog loaded and online; on exit the supervisor is
    cancelled, then the client and both databases are closed (needs `running_qloop`)."""
    outbox = Outbox(directory / "outbox.sqlite")
    catalog = Catalog(directory / "catalog.sqlite")
    tracker = Tracker(outbox, catalog, SystemClock(), backend=client)
    runner = asyncio.ensure_future(tracker.run())
    try:
        # run() refreshes the catalog first thing; the picker needs it.
        qtbot.waitUntil(lambda: not catalog.is_empty() and tracker.state.online, timeout=WAIT_MS)
        yield tracker
    finally:
        runner.cancel()
        qtbot.waitUntil(runner.done, timeout=WAIT_MS)
        closing = asyncio.ensure_future(client.aclose())
        qtbot.waitUntil(closing.done, timeout=WAIT_MS)
        outbox.close()
        catalog.close()
