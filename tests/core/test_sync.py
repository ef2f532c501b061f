"""Sync semantics against the in-memory FakeBackend (real SQLite outbox, FakeClock)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from datetime import timedelta

import pytest

from helpers.fake_backend import FakeBackend
from helpers.fake_clock import FakeClock
from kimai_tray.core.errors import (
    AmbiguousRequestError,
    AuthenticationError,
    RequestTimeoutError,
    ServerError,
    ServerUnreachableError,
    ValidationError,
)
from kimai_tray.core.outbox import OpKind, OpStatus
from kimai_tray.core.sync import SETTLE_SECONDS, Backoff
from kimai_tray.core.tracker import Tracker


def sync(tracker: Tracker):  # type: ignore[no-untyped-def]
    return asyncio.run(tracker.sync_once())


def writes(backend: FakeBackend) -> list[str]:
    reads = {"active_timesheets", "timesheets", "customers", "projects", "activities", "tags"}
    reads.add("timesheet_config")  # read with the catalog (Tracker.refresh_catalog)
    return [c for c in backend.calls if c not in reads]


def test_offline_start_then_stop_becomes_one_post_with_the_clicked_times(
    tracker: Tracker, backend: FakeBackend, clock: FakeClock
) -> None:
    tracker.set_backend(None)
    begin = clock.now()
    tracker.start(10, 100, "mockups", ("urgent",))
    clock.advance(3725)
    tracker.stop()
    assert tracker.state.pending == 2
    tracker.set_backend(backend)
    report = sync(tracker)
    assert report.sent == 1 and report.remaining == 0
    assert writes(backend) == ["create_timesheet"]
    [ts] = backend.sheets.values()
    assert (ts.begin, ts.end) == (begin, begin + timedelta(seconds=3725))
    assert (ts.project_id, ts.activity_id, ts.description, ts.tags) == (
        10,
        100,
        "mockups",
        ("urgent",),
    )
    assert tracker.state.pending == 0


def test_online_start_posts_a_running_record_and_stop_patches_the_clicked_end(
    tracker: Tracker, backend: FakeBackend, clock: FakeClock
) -> None:
    tracker.start(10, 100)
    sync(tracker)
    [ts] = backend.sheets.values()
    assert ts.end is None and ts.begin == clock.now()
    assert tracker.state.running is not None and tracker.state.running.timesheet_id == ts.id
    clock.advance(600)
    stopped_at = clock.now()
    tracker.stop()
    clock.advance(300)  # the sync happens later: the clicked time must still win
    sync(tracker)
    assert writes(backend) == ["start_timesheet", "stop_timesheet_at"]
    assert backend.sheets[ts.id].end == stopped_at


def test_starting_while_running_ends_the_previous_one_first_at_the_same_instant(
    tracker: Tracker, backend: FakeBackend, clock: FakeClock
) -> None:
    tracker.start(10, 100)
    sync(tracker)
    tracker.set_backend(None)
    clock.advance(900)
    switch = clock.now()
    tracker.start(11, 102, "tests")
    clock.advance(1800)
    tracker.set_backend(backend)
    sync(tracker)
    assert writes(backend) == ["start_timesheet", "stop_timesheet_at", "start_timesheet"]
    first, second = sorted(backend.sheets.values(), key=lambda t: t.id)
    assert first.end == switch and second.begin == switch and second.end is None


def test_edits_fold_into_an_unsent_post_and_patch_a_sent_record(
    tracker: Tracker, backend: FakeBackend, clock: FakeClock
) -> None:
    tracker.set_backend(None)
    tracker.start(10, 100, "draft")
    tracker.edit_running(description="final", tags=("billable",))
    tracker.set_backend(backend)
    sync(tracker)
    assert writes(backend) == ["start_timesheet"]
    [ts] = backend.sheets.values()
    assert (ts.description, ts.tags) == ("final", ("billable",))
    tracker.edit_running(description="final, reviewed")
    sync(tracker)
    assert writes(backend)[-1] == "update_timesheet"
    assert backend.sheets[ts.id].description == "final, reviewed"
    assert backend.sheets[ts.id].tags == ("billable",)


@pytest.mark.parametrize("method", ["start_timesheet", "create_timesheet"])
@pytest.mark.parametrize("error", [AmbiguousRequestError, RequestTimeoutError])
def test_a_post_lost_after_commit_is_reconciled_not_duplicated(
    tracker: Tracker,
    backend: FakeBackend,
    clock: FakeClock,
    method: str,
    error: type[AmbiguousRequestError],
) -> None:
    backend.rounding = True  # Kimai floors begin: the match must tolerate it
    clock.advance(37)
    tracker.start(10, 100, "x")
    if method == "create_timesheet":
        clock.advance(60)
        tracker.stop()
    backend.fail(method, error(), after=True)
    report = sync(tracker)
    assert report.reconciled == 1 and report.remaining == 0
    assert len(backend.sheets) == 1
    assert writes(backend).count(method) == 1
    [ts] = backend.sheets.values()
    assert tracker.outbox.entries()[0].timesheet_id == ts.id


@pytest.mark.parametrize(
    ("method", "action"),
    [
        ("stop_timesheet_at", lambda t: t.stop()),
        ("update_timesheet", lambda t: t.edit_running(description="new")),
        ("delete_timesheet", lambda t: t.discard_running()),
    ],
)
def test_idempotent_requests_lost_after_commit_leave_one_correct_record(
    tracker: Tracker,
    backend: FakeBackend,
    clock: FakeClock,
    method: str,
    action: Callable[[Tracker], object],
) -> None:
    tracker.start(10, 100, "old")
    sync(tracker)
    clock.advance(120)
    action(tracker)
    backend.fail(method, AmbiguousRequestError(), after=True)
    report = sync(tracker)
    assert report.remaining == 0 and report.error is None
    if method == "delete_timesheet":
        assert backend.sheets == {}
    else:
        [ts] = backend.sheets.values()
        assert ts.end == (clock.now() if method == "stop_timesheet_at" else None)
        assert ts.description == ("new" if method == "update_timesheet" else "old")


def test_a_restart_with_a_post_in_flight_reconciles_before_resending(
    make_tracker: Callable[..., Tracker], backend: FakeBackend, clock: FakeClock
) -> None:
    first = make_tracker()
    asyncio.run(first.refresh_catalog())
    first.start(10, 100, "crash")
    # The POST lands, then the connection breaks and the reconciliation read fails too:
    # the op stays in flight, as after a kill -9 between send and commit.
    backend.fail("start_timesheet", AmbiguousRequestError(), after=True)
    backend.fail("active_timesheets", ServerUnreachableError())
    report = sync(first)
    assert report.error is not None and len(backend.sheets) == 1
    assert first.pending()[0].status is OpStatus.INFLIGHT
    restarted = make_tracker()
    report = sync(restarted)
    assert report.reconciled == 1
    assert len(backend.sheets) == 1 and writes(backend).count("start_timesheet") == 1


def test_a_lost_post_that_never_arrived_is_sent_again(
    tracker: Tracker, backend: FakeBackend, clock: FakeClock
) -> None:
    tracker.start(10, 100)
    backend.fail("start_timesheet", RequestTimeoutError(), after=False)
    # Not resent in the same round: a stalled request might still land a moment later.
    first = sync(tracker)
    assert first.error is not None and first.retry_after is not None and backend.sheets == {}
    # Nor within the settle time: the stalled request may still commit.
    waiting = sync(tracker)
    assert waiting.sent == 0 and writes(backend).count("start_timesheet") == 1
    clock.advance(SETTLE_SECONDS)
    report = sync(tracker)
    assert report.reconciled == 0 and report.sent == 1 and report.remaining == 0
    assert len(backend.sheets) == 1 and writes(backend).count("start_timesheet") == 2


def test_a_post_in_doubt_whose_look_up_failed_still_waits_the_settle_period(
    tracker: Tracker, backend: FakeBackend, clock: FakeClock
) -> None:
    tracker.start(10, 100)
    backend.fail("start_timesheet", RequestTimeoutError(), after=False)
    backend.fail("active_timesheets", ServerUnreachableError())  # the look-up after it fails
    assert sync(tracker).error is not None
    # The look-up works now and finds nothing, but the stalled POST may still commit.
    waiting = sync(tracker)
    assert waiting.sent == 0 and writes(backend).count("start_timesheet") == 1
    clock.advance(SETTLE_SECONDS)
    assert sync(tracker).sent == 1 and len(backend.sheets) == 1


def test_reconciliation_does_not_adopt_a_record_another_entry_owns(
    tracker: Tracker, backend: FakeBackend, clock: FakeClock
) -> None:
    tracker.start(10, 100, "same")
    clock.advance(10)
    tracker.stop()
    sync(tracker)
    clock.advance(5)  # a second entry with identical fields within the same minute
    tracker.start(10, 100, "same")
    backend.fail("start_timesheet", ServerUnreachableError())
    sync(tracker)
    # Now pretend its POST was in flight when we crashed: it must not grab record 1.
    op = tracker.pending()[0]
    tracker.outbox.mark_inflight(
        next(o.seq for o in tracker.outbox.open_ops() if o.op_id == op.op_id), clock.now()
    )
    clock.advance(SETTLE_SECONDS)  # that attempt is past its settle period: resend it
    sync(tracker)
    assert len(backend.sheets) == 2


def test_unreachable_server_backs_off_with_jitter_and_keeps_everything(
    tracker: Tracker, backend: FakeBackend
) -> None:
    tracker.start(10, 100)
    backend.down = True
    delays = [sync(tracker).retry_after for _ in range(4)]
    assert all(d is not None for d in delays)
    assert delays[0] < delays[3] <= 300  # type: ignore[operator]
    assert tracker.state.online is False and tracker.state.pending == 1
    assert tracker.state.last_error == ServerUnreachableError().user_message
    backend.down = False
    report = sync(tracker)
    assert report.sent == 1 and tracker.state.online and tracker.state.last_error is None


def test_server_errors_are_retried_and_auth_errors_fail_nothing(
    tracker: Tracker, backend: FakeBackend
) -> None:
    tracker.start(10, 100)
    backend.fail("start_timesheet", ServerError(status=500))
    assert sync(tracker).retry_after is not None
    backend.fail("start_timesheet", AuthenticationError(status=401))
    report = sync(tracker)
    assert report.retry_after is None and report.failed == 0
    assert tracker.pending()[0].status is not OpStatus.FAILED
    assert sync(tracker).sent == 1


def test_a_rejected_entry_is_kept_with_kimais_reason_and_blocks_nothing_else(
    tracker: Tracker, backend: FakeBackend, clock: FakeClock
) -> None:
    tracker.set_backend(None)
    tracker.start(10, 100, "doomed")
    clock.advance(60)
    tracker.start(11, 102, "fine")  # stops the first one, starts an independent one
    tracker.set_backend(backend)
    del backend.activities_[100]  # the activity was deleted on the server meanwhile
    report = sync(tracker)
    assert report.failed == 1
    [failed] = [p for p in tracker.pending() if p.status is OpStatus.FAILED]
    assert failed.kind is OpKind.START and "activity" in (failed.last_error or "")
    assert failed.entry.description == "doomed"
    # Its stop waits behind it; the independent entry is on the server.
    assert [t.description for t in backend.sheets.values()] == ["fine"]
    assert tracker.state.failed == 1
    assert sync(tracker).failed == 0  # not retried forever
    tracker.discard_failed(failed.op_id)
    assert tracker.pending() == [] and tracker.state.failed == 0


def test_retry_failed_sends_the_op_again(tracker: Tracker, backend: FakeBackend) -> None:
    tracker.start(10, 100)
    backend.fail("start_timesheet", ValidationError(form_errors=["This period is locked."]))
    sync(tracker)
    [failed] = tracker.pending()
    assert failed.last_error == "Kimai rejected the entry (This period is locked)."
    tracker.retry_failed(failed.op_id)
    assert sync(tracker).sent == 1 and tracker.pending() == []


def test_discarding_an_unsent_entry_sends_nothing(tracker: Tracker, backend: FakeBackend) -> None:
    tracker.set_backend(None)
    tracker.start(10, 100)
    tracker.discard_running()
    assert tracker.state.running is None and tracker.state.pending == 0
    tracker.set_backend(backend)
    sync(tracker)
    assert writes(backend) == []


def test_a_timer_started_in_the_web_ui_appears_and_one_stopped_there_stays_stopped(
    tracker: Tracker, backend: FakeBackend, clock: FakeClock
) -> None:
    web = backend.web_start(11, 102, "from the browser")
    asyncio.run(tracker.refresh_remote())
    running = tracker.state.running
    assert running is not None and running.timesheet_id == web.id
    assert (running.project.name, running.activity.name) == ("Mobile", "Testing")
    clock.advance(60)
    backend.web_stop(web.id)
    asyncio.run(tracker.refresh_remote())
    assert tracker.state.running is None
    asyncio.run(tracker.refresh_remote())
    sync(tracker)
    assert tracker.state.running is None and backend.sheets[web.id].end is not None
    assert writes(backend) == []


def test_local_pending_edits_win_over_the_server_copy(
    tracker: Tracker, backend: FakeBackend
) -> None:
    tracker.start(10, 100, "mine")
    sync(tracker)
    tracker.set_backend(None)
    tracker.edit_running(description="mine, edited offline")
    tracker.set_backend(backend)
    asyncio.run(tracker.refresh_remote())  # server still says "mine"
    assert tracker.state.running is not None
    assert tracker.state.running.description == "mine, edited offline"
    sync(tracker)
    [ts] = backend.sheets.values()
    assert ts.description == "mine, edited offline"


def test_discarding_while_the_post_is_in_doubt_deletes_what_landed(
    tracker: Tracker, backend: FakeBackend
) -> None:
    tracker.start(10, 100, "oops")
    backend.fail("start_timesheet", AmbiguousRequestError(), after=True)
    backend.fail("active_timesheets", ServerUnreachableError())
    sync(tracker)  # landed, but we could not check
    tracker.discard_running()
    assert tracker.state.running is None
    sync(tracker)
    assert backend.sheets == {} and tracker.state.pending == 0
    assert writes(backend).count("start_timesheet") == 1


def test_discarding_while_the_post_is_in_doubt_and_did_not_land_sends_nothing(
    tracker: Tracker, backend: FakeBackend, clock: FakeClock
) -> None:
    tracker.start(10, 100, "oops")
    backend.fail("start_timesheet", RequestTimeoutError(), after=False)
    sync(tracker)
    tracker.discard_running()
    clock.advance(SETTLE_SECONDS)
    sync(tracker)
    assert backend.sheets == {} and tracker.state.pending == 0
    assert writes(backend) == ["start_timesheet"]


def test_backoff_stays_capped_after_days_of_failures() -> None:
    backoff = Backoff(random.Random(3), base=2.0, cap=300.0)
    delays = [backoff.next_delay() for _ in range(5000)]  # ~17 days offline at the cap
    assert delays[0] <= 2.0
    assert all(0 < d <= 300.0 for d in delays)
    assert min(delays[-100:]) >= 150.0  # at the cap, with jitter in its upper half
