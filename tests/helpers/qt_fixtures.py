"""qasync event-loop fixtures, following the pitfalls measured in shared/desktop-notes.md §3.

- `qloop`: a fresh qasync loop per test for pure async code: `qloop.run_until_complete(coro)`.
- `running_qloop`: an "already running" loop so that plain `qtbot.waitSignal/waitUntil` drive
  asyncio tasks started by `@asyncSlot` methods in widget tests.

Teardown cancels leftover tasks with `asyncio.wait(..., timeout=)`, never `gather()` (it hung),
and never calls `loop.stop()` in the already-running variant (it quits the QApplication).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import qasync
from PySide6.QtWidgets import QApplication


def _cancel_leftovers(loop: asyncio.AbstractEventLoop, *, run: bool) -> None:
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in pending:
        task.cancel()
    if pending and run:
        loop.run_until_complete(asyncio.wait(pending, timeout=2))


@pytest.fixture
def qloop(qapp: QApplication) -> Iterator[asyncio.AbstractEventLoop]:
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    yield loop
    _cancel_leftovers(loop, run=True)
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()
    asyncio.set_event_loop(None)


@pytest.fixture
def running_qloop(qapp: QApplication) -> Iterator[asyncio.AbstractEventLoop]:
    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    yield loop
    _cancel_leftovers(loop, run=False)
    # Let the cancellations be delivered before the loop goes away.
    for _ in range(5):
        qapp.processEvents()
    asyncio.events._set_running_loop(None)
    loop._QEventLoop__is_running = False  # type: ignore[attr-defined]
    loop.close()
    asyncio.set_event_loop(None)
