"""A create in doubt is not resent before its settle period is over, even across a restart.

Kimai has no idempotency keys: a POST that stalled may still commit after the client gave up.
The time of the last attempt is stored on the op (outbox schema 2), so a process started
during the stall waits as the crashed one would have. Real SQLite files and a FakeClock; the
stall test runs over real HTTP against the Kimai 2 simulator with its "delay" fault.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from helpers.fake_backend import FakeBackend, SimulatedCrash
from helpers.fake_clock import FakeClock
from helpers.simulator_fixtures import SIMULATOR_TOKEN, SimulatorFactory
from kimai_tray.api.credentials import Credentials
from kimai_tray.api.kimai2 import Kimai2Client
from kimai_tray.core.catalog import Catalog
from kimai_tray.core.errors import ServerUnreachableError
from kimai_tray.core.outbox import _MIGRATIONS, OpKind, OpStatus, Outbox
from kimai_tray.core.sync import SETTLE_SECONDS
from kimai_tray.core.tracker import Tracker
from kimai_tray.simulator.faults import Fault, Faults

IN_DOUBT = "may still be arriving at Kimai"
TZ = "Europe/Berlin"
PROJECT, TASK = 1, 6  # demo seed: project 1 and its "Task 1"
STALL_S = 1.5  # the server commits the POST this long after it arrived...
CLIENT_READ_TIMEOUT_S = 0.3  # ...long after the client gave up on it


def sync(tracker: Tracker):  # type: ignore[no-untyped-def]
    return asyncio.run(tracker.sync_once())


def posts(backend: FakeBackend) -> int:
    return sum(c in ("start_timesheet", "create_timesheet") for c in backend.calls)


def _crash_with_the_post_on_the_wire(
    make_tracker: Callable[..., Tracker], backend: FakeBackend
) -> None:
    """Process A queues a start and dies (kill -9 stand-in) while its POST is on the wire;
    the POST never reaches the server. Durably, that looks exactly like a POST that is
    stalling on the server and will commit late, so the next process has to wait."""
    first = make_tracker()
    asyncio.run(first.refresh_catalog())
    first.start(10, 100, "crash")
    backend.crash_at = backend.writes + 1
    backend.crash_after_apply = False
    with pytest.raises(SimulatedCrash):
        sync(first)
    assert first.pending()[0].status is OpStatus.INFLIGHT
    assert backend.sheets == {}


def test_a_restart_while_a_post_may_still_commit_waits_the_settle_period(
    make_tracker: Callable[..., Tracker], backend: FakeBackend, clock: FakeClock
) -> None:
    _crash_with_the_post_on_the_wire(make_tracker, backend)
    restarted = make_tracker()
    clock.advance(SETTLE_SECONDS - 1)
    report = sync(restarted)
    # Reconciled (the reads happened) but not resent: the stalled POST could still land.
    assert report.sent == 0 and report.error is not None and IN_DOUBT in report.error
    assert report.retry_after is not None  # the supervisor tries again after its back-off
    assert posts(backend) == 1 and backend.calls[-2:] == ["active_timesheets", "timesheets"]
    clock.advance(1)
    report = sync(restarted)
    assert report.sent == 1 and report.remaining == 0
    assert posts(backend) == 2 and len(backend.sheets) == 1


def test_a_refused_connection_leaves_nothing_to_wait_for_after_a_restart(
    make_tracker: Callable[..., Tracker], backend: FakeBackend
) -> None:
    first = make_tracker()
    asyncio.run(first.refresh_catalog())
    first.start(10, 100, "refused")
    # Connection refused: the request never left, so nothing can commit late.
    backend.fail("start_timesheet", ServerUnreachableError())
    assert sync(first).error is not None
    assert first.outbox.open_ops()[0].attempt_at is None
    report = sync(make_tracker())
    assert report.sent == 1 and len(backend.sheets) == 1


def test_a_clock_set_back_far_during_the_settle_does_not_block_the_resend(
    make_tracker: Callable[..., Tracker], backend: FakeBackend, clock: FakeClock
) -> None:
    _crash_with_the_post_on_the_wire(make_tracker, backend)
    # The wall clock goes back a day: "now - attempt" stays negative for a day. Waiting for
    # it to turn positive would hold the entry (and every later one) that long.
    clock.set(clock.now() - timedelta(days=1))
    report = sync(make_tracker())
    assert report.error is None and report.sent == 1 and len(backend.sheets) == 1
    assert backend.calls[-3:] == ["active_timesheets", "timesheets", "start_timesheet"]


def test_a_clock_set_back_a_little_waits_less_than_twice_the_settle_period(
    make_tracker: Callable[..., Tracker], backend: FakeBackend, clock: FakeClock
) -> None:
    _crash_with_the_post_on_the_wire(make_tracker, backend)
    clock.set(clock.now() - timedelta(seconds=SETTLE_SECONDS / 2))
    restarted = make_tracker()
    report = sync(restarted)
    assert report.sent == 0 and report.error is not None and IN_DOUBT in report.error
    waited = 0.0
    while sync(restarted).sent == 0:
        assert waited < 2 * SETTLE_SECONDS, "blocked by a clock set back"
        clock.advance(10)
        waited += 10
    assert waited >= SETTLE_SECONDS  # still a full settle period after the attempt
    assert len(backend.sheets) == 1 and posts(backend) == 2


def _version_1_outbox_with_a_post_in_flight(path: Path, begin: datetime) -> None:
    """What kimai-tray with outbox schema 1 leaves behind when killed during a POST."""
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in _MIGRATIONS[1].split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.execute(
        "INSERT INTO entries(local_id, customer_id, customer_name, project_id, project_name,"
        " activity_id, activity_name, begin, description) VALUES (?,?,?,?,?,?,?,?,?)",
        ("e1", 1, "Acme", 10, "Website", 100, "Design", begin.isoformat(), "old file"),
    )
    conn.execute(
        "INSERT INTO ops(op_id, entry_id, kind, created_at, status, attempts) VALUES (?,?,?,?,?,?)",
        ("op-1", "e1", OpKind.START.value, begin.isoformat(), OpStatus.INFLIGHT.value, 1),
    )
    conn.execute("PRAGMA user_version=1")
    conn.close()


def test_a_post_in_flight_from_a_version_1_outbox_is_reconciled_then_resent_at_once(
    tmp_path: Path, make_tracker: Callable[..., Tracker], backend: FakeBackend, clock: FakeClock
) -> None:
    """Schema 1 did not store the attempt's time: unknown counts as older than the settle
    period, which is what the code before schema 2 did after a restart."""
    _version_1_outbox_with_a_post_in_flight(tmp_path / "outbox.sqlite", clock.now())
    tracker = make_tracker()
    assert tracker.outbox.open_ops()[0].attempt_at is None
    report = sync(tracker)
    assert report.sent == 1 and report.reconciled == 0 and report.error is None
    assert backend.calls == ["active_timesheets", "timesheets", "start_timesheet"]
    [ts] = backend.sheets.values()
    assert ts.description == "old file"


# -- over real HTTP: the server really commits the stalled POST after the client is gone -----


class _ArrivalLog(Faults):
    """The simulator's fault injector, noting each request as it arrives (before a stall)."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived: list[tuple[str, str]] = []
        self.post_arrived = threading.Event()

    def take(self, method: str, path: str) -> Fault | None:
        self.arrived.append((method, path))
        if method == "POST":
            self.post_arrived.set()
        return super().take(method, path)


