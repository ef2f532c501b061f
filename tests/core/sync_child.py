"""Child process for the kill -9 test: open the outbox, sync it to the simulator, exit.

Run as `python -m core.sync_child DIR URL TOKEN TIMEZONE` (with tests/ on sys.path). It
prints "done" once the outbox is empty; the parent kills it at random moments before that.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from kimai_tray.api.credentials import Credentials
from kimai_tray.api.kimai2 import Kimai2Client
from kimai_tray.core.catalog import Catalog
from kimai_tray.core.clock import SystemClock
from kimai_tray.core.outbox import Outbox
from kimai_tray.core.tracker import Tracker


async def main(directory: Path, url: str, token: str, timezone: str) -> int:
    outbox = Outbox(directory / "outbox.sqlite")
    catalog = Catalog(directory / "catalog.sqlite")
    client = Kimai2Client(url, Credentials(kind="token", secret=token), timezone=timezone)
    # The parent's stalls last under a second; a restart after a kill must still wait out a
    # POST that may be on the wire (SETTLE_SECONDS in production), just not 90 real seconds.
    tracker = Tracker(
        outbox, catalog, SystemClock(), backend=client, sleep=asyncio.sleep, settle_seconds=2.0
    )
    try:
        for _ in range(1000):
            report = await tracker.sync_once()
            if report.remaining == 0:
                print("done", flush=True)
                return 0
            if report.retry_after is not None:
                await asyncio.sleep(0.05)  # the server is local: no need to wait the back-off
        return 1
    finally:
        await client.aclose()
        outbox.close()
        catalog.close()


if __name__ == "__main__":
    d, u, t, tz = sys.argv[1:5]
    sys.exit(asyncio.run(main(Path(d), u, t, tz)))
