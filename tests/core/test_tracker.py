"""The Tracker facade: synchronous user actions, published state, the supervisor loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from helpers.fake_backend import FakeBackend
from helpers.fake_clock import FakeClock
from kimai_tray.core.state import Phase, TrackerState
from kimai_tray.core.tracker import POLL_ACTIVE_S, Tracker


def test_start_publishes_running_state_with_names_before_any_network(
    tracker: Tracker, backend: FakeBackend, clock: FakeClock
) -> None:
    seen: list[TrackerState] = []
    unsubscribe = tracker.subscribe(seen.append)
    calls_before = list(backend.calls)
    running = tracker.start(10, 100, "mockups", ("urgent",))
    assert backend.calls == calls_before  # nothing sent yet: the network part is sync_once
    assert (running.customer.name, running.project.name, running.activity.name) == (
        "Acme",
        "Website",
        "Design",
    )
    state = tracker.state
    assert state.phase is Phase.RUNNING and state.running == running and state.pending == 1
    assert seen[-1] == state
    unsubscribe()
    tracker.stop()
    assert seen[-1] is state  # no more callbacks after unsubscribe
    assert tracker.state.phase is Phase.IDLE and tracker.state.pending == 2


def test_toggle_and_start_last_repeat_the_last_entry(tracker: Tracker, clock: FakeClock) -> None:
    assert tracker.toggle() is None and tracker.state.phase is Phase.IDLE  # nothing ever tracked
    tracker.start(11, 102, "tests", ("billable",))
    clock.advance(60)
    assert tracker.toggle() is None and not tracker.state.is_running
    clock.advance(60)
    again = tracker.toggle()
    assert again is not None and again.description == "tests" and again.tags == ("billable",)
    assert again.begin == clock.now()


def test_recent_is_distinct_by_project_activity_description_and_tags(
    tracker: Tracker, clock: FakeClock
) -> None:
    for project, activity, text in [(10, 100, "a"), (10, 100, "a"), (10, 100, "b"), (11, 102, "a")]:
        tracker.start(project, activity, text)
        clock.advance(60)
    tracker.stop()
    recent = tracker.recent(limit=5)
    assert [(r.project.id, r.description) for r in recent] == [(11, "a"), (10, "b"), (10, "a")]
    assert len(tracker.recent(limit=2)) == 2


def test_state_survives_a_restart(make_tracker: Callable[..., Tracker], clock: FakeClock) -> None:
    first = make_tracker(online=False)
    first.start(10, 100, "keep me")
    again = make_tracker(online=False)
    assert again.state.running is not None
    assert again.state.running.description == "keep me" and again.state.pending == 1


def test_run_syncs_on_wake_and_polls_the_active_timer(
    tracker: Tracker, backend: FakeBackend, clock: FakeClock
) -> None:
    async def scenario() -> None:
        task = asyncio.create_task(tracker.run())
        for _ in range(20):
            await asyncio.sleep(0)
        tracker.start(10, 100, "via run")
        for _ in range(50):
            await asyncio.sleep(0)
            if tracker.state.pending == 0:
                break
        assert tracker.state.pending == 0 and len(backend.sheets) == 1
        web = backend.web_start(11, 102, "elsewhere")
        polls = backend.calls.count("active_timesheets")
        for _ in range(200):
            await asyncio.sleep(0)
            if backend.calls.count("active_timesheets") > polls:
                break
        for _ in range(20):
            await asyncio.sleep(0)
        assert tracker.state.running is not None
        assert tracker.state.running.timesheet_id == web.id
        assert any(abs(s - POLL_ACTIVE_S) < 1 for s in clock.sleeps)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(scenario())


def test_run_backs_off_while_the_server_is_down(
    tracker: Tracker, backend: FakeBackend, clock: FakeClock
) -> None:
    backend.down = True
    tracker.start(10, 100)

    async def scenario() -> None:
        task = asyncio.create_task(tracker.run())
        for _ in range(300):
            await asyncio.sleep(0)
            if backend.calls.count("start_timesheet") >= 4:
                break
        backend.down = False
        for _ in range(300):
            await asyncio.sleep(0)
            if tracker.state.pending == 0:
                break
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(scenario())
    assert tracker.state.pending == 0 and len(backend.sheets) == 1
    retry_sleeps = [s for s in clock.sleeps if s < POLL_ACTIVE_S - 1]
    assert len(retry_sleeps) >= 3 and retry_sleeps[2] > retry_sleeps[0]