async def _until(condition: Callable[[], bool], what: str, seconds: float = 30.0) -> None:
    """Poll state owned by the simulator's thread (not our own async work) until it holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():
        assert loop.time() < deadline, what
        await asyncio.sleep(0.02)


@pytest.mark.parametrize("crash", ["client_timed_out", "killed_on_the_wire"])
def test_a_new_process_during_a_stall_does_not_resend_and_adopts_the_late_commit(
    simulator_factory: SimulatorFactory, tmp_path: Path, crash: str
) -> None:
    """Process A's POST stalls on the server. A either times out (0.3 s) and reconciles in
    vain, or is killed while the POST is on the wire (its sync task is cancelled, so none of
    its code after "mark in flight" runs: the in-process stand-in for kill -9). Then A is
    gone: outbox closed, engine dropped. Process B opens the same outbox file at once."""
    sim = simulator_factory(seed="demo", rounding=False, timezone=TZ)
    state = sim.state
    arrivals = _ArrivalLog()
    state.faults = arrivals
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2))

    def client(read_timeout: float) -> Kimai2Client:
        return Kimai2Client(
            sim.url,
            Credentials(kind="token", secret=SIMULATOR_TOKEN),
            timezone=TZ,
            timeout=httpx.Timeout(5.0, read=read_timeout),
        )

    def tracker_on(backend: Kimai2Client) -> tuple[Tracker, Outbox, Catalog]:
        outbox = Outbox(tmp_path / "outbox.sqlite")
        catalog = Catalog(tmp_path / "catalog.sqlite", today=lambda: clock.now().date())
        return Tracker(outbox, catalog, clock, backend=backend), outbox, catalog

    def mine() -> list[object]:
        with state.lock:
            return [t for t in state.timesheets.values() if t.description == "late commit"]

    def posts_arrived() -> int:
        return sum(method == "POST" for method, _ in arrivals.arrived)

    async def process_a() -> None:
        backend = client(CLIENT_READ_TIMEOUT_S)
        tracker, outbox, catalog = tracker_on(backend)
        try:
            tracker.start(PROJECT, TASK, "late commit")
            state.faults.add("delay", method="POST", path="/api/timesheets", delay=STALL_S)
            if crash == "client_timed_out":
                report = await tracker.sync_once()
                assert report.sent == 0 and report.remaining == 1 and report.error is not None
            else:
                task = asyncio.ensure_future(tracker.sync_once())
                await _until(arrivals.post_arrived.is_set, "the POST never reached the server")
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            assert tracker.pending()[0].status is OpStatus.INFLIGHT
        finally:
            await backend.aclose()
            outbox.close()
            catalog.close()

    async def process_b() -> None:
        backend = client(5.0)
        tracker, outbox, catalog = tracker_on(backend)
        try:
            assert mine() == [], "the stall is over before B starts: the test proves nothing"
            report = await tracker.sync_once()
            # Without the stored attempt time B reconciles, finds nothing yet and resends.
            assert report.sent == 0 and report.error is not None and IN_DOUBT in report.error
            assert posts_arrived() == 1
            await _until(lambda: bool(mine()), "the stalled POST never committed")
            clock.advance(SETTLE_SECONDS)
            report = await tracker.sync_once()
            assert report.reconciled == 1 and report.sent == 0 and tracker.pending() == []
            [entry] = tracker.outbox.entries()
            assert entry.timesheet_id is not None
        finally:
            await backend.aclose()
            outbox.close()
            catalog.close()

    asyncio.run(process_a())
    asyncio.run(process_b())
    assert len(mine()) == 1 and posts_arrived() == 1
