"""Reading the away and reminder preferences from the config into core's settings values.

The config keeps them human-editable (`work_days = "mon,tue,wed,thu,fri"`, `work_start =
"09:00"`); a value that does not parse falls back to the default with a logged warning, so a
typo in the file never silences idle detection or reminders entirely.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kimai_tray.core.reminders import ReminderSettings
from kimai_tray.platform.config import Preferences

log = logging.getLogger(__name__)

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class AwayPrefs:
    idle_threshold: timedelta
    stop_on_logout: bool
    reminders: ReminderSettings | None  # None: reminders are off


def parse_days(text: str) -> frozenset[int] | None:
    """Parse "mon,tue" or "mon-fri" into {0, 1, ...} (Monday = 0); None when it does not parse."""
    days: set[int] = set()
    for part in text.lower().replace(" ", "").split(","):
        if not part:
            continue
        first, _, last = part.partition("-")
        if first not in DAY_NAMES or (last and last not in DAY_NAMES):
            return None
        a = DAY_NAMES.index(first)
        b = DAY_NAMES.index(last) if last else a
        if b < a:
            return None
        days.update(range(a, b + 1))
    return frozenset(days)


def parse_clock(text: str) -> time | None:
    try:
        return time.fromisoformat(text.strip())
    except ValueError:
        return None


def format_days(days: frozenset[int]) -> str:
    return ",".join(DAY_NAMES[d] for d in sorted(days))


def away_prefs(prefs: Preferences) -> AwayPrefs:
    defaults = ReminderSettings()
    days = parse_days(prefs.work_days)
    start = parse_clock(prefs.work_start)
    end = parse_clock(prefs.work_end)
    if days is None or start is None or end is None or end <= start:
        log.warning("work days/hours in the config do not parse; using Mon-Fri 09:00-17:00")
        days, start, end = defaults.work_days, defaults.work_start, defaults.work_end
    repeat = defaults.repeat
    if prefs.reminder_minutes > 0:
        repeat = timedelta(minutes=prefs.reminder_minutes)
    settings = ReminderSettings(work_days=days, work_start=start, work_end=end, repeat=repeat)
    return AwayPrefs(
        idle_threshold=timedelta(minutes=max(1, prefs.idle_minutes)),
        stop_on_logout=prefs.stop_on_logout,
        reminders=settings if prefs.reminders else None,
    )


def local_zone_name(env: Mapping[str, str] | None = None, localtime: Path | None = None) -> str:
    """The desktop's IANA zone name (work hours are local); "UTC" when it cannot be told."""
    env = os.environ if env is None else env
    candidates = [env.get("TZ", "").lstrip(":")]
    link = localtime or Path("/etc/localtime")
    with contextlib.suppress(OSError):
        target = str(link.resolve())
        if "zoneinfo/" in target:
            candidates.append(target.split("zoneinfo/", 1)[1])
    for name in candidates:
        if not name:
            continue
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            continue
        return name
    return "UTC"
