"""Reminders that help instead of nag: each fires once per event, only when it makes sense.

- not tracking during work hours: once, then again every `repeat` minutes; a start resets it;
- a timer running longer than N hours: once per entry;
- end of the work day with a timer still running: once per day.

Pure logic: `ReminderEngine.check(now, state)` is called on the app's minute tick with an
injected clock, and returns the reminders due now (the UI shows them as tray notifications).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from kimai_tray.core.state import TrackerState


class ReminderKind(StrEnum):
    NOT_TRACKING = "not_tracking"
    LONG_RUNNING = "long_running"
    END_OF_DAY = "end_of_day"


class ReminderAction(StrEnum):
    START_LAST = "start_last"
    STOP = "stop"
    SNOOZE = "snooze"


@dataclass(frozen=True, slots=True)
class ReminderSettings:
    not_tracking: bool = True
    long_running: bool = True
    end_of_day: bool = True
    work_days: frozenset[int] = frozenset({0, 1, 2, 3, 4})  # Monday = 0
    work_start: time = time(9, 0)
    work_end: time = time(17, 0)
    grace: timedelta = timedelta(minutes=10)  # not tracking this long before the first nudge
    repeat: timedelta = timedelta(minutes=60)
    long_running_after: timedelta = timedelta(hours=8)
    snooze: timedelta = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class Reminder:
    kind: ReminderKind
    key: str  # identifies the event: never two reminders with one key
    message: str
    actions: tuple[ReminderAction, ...]


@dataclass
class ReminderEngine:
    settings: ReminderSettings
    timezone: str  # the user's Kimai timezone: work hours are local to it
    _fired: set[str] = field(default_factory=set)
    _idle_since: datetime | None = None
    _snoozed_until: datetime | None = None

    def snooze(self, now: datetime) -> None:
        self._snoozed_until = now + self.settings.snooze

    def check(self, now: datetime, state: TrackerState) -> list[Reminder]:
        local = now.astimezone(ZoneInfo(self.timezone))
        due: list[Reminder] = []
        if state.is_running and state.running is not None:
            self._idle_since = None
            due += self._running_reminders(now, local, state)
        else:
            due += self._not_tracking(now, local)
        if self._snoozed_until is not None and now < self._snoozed_until:
            # Keep the keys so a snoozed event still fires only once, after the snooze.
            return []
        fresh = [r for r in due if r.key not in self._fired]
        self._fired.update(r.key for r in fresh)
        return fresh

    def _in_work_hours(self, local: datetime) -> bool:
        s = self.settings
        return local.weekday() in s.work_days and s.work_start <= local.time() < s.work_end

    def _not_tracking(self, now: datetime, local: datetime) -> list[Reminder]:
        s = self.settings
        if not s.not_tracking or not self._in_work_hours(local):
            self._idle_since = None
            return []
        if self._idle_since is None:
            self._idle_since = now
        waited = now - self._idle_since
        if waited < s.grace:
            return []
        round_ = int((waited - s.grace) / s.repeat)
        key = f"not_tracking:{self._idle_since.isoformat()}:{round_}"
        return [
            Reminder(
                ReminderKind.NOT_TRACKING,
                key,
                "You are not tracking time right now.",
                (ReminderAction.START_LAST, ReminderAction.SNOOZE),
            )
        ]

    def _running_reminders(
        self, now: datetime, local: datetime, state: TrackerState
    ) -> list[Reminder]:
        s = self.settings
        running = state.running
        assert running is not None
        due: list[Reminder] = []
        elapsed = now - running.begin
        if s.long_running and elapsed >= s.long_running_after:
            hours = int(elapsed.total_seconds() // 3600)
            due.append(
                Reminder(
                    ReminderKind.LONG_RUNNING,
                    f"long_running:{running.begin.isoformat()}",
                    f"{running.project.name} has been running for {hours} hours: still working?",
                    (ReminderAction.STOP, ReminderAction.SNOOZE),
                )
            )
        if (
            s.end_of_day
            and local.weekday() in s.work_days
            and local.time() >= s.work_end
            and running.begin < now
        ):
            due.append(
                Reminder(
                    ReminderKind.END_OF_DAY,
                    f"end_of_day:{local.date().isoformat()}",
                    "Your work day is over and the timer is still running.",
                    (ReminderAction.STOP, ReminderAction.SNOOZE),
                )
            )
        return due
