"""Child for the kill -9 suite: sync the outbox, SIGKILL itself at one chosen point.

Run as `python -m reliability.crash_child DIR URL TOKEN TZ POINT N` (tests/ on sys.path).
POINT is where the N-th write request (POST/PATCH/DELETE) dies:
- `before_send`: the request never leaves the process;
- `after_send`: the request is on the wire, the server has not answered (the parent makes the
  server stall writes, so it commits only after this process is gone);
- `after_commit`: the server answered, the process dies before recording the answer;
- `mid_write`: inside SQLite's VM during the N-th outbox write transaction (progress handler);
- `none`: no kill, sync to the end.
It prints `sent K` before dying in flight (K = writes sent so far) and `done` when the outbox
is empty. Killing ourselves with SIGKILL at an exact point is the deterministic form of kill -9.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from pathlib import Path

import httpx

from kimai_tray.api.credentials import Credentials
from kimai_tray.api.kimai2 import Kimai2Client
from kimai_tray.core.catalog import Catalog
from kimai_tray.core.clock import SystemClock
from kimai_tray.core.outbox import Outbox
from kimai_tray.core.tracker import Tracker

WRITES = {"POST", "PATCH", "DELETE"}


def _die() -> None:
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


class KillingTransport(httpx.AsyncBaseTransport):
    def __init__(self, point: str, nth: int) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self._point, self._nth, self._writes = point, nth, 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method not in WRITES:
            return await self._inner.handle_async_request(request)
        self._writes += 1
        target = self._writes == self._nth
        if target and self._point == "before_send":
            _die()
        if target and self._point == "after_send":
            task = asyncio.ensure_future(self._inner.handle_async_request(request))
            await asyncio.wait({task}, timeout=0.2)  # on the wire; the server is stalling
            print(f"sent {self._writes}", flush=True)
            _die()
        response = await self._inner.handle_async_request(request)
        if target and self._point == "after_commit":
            await response.aread()
            print(f"sent {self._writes}", flush=True)
            _die()
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


def _kill_mid_write(conn: sqlite3.Connection, nth: int) -> None:
    """SIGKILL inside the N-th write transaction, while SQLite is executing it."""
    seen = {"tx": 0, "in": False}

    def progress() -> int:
        if conn.in_transaction and not seen["in"]:
            seen["in"] = True
            seen["tx"] += 1
            if seen["tx"] == nth:
                _die()
        elif not conn.in_transaction:
            seen["in"] = False
        return 0

    conn.set_progress_handler(progress, 1)


async def main(directory: Path, url: str, token: str, tz: str, point: str, nth: int) -> int:
    outbox = Outbox(directory / "outbox.sqlite")
    catalog = Catalog(directory / "catalog.sqlite")
    if point == "mid_write":
        _kill_mid_write(outbox._conn, nth)  # test-only reach into the connection
    transport = KillingTransport(point, nth)
    client = Kimai2Client(
        url,
        Credentials(kind="token", secret=token),
        timezone=tz,
        transport=transport,
        timeout=httpx.Timeout(5.0),
    )
    # The parent's stalls last under a second; a restart after a kill must still wait out a
    # POST that may be on the wire (SETTLE_SECONDS in production), just not 90 real seconds.
    tracker = Tracker(
        outbox, catalog, SystemClock(), backend=client, sleep=asyncio.sleep, settle_seconds=2.0
    )
    try:
        for _ in range(200):
            report = await tracker.sync_once()
            if report.remaining == 0:
                print("done", flush=True)
                return 0
            if report.retry_after is not None:
                await asyncio.sleep(0.05)  # local server: no need to wait the back-off
        return 1
    finally:
        await client.aclose()
        outbox.close()
        catalog.close()


if __name__ == "__main__":
    d, u, t, z, p, n = sys.argv[1:7]
    sys.exit(asyncio.run(main(Path(d), u, t, z, p, int(n))))
