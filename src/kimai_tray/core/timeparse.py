"""Parse what a user types for "when did I start": "-20m", "20 min ago", "9:15", "now".

Pure: the caller passes `now` and the zone a wall-clock time like "9:15" is meant in
(the desktop's, which is what the user reads on their screen).
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta, tzinfo

from kimai_tray.core.errors import KimaiTrayError

_UNIT = {"h": 3600, "m": 60, "s": 1}
# Longest spellings first: "min" must not match as "m" + leftover "in".
_AMOUNT = re.compile(r"(\d+)\s*(hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)")
_RELATIVE_AGO = re.compile(r"^(?:(?:\d+)\s*[a-z]+\s*)+ago$")
_RELATIVE_MINUS = re.compile(r"^-\s*(?:(?:\d+)\s*[a-z]*\s*)+$")
_CLOCK = re.compile(r"^(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm)?$")


class TimeParseError(KimaiTrayError):
    default_message = 'Type a start time like "-20m", "20 min ago" or "9:15".'


def _relative_seconds(text: str) -> int:
    """Sum "1h 20m"-style amounts; a bare number ("-20") means minutes."""
    body = text.removeprefix("-").removesuffix("ago").strip()
    if body.isdigit():
        return int(body) * 60
    total = 0
    consumed = 0
    for match in _AMOUNT.finditer(body):
        total += int(match.group(1)) * _UNIT[match.group(2)[0]]
        consumed += len(match.group(0).replace(" ", ""))
    if consumed != len(body.replace(" ", "")):
        raise TimeParseError()
    return total


def parse_start(text: str, now: datetime, zone: tzinfo) -> datetime:
    """The aware instant `text` means, never after `now`; raises TimeParseError.

    A clock time later than now means yesterday ("23:50" typed at 00:10).
    """
    cleaned = text.strip().lower()
    if cleaned in ("", "now"):
        return now
    if _RELATIVE_MINUS.match(cleaned) or _RELATIVE_AGO.match(cleaned):
        # Whole seconds: Kimai keeps no fractions, so local and server begin stay equal.
        return (now - timedelta(seconds=_relative_seconds(cleaned))).replace(microsecond=0)
    clock = _CLOCK.match(cleaned)
    if clock is None:
        raise TimeParseError()
    hour, minute = int(clock.group(1)), int(clock.group(2) or 0)
    if clock.group(3) == "pm" and hour < 12:
        hour += 12
    elif clock.group(3) == "am" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        raise TimeParseError()
    local_now = now.astimezone(zone)
    when = datetime.combine(local_now.date(), time(hour, minute), tzinfo=zone)
    if when > local_now:
        when -= timedelta(days=1)
    return when.astimezone(now.tzinfo)
