"""Crash at every write request (before or after the server applied it), restart, finish:
each entry ends up on the server exactly once. The in-process stand-in for kill -9; the
subprocess version against the simulator is in test_sync_integration.py."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from datetime import timedelta

import pytest

from helpers.fake_backend import FakeBackend, SimulatedCrash
from helpers.fake_clock import FakeClock
from kimai_tray.core.sync import SETTLE_SECONDS
from kimai_tray.core.tracker import Tracker

ENTRIES = 6


def _queue_work(tracker: Tracker, clock: FakeClock) -> list[tuple[str, object]]:
    """Offline entries of every kind: finished ones, a switch, an edit, a discard."""
    expected: list[tuple[str, object]] = []
    for n in range(ENTRIES):
        begin = clock.now()
        tracker.start(10 if n % 2 else 11, 100 if n % 2 else 102, f"entry {n}")
        clock.advance(600)
        if n == 2:
            tracker.edit_running(description="entry 2 edited")
        if n == 4:
            tracker.discard_running()
            continue
        if n != ENTRIES - 1:
            tracker.stop()
        desc = "entry 2 edited" if n == 2 else f"entry {n}"
        end = None if n == ENTRIES - 1 else begin + timedelta(seconds=600)
        expected.append((desc, (begin, end)))
        clock.advance(60)
    return expected


def _run_until_done(make_tracker: Callable[..., Tracker], clock: FakeClock) -> int:
    crashes = 0
    for _ in range(50):
        tracker = make_tracker()
        try:
            asyncio.run(tracker.sync_once())
        except SimulatedCrash:
            crashes += 1
            # A POST on the wire when the process died may still commit: the restarted
            # engine waits the settle period before resending, so the restart comes later.
            clock.advance(SETTLE_SECONDS)
            continue
        if tracker.state.pending == 0:
            return crashes
    raise AssertionError("never finished")


@pytest.mark.parametrize("after_apply", [True, False])
@pytest.mark.parametrize("crash_at", range(1, 6))  # the work needs five writes
def test_a_crash_at_any_write_neither_duplicates_nor_loses_entries(
    make_tracker: Callable[..., Tracker],
    backend: FakeBackend,
    clock: FakeClock,
    crash_at: int,
    after_apply: bool,
) -> None:
    first = make_tracker(online=False)
    expected = _queue_work(first, clock)
    backend.crash_at = crash_at
    backend.crash_after_apply = after_apply
    backend.rounding = random.Random(crash_at).random() < 0.5
    crashes = _run_until_done(make_tracker, clock)
    assert crashes == 1
    got = sorted((t.description or "", t.begin, t.end) for t in backend.sheets.values())
    assert [g[0] for g in got] == sorted(desc for desc, _ in expected)
    if not backend.rounding:
        assert sorted((d, b, e) for d, (b, e) in expected) == got  # type: ignore[misc]


@pytest.mark.parametrize("after_apply", [True, False])
@pytest.mark.parametrize("crash_at", range(1, 6))  # edit, stop, create, start, delete
def test_a_crash_during_patches_and_deletes_leaves_the_right_records(
    make_tracker: Callable[..., Tracker],
    backend: FakeBackend,
    clock: FakeClock,
    crash_at: int,
    after_apply: bool,
) -> None:
    first = make_tracker()
    first.start(10, 100, "long")
    asyncio.run(first.sync_once())
    backend.writes = 0
    backend.crash_at = crash_at
    backend.crash_after_apply = after_apply
    first.set_backend(None)
    clock.advance(300)
    first.edit_running(description="long, edited")
    clock.advance(300)
    stop_at = clock.now()
    first.start(11, 102, "short")  # stops "long" at the same instant
    clock.advance(60)
    first.discard_running()  # not sent yet: cancelled locally, nothing to delete
    first.start(11, 102, "kept")
    clock.advance(60)
    first.stop()
    tracker = make_tracker()
    tracker.start(10, 100, "to delete")
    asyncio.run(_sync_with_restarts(make_tracker, clock))
    tracker = make_tracker()
    tracker.discard_running()
    asyncio.run(_sync_with_restarts(make_tracker, clock))
    got = sorted((t.description, t.end is not None) for t in backend.sheets.values())
    assert got == [("kept", True), ("long, edited", True)]
    assert backend.crashed
    [long] = [t for t in backend.sheets.values() if t.description == "long, edited"]
    assert long.end == stop_at


async def _sync_with_restarts(make_tracker: Callable[..., Tracker], clock: FakeClock) -> None:
    for _ in range(10):
        tracker = make_tracker()
        try:
            await tracker.sync_once()
        except SimulatedCrash:
            clock.advance(SETTLE_SECONDS)  # as in _run_until_done
            continue
        if tracker.state.pending == 0:
            return
    raise AssertionError("never finished")
