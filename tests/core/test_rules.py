"""Kimai's rules in the client: rounding shown, lockdown warnings, what a tracking mode forbids."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from kimai_tray.core.models import TimesheetConfig, TrackingMode
from kimai_tray.core.rules import Lockdown, Rounding, ServerRules, entry_notes

BERLIN = ZoneInfo("Europe/Berlin")


def test_default_rounding_floors_begin_and_ceils_end_to_the_minute() -> None:
    begin = datetime(2026, 3, 2, 8, 59, 41, 500, tzinfo=UTC)
    end = datetime(2026, 3, 2, 10, 0, 1, tzinfo=UTC)
    assert Rounding().stored(begin, end) == (
        datetime(2026, 3, 2, 8, 59, tzinfo=UTC),
        datetime(2026, 3, 2, 10, 1, tzinfo=UTC),
    )
    # An end already on the minute stays; a running entry has no end.
    exact = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    assert Rounding().end(exact) == exact
    assert Rounding().stored(begin, None)[1] is None


def test_rounding_can_be_switched_off_or_coarser() -> None:
    begin = datetime(2026, 3, 2, 8, 7, 30, tzinfo=UTC)
    assert Rounding(enabled=False).begin(begin) == begin
    assert Rounding(minutes=15).begin(begin) == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    assert Rounding(minutes=15).end(begin) == datetime(2026, 3, 2, 8, 15, tzinfo=UTC)


def test_monthly_lockdown_locks_last_month_after_the_grace_days() -> None:
    rule = Lockdown(grace_days=5)
    last_month = datetime(2026, 2, 27, 9, 0, tzinfo=BERLIN)
    within_grace = datetime(2026, 3, 3, 12, 0, tzinfo=BERLIN)
    after_grace = datetime(2026, 3, 6, 0, 0, tzinfo=BERLIN)
    assert not rule.is_locked(last_month, within_grace, BERLIN)
    assert rule.is_locked(last_month, after_grace, BERLIN)
    assert not rule.is_locked(datetime(2026, 3, 1, 0, 0, tzinfo=BERLIN), after_grace, BERLIN)
    # Two months back is locked even inside the grace period.
    assert rule.is_locked(datetime(2026, 1, 31, 9, 0, tzinfo=BERLIN), within_grace, BERLIN)


def test_lockdown_is_off_by_default() -> None:
    now = datetime(2026, 3, 20, tzinfo=UTC)
    assert Lockdown().locked_before(now, UTC) is None
    assert not Lockdown().is_locked(datetime(2020, 1, 1, tzinfo=UTC), now, UTC)


def test_punch_and_fixed_begin_modes_forbid_time_editing() -> None:
    assert ServerRules().may_edit_times
    for mode in (TrackingMode.PUNCH, TrackingMode.DURATION_FIXED_BEGIN):
        rules = ServerRules(TimesheetConfig(tracking_mode=mode))
        assert not rules.may_edit_times
        assert not rules.may_start_in_past


def test_future_times_refused_only_when_the_server_says_so() -> None:
    now = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    later = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert not ServerRules().refuses_future(later, now)
    assert ServerRules(TimesheetConfig(allow_future_times=False)).refuses_future(later, now)


def test_entry_notes_show_rounded_times_and_warn_about_locked_periods() -> None:
    begin = datetime(2026, 2, 27, 8, 59, 41, tzinfo=BERLIN)
    end = datetime(2026, 2, 27, 10, 0, 1, tzinfo=BERLIN)
    now = datetime(2026, 3, 10, 9, 0, tzinfo=BERLIN)
    notes = entry_notes(
        begin, end, rounding=Rounding(), lockdown=Lockdown(grace_days=5), now=now, tz=BERLIN
    )
    assert notes[0] == "Kimai will store 08:59–10:01 (rounded)"
    assert notes[1].startswith("in a locked period")
    assert (
        entry_notes(begin, None, rounding=Rounding(), lockdown=Lockdown(), now=now, tz=BERLIN) == []
    )
