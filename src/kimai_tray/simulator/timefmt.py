"""Kimai's datetime rules: local input strings, `Y-m-d\\TH:i:sO` output, minute rounding."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

# Symfony's HTML5 local pattern is unanchored at the end, so a trailing offset slips through
# and PHP honours it (observed on 2.28); fractions and `Z` are honoured too.
_FORM_RE = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$"
)
# Query filters use a strict constraint: anything else is a 400.
_QUERY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")


def parse_form_datetime(text: object, tz_name: str) -> datetime | None:
    """A form `begin`/`end` value read in `tz_name` (offsets honoured); None when invalid."""
    if not isinstance(text, str):
        return None
    m = _FORM_RE.match(text.strip())
    if m is None:
        return None
    date_part, hm, sec, _frac, offset = m.groups()
    try:
        naive = datetime.fromisoformat(f"{date_part}T{hm}{sec or ':00'}")
    except ValueError:
        return None
    if offset is None:
        return naive.replace(tzinfo=ZoneInfo(tz_name)).astimezone(UTC)
    if offset == "Z":
        return naive.replace(tzinfo=UTC)
    sign = 1 if offset[0] == "+" else -1
    digits = offset[1:].replace(":", "")
    delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return (naive - sign * delta).replace(tzinfo=UTC)


def parse_query_datetime(text: str, tz_name: str) -> datetime | None:
    """A strict `Y-m-d\\TH:i:s` query filter read in the user's timezone; None when invalid."""
    if not _QUERY_RE.match(text):
        return None
    try:
        naive = datetime.fromisoformat(text)
    except ValueError:
        return None
    return naive.replace(tzinfo=ZoneInfo(tz_name)).astimezone(UTC)


def format_kimai(value: datetime | None, tz_name: str) -> str | None:
    """`2026-03-29T02:30:00+0200`: the offset has no colon (PHP's `O`)."""
    if value is None:
        return None
    return value.astimezone(ZoneInfo(tz_name)).strftime("%Y-%m-%dT%H:%M:%S%z")


def floor_minute(value: datetime) -> datetime:
    return value.replace(second=0, microsecond=0)


def ceil_minute(value: datetime) -> datetime:
    floored = floor_minute(value)
    return floored if floored == value else floored + timedelta(minutes=1)
