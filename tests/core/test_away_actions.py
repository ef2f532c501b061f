"""Every return-dialog choice, end to end: FakeClock + scripted idle source -> AwayDetector ->
apply_away_choice -> outbox -> real HTTP -> Kimai 2 simulator (rounding off), exact to the second.

"Server down" is the simulator dropping every connection (set_offline), not a mock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from helpers.fake_clock import FakeClock
from helpers.live_tracker import live_tracker, sync_until_done, token_client
from kimai_tray.api.kimai2 import Kimai2Client
from kimai_tray.core.away import AwayChoice, AwayDetector, AwayPeriod, AwayReason
from kimai_tray.core.away_actions import AwayTarget, apply_away_choice
from kimai_tray.core.errors import KimaiTrayError
from kimai_tray.core.tracker import Tracker
from kimai_tray.simulator.kimai2 import SimTimesheet, SimulatorState
from kimai_tray.simulator.server import SimulatorServer

TOKEN = "away-actions-token"
TZ = "Europe/Berlin"
PROJECT, TASK, MEETING = 1, 6, 1  # demo seed: project 1, its "Task 1", global "Meeting"
TICK = 30


class ScriptedIdle:
    """The idle source edge: reports whatever the test says the desktop would report."""

    name = "scripted"

    def __init__(self) -> None:
        self.value: float | None = 0.0

    def idle_seconds(self) -> float | None:
        return self.value


@pytest.fixture
def sim() -> Iterator[SimulatorServer]:
    state = SimulatorState(seed="demo", rounding=False, token=TOKEN, timezone=TZ)
    server = SimulatorServer(state, token=TOKEN)
    server.start()
    yield server
    server.stop()


Body = Callable[[Tracker, FakeClock, Kimai2Client], Awaitable[None]]


def _scenario(tmp_path: Path, url: str, body: Body) -> None:
    async def run() -> None:
        clock = FakeClock(datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3))
        client = token_client(url, TOKEN, TZ)
        async with live_tracker(tmp_path, client, clock) as tracker:
            await body(tracker, clock, client)

    asyncio.run(run())


def _go_away(clock: FakeClock, idle: ScriptedIdle, detector: AwayDetector) -> AwayPeriod:
    """10 min of work, 40 min without input, input 12 s before the next tick."""
    for _ in range(20):
        clock.advance(TICK)
        idle.value = 3.0
        assert detector.sample(clock.now(), idle.idle_seconds(), True) is None
    for k in range(1, 81):
        clock.advance(TICK)
        idle.value = 3.0 + TICK * k
        assert detector.sample(clock.now(), idle.idle_seconds(), True) is None
    clock.advance(TICK)
    idle.value = 12.0
    period = detector.sample(clock.now(), idle.idle_seconds(), True)
    assert period is not None and period.reason is AwayReason.IDLE
    return period


def _mine(state: SimulatorState, after: int) -> list[SimTimesheet]:
    return sorted((t for t in state.timesheets.values() if t.id > after), key=lambda t: t.id)


@pytest.mark.parametrize("offline", [False, True], ids=["online", "server-down"])
@pytest.mark.parametrize("choice", list(AwayChoice))
def test_each_choice_gives_exact_timesheets_on_the_simulator(
    sim: SimulatorServer, tmp_path: Path, choice: AwayChoice, offline: bool
) -> None:
    state = sim.state
    last_id = max(state.timesheets, default=0)

    tag = next(iter(state.tags.values())).name

    async def body(tracker: Tracker, clock: FakeClock, client: Kimai2Client) -> None:
        detector = AwayDetector(threshold=timedelta(minutes=5), tick=timedelta(seconds=TICK))
        idle = ScriptedIdle()
        start = clock.now()
        running = tracker.start(PROJECT, TASK, "deep work", (tag,))
        await sync_until_done(tracker)
        period = _go_away(clock, idle, detector)
        left = start + timedelta(seconds=20 * TICK - 3)
        back = clock.now() - timedelta(seconds=12)
        assert (period.began, period.returned) == (left, back)

        clock.advance(95)  # the user reads the dialog before answering
        answered = clock.now()
        if offline:
            state.set_offline(True)
        target = AwayTarget(PROJECT, MEETING, "lunch") if choice is AwayChoice.BOOK_AS else None
        assert apply_away_choice(tracker, period, choice, target, entry=running)
        if offline:
            report = await tracker.sync_once()
            if choice is AwayChoice.KEEP:
                assert report.remaining == 0  # nothing to tell the server
            else:
                assert report.error is not None and report.remaining > 0
            assert len(_mine(state, last_id)) == 1 and _mine(state, last_id)[0].end is None
            state.set_offline(False)
        await sync_until_done(tracker)

        got = [
            (t.begin, t.end, t.project, t.activity, t.description) for t in _mine(state, last_id)
        ]
        original = (PROJECT, TASK, "deep work")
        expected = {
            AwayChoice.KEEP: [(start, None, *original)],
            AwayChoice.DISCARD: [(start, left, *original)],
            AwayChoice.DISCARD_AND_CONTINUE: [(start, left, *original), (back, None, *original)],
            AwayChoice.BOOK_AS: [
                (start, left, *original),
                (left, back, PROJECT, MEETING, "lunch"),
                (back, None, *original),
            ],
            AwayChoice.STOP: [(start, answered, *original)],
        }[choice]
        assert got == expected
        assert all(t.tags == [tag] for t in _mine(state, last_id) if t.activity == TASK)
        # Discard ends the entry with PATCH end=<left>, never with /stop (the server's now).
        assert not [r for r in state.requests if r.path.endswith("/stop")]
        # The local view agrees with the server.
        local = tracker.state.running
        server_running = [t for t in _mine(state, last_id) if t.end is None]
        assert (local.begin if local else None) == (
            server_running[0].begin if server_running else None
        )

    _scenario(tmp_path, sim.url, body)


def test_a_sleep_booked_offline_before_the_start_was_ever_sent(
    sim: SimulatorServer, tmp_path: Path
) -> None:
    """Started, then slept, all with the server down: the never-sent start is dropped."""
    state = sim.state
    last_id = max(state.timesheets, default=0)

    async def body(tracker: Tracker, clock: FakeClock, client: Kimai2Client) -> None:
        state.set_offline(True)
        detector = AwayDetector(threshold=timedelta(minutes=5), tick=timedelta(seconds=TICK))
        start = clock.now()
        running = tracker.start(PROJECT, TASK, "before the lid closed")
        assert detector.sample(clock.now(), 0.0, True) is None
        clock.advance(2 * 3600)  # suspended: no tick for two hours
        period = detector.sample(clock.now(), 0.0, True)
        assert period == AwayPeriod(start, clock.now(), AwayReason.SLEEP)
        target = AwayTarget(PROJECT, MEETING)
        assert apply_away_choice(tracker, period, AwayChoice.BOOK_AS, target, entry=running)
        assert (await tracker.sync_once()).remaining > 0
        state.set_offline(False)
        await sync_until_done(tracker)
        got = [(t.begin, t.end, t.activity) for t in _mine(state, last_id)]
        # Away since it began: the original is dropped (no zero-length record, never sent),
        # the sleep is booked, and the original runs again from the wake-up.
        assert got == [
            (start, start + timedelta(hours=2), MEETING),
            (start + timedelta(hours=2), None, TASK),
        ]

    _scenario(tmp_path, sim.url, body)


def test_an_answer_for_an_entry_that_no_longer_runs_changes_nothing(
    sim: SimulatorServer, tmp_path: Path
) -> None:
    async def body(tracker: Tracker, clock: FakeClock, client: Kimai2Client) -> None:
        first = tracker.start(PROJECT, TASK, "first")
        period = AwayPeriod(clock.now(), clock.now() + timedelta(minutes=30), AwayReason.LOCK)
        clock.advance(3600)
        tracker.start(PROJECT, MEETING, "second")  # the user moved on before answering
        before = tracker.pending()
        assert not apply_away_choice(tracker, period, AwayChoice.DISCARD, entry=first)
        assert tracker.pending() == before
        tracker.stop()
        assert not apply_away_choice(tracker, period, AwayChoice.STOP)
        with pytest.raises(KimaiTrayError):
            apply_away_choice(tracker, period, AwayChoice.BOOK_AS, None)

    _scenario(tmp_path, sim.url, body)


def test_stop_at_is_clamped_between_begin_and_now_and_finished_entries_are_checked(
    tracker: Tracker, clock: FakeClock
) -> None:
    """Tracker additions for away time (FakeBackend from tests/core/conftest.py)."""
    begin = clock.now()
    tracker.start(10, 100)
    clock.advance(600)
    tracker.stop(at=begin + timedelta(hours=5))  # never in the future: the click time
    ended = tracker.outbox.entries()[0]
    assert (ended.begin, ended.end) == (begin, clock.now())
    tracker.start(10, 100)
    clock.advance(60)
    tracker.stop(at=begin)  # never before its own begin
    again = tracker.outbox.entries()[0]
    assert again.end == again.begin
    with pytest.raises(KimaiTrayError):
        tracker.add_finished_entry(10, 101, clock.now(), clock.now() - timedelta(seconds=1))
    made = tracker.add_finished_entry(10, 101, begin, begin + timedelta(minutes=3), "call")
    assert made.end == begin + timedelta(minutes=3) and tracker.state.running is None
    asyncio.run(tracker.sync_once())
    assert tracker.pending() == []
