"""Reminders fire at the configured times, not outside work hours, never twice for one event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kimai_tray.core.reminders import ReminderEngine, ReminderKind, ReminderSettings
from kimai_tray.core.state import NamedRef, Phase, RunningEntry, TrackerState

TZ = "Europe/Berlin"  # UTC+1 in November
IDLE = TrackerState()


def running_since(begin: datetime) -> TrackerState:
    entry = RunningEntry(NamedRef(1, "ACME"), NamedRef(2, "Website"), NamedRef(3, "Dev"), begin)
    return TrackerState(phase=Phase.RUNNING, running=entry)


def minutes(start: datetime, count: int) -> list[datetime]:
    return [start + timedelta(minutes=m) for m in range(count)]


def test_not_tracking_fires_once_after_grace_then_after_repeat_and_start_resets() -> None:
    engine = ReminderEngine(ReminderSettings(), TZ)
    monday_9 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
    fired = []
    for now in minutes(monday_9, 131):
        fired += [(now, r) for r in engine.check(now, IDLE)]
    assert [r.kind for _, r in fired] == [ReminderKind.NOT_TRACKING] * 3
    assert [now - monday_9 for now, _ in fired] == [
        timedelta(minutes=10),
        timedelta(minutes=70),
        timedelta(minutes=130),
    ]
    # A start resets the episode: the next nudge comes a full grace period after stopping.
    later = monday_9 + timedelta(minutes=200)
    assert engine.check(later, running_since(later)) == []
    after = [
        r for now in minutes(later + timedelta(minutes=1), 12) for r in engine.check(now, IDLE)
    ]
    assert len(after) == 1


def test_no_not_tracking_reminder_outside_work_hours_or_on_weekends() -> None:
    engine = ReminderEngine(ReminderSettings(), TZ)
    evening = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)  # 18:00 Berlin
    saturday = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    for start in (evening, saturday):
        assert [r for now in minutes(start, 180) for r in engine.check(now, IDLE)] == []


def test_long_running_and_end_of_day_fire_once_each() -> None:
    engine = ReminderEngine(ReminderSettings(long_running_after=timedelta(hours=8)), TZ)
    begin = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)  # 08:30 Berlin
    state = running_since(begin)
    fired = [(now, r) for now in minutes(begin, 10 * 60) for r in engine.check(now, state)]
    kinds = [(r.kind, now - begin) for now, r in fired]
    assert kinds == [
        (ReminderKind.LONG_RUNNING, timedelta(hours=8)),
        (ReminderKind.END_OF_DAY, timedelta(hours=8, minutes=30)),  # 17:00 Berlin
    ]
    assert "running for 8 hours" in fired[0][1].message


def test_snooze_delays_but_does_not_duplicate() -> None:
    engine = ReminderEngine(ReminderSettings(), TZ)
    start = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    first = [r for now in minutes(start, 11) for r in engine.check(now, IDLE)]
    assert len(first) == 1
    # Snooze during the next episode round: the round-2 nudge waits, then fires once.
    engine.snooze(start + timedelta(minutes=65))
    fired = [
        (now - start, r.kind)
        for now in minutes(start + timedelta(minutes=11), 80)
        for r in engine.check(now, IDLE)
    ]
    assert fired == [(timedelta(minutes=80), ReminderKind.NOT_TRACKING)]
