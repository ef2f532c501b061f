"""Today's and this week's tracked time, in the user's Kimai timezone.

Pure: fed by the local entries (running, pending, synced) and a cached list of the server's
timesheets of this week. A local entry that carries a timesheet id replaces the server's
copy of that record (the local one may hold an edit not yet synced); local entries without
an id (offline starts) are added. Intervals are clipped to the day/week, so a record across
midnight counts on both days.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from kimai_tray.core.models import Timesheet
from kimai_tray.core.outbox import Entry

MONDAY = 0
SUNDAY = 6


@dataclass(frozen=True, slots=True)
class Totals:
    today: int  # seconds
    week: int  # seconds
    target: int | None = None  # daily target in seconds, when the user set one

    @property
    def progress(self) -> float | None:
        """Fraction of the daily target done today (may exceed 1.0)."""
        if not self.target:
            return None
        return self.today / self.target


def first_weekday(preference: str | None) -> int:
    """Kimai's `first_weekday` preference ("monday"/"sunday") as a weekday(); default Monday."""
    return SUNDAY if (preference or "").strip().lower() == "sunday" else MONDAY


def _midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def period_bounds(
    now: datetime, zone: tzinfo, week_start: int = MONDAY
) -> tuple[datetime, datetime, datetime]:
    """(start of today, start of the week, start of tomorrow) as aware instants in `zone`."""
    today = now.astimezone(zone).date()
    week_first = today - timedelta(days=(today.weekday() - week_start) % 7)
    return (
        _midnight(today, zone),
        _midnight(week_first, zone),
        _midnight(today + timedelta(days=1), zone),
    )


def _overlap(begin: datetime, end: datetime, lo: datetime, hi: datetime) -> int:
    return max(0, int((min(end, hi) - max(begin, lo)).total_seconds()))


def compute_totals(
    local: Iterable[Entry],
    server: Iterable[Timesheet],
    now: datetime,
    zone: tzinfo,
    *,
    week_start: int = MONDAY,
    target_hours: float | None = None,
) -> Totals:
    """Sum today's and this week's seconds; a running record counts up to `now`."""
    intervals: dict[object, tuple[datetime, datetime]] = {}
    for ts in server:
        intervals[("ts", ts.id)] = (ts.begin, ts.end or now)
    for entry in local:
        key: object = ("ts", entry.timesheet_id) if entry.timesheet_id else entry.local_id
        if entry.discarded:
            intervals.pop(key, None)
            continue
        intervals[key] = (entry.begin, entry.end or now)
    day_start, week_first, day_end = period_bounds(now, zone, week_start)
    today = sum(_overlap(b, e, day_start, day_end) for b, e in intervals.values())
    week = sum(_overlap(b, e, week_first, day_end) for b, e in intervals.values())
    target = int(target_hours * 3600) if target_hours else None
    return Totals(today=today, week=week, target=target)


def format_duration(seconds: int) -> str:
    """Hours:minutes, e.g. 7:05."""
    minutes = max(seconds, 0) // 60
    return f"{minutes // 60}:{minutes % 60:02d}"
