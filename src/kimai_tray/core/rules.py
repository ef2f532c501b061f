"""Kimai's own timesheet rules, applied in the client before the server refuses.

Kimai's API exposes only part of its rules (`/api/config/timesheet`: tracking mode, active-entry
hard limit, future times). Rounding and lockdown are not exposed (kimai-api-notes §4.1), so they
are per-profile settings here, defaulting to what a stock Kimai does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from kimai_tray.core.models import TimesheetConfig, TrackingMode

_MINUTE = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Rounding:
    """How Kimai rounds stored times; the stock default floors begin and ceils end to a minute."""

    enabled: bool = True
    minutes: int = 1

    def begin(self, value: datetime) -> datetime:
        return _floor(value, self.minutes) if self.enabled else value

    def end(self, value: datetime) -> datetime:
        floored = _floor(value, self.minutes) if self.enabled else value
        return floored if floored == value else floored + timedelta(minutes=self.minutes)

    def stored(self, begin: datetime, end: datetime | None) -> tuple[datetime, datetime | None]:
        """The (begin, end) Kimai will store for what the client sends."""
        return self.begin(begin), (self.end(end) if end is not None else None)


def _floor(value: datetime, minutes: int) -> datetime:
    # Rounding works on wall-clock minutes; whole-minute steps are the same in every zone
    # with whole-minute offsets, so UTC arithmetic is exact.
    step = max(minutes, 1) * 60
    epoch = int(value.timestamp())
    return value - timedelta(seconds=epoch % step, microseconds=value.microsecond)


@dataclass(frozen=True, slots=True)
class Lockdown:
    """Kimai's usual monthly lockdown: last month locks `grace_days` into the new month.

    `grace_days < 0` means no lockdown (the default: Kimai ships with it off).
    """

    grace_days: int = -1

    @property
    def enabled(self) -> bool:
        return self.grace_days >= 0

    def locked_before(self, now: datetime, tz: tzinfo) -> datetime | None:
        """Records beginning before this instant are locked (None: nothing is)."""
        if not self.enabled:
            return None
        local = now.astimezone(tz)
        month_start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        if local >= month_start + timedelta(days=self.grace_days):
            return month_start
        # Still inside the grace period: only the month before last is locked.
        previous = (month_start - timedelta(days=1)).replace(day=1)
        return previous

    def is_locked(self, begin: datetime, now: datetime, tz: tzinfo) -> bool:
        limit = self.locked_before(now, tz)
        return limit is not None and begin < limit


@dataclass(frozen=True, slots=True)
class ServerRules:
    """What the server's tracking mode allows a plain user to do."""

    config: TimesheetConfig = field(default_factory=TimesheetConfig)

    @property
    def may_edit_times(self) -> bool:
        """Begin/end editing (and "start at a past time"): only in the default mode."""
        return self.config.tracking_mode is TrackingMode.DEFAULT

    @property
    def may_start_in_past(self) -> bool:
        return self.may_edit_times

    @property
    def max_running(self) -> int:
        # 0 means "no limit" in Kimai; the tray only ever runs one entry anyway.
        return self.config.active_entries_hard_limit

    def refuses_future(self, begin: datetime, now: datetime) -> bool:
        return not self.config.allow_future_times and begin > now + _MINUTE


def entry_notes(
    begin: datetime,
    end: datetime | None,
    *,
    rounding: Rounding,
    lockdown: Lockdown,
    now: datetime,
    tz: tzinfo,
) -> list[str]:
    """What to tell the user about a queued entry before Kimai sees it."""
    notes: list[str] = []
    if end is not None and rounding.enabled:
        shown_begin, shown_end = rounding.stored(begin, end)
        assert shown_end is not None
        if (shown_begin, shown_end) != (begin, end):
            first, last = shown_begin.astimezone(tz), shown_end.astimezone(tz)
            notes.append(f"Kimai will store {first:%H:%M}–{last:%H:%M} (rounded)")
    if lockdown.is_locked(begin, now, tz):
        notes.append("in a locked period: Kimai will refuse it unless you may override lockdowns")
    return notes
