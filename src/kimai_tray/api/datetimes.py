"""The one place Kimai datetimes are formatted and parsed.

Kimai reads `YYYY-MM-DDTHH:MM:SS` (no offset) as wall-clock time in the user's Kimai timezone,
with PHP semantics: an ambiguous local time (a DST fold) means the FIRST (DST) occurrence, a
nonexistent local time (a DST gap) is moved forward by the gap. Python's `fold=0` gives exactly
the same answers, so `interpret_like_kimai` models the server faithfully.

Known limit: a local string cannot express the second occurrence of a folded hour. An instant
inside that hour (e.g. 02:30 NZST after clocks go back in Pacific/Auckland) is stored one hour
early by Kimai. The client does not invent a workaround (sending an offset is documented by
Kimai as producing wrong records); `is_ambiguous_for_kimai` lets callers detect and warn, and
the stored value is whatever Kimai returns, so local state never silently diverges.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

KIMAI_FORMAT = "%Y-%m-%dT%H:%M:%S"


def format_for_kimai(dt: datetime, tz_name: str) -> str:
    """`dt` as wall-clock time in the user's Kimai timezone (never the OS one), to the second."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("naive datetime: Kimai times must be timezone-aware")
    return dt.astimezone(ZoneInfo(tz_name)).strftime(KIMAI_FORMAT)


def interpret_like_kimai(text: str, tz_name: str) -> datetime:
    """The instant (UTC) Kimai (PHP) stores for a local string: fold -> first, gap -> forward."""
    naive = datetime.strptime(text, KIMAI_FORMAT)
    zone = ZoneInfo(tz_name)
    # fold=0 uses the pre-transition offset: in a fold that is the first (DST) occurrence, in a
    # gap it lands after the gap by the gap's length, matching PHP's DateTime.
    local = naive.replace(tzinfo=zone, fold=0)
    # Returned in UTC: an instant. A zoned result would hit PEP 495's rule that inter-zone `==`
    # is always False for ambiguous wall times, and astimezone() to the same tzinfo is a no-op.
    return local.astimezone(UTC)


def is_ambiguous_for_kimai(dt: datetime, tz_name: str) -> bool:
    """True when Kimai would store `dt` at a different instant (second occurrence of a fold)."""
    instant = dt.astimezone(UTC).replace(microsecond=0)
    return interpret_like_kimai(format_for_kimai(instant, tz_name), tz_name) != instant


def parse_kimai_datetime(text: str) -> datetime:
    """Read Kimai's `Y-m-d\\TH:i:sO` (also `+HH:MM` and `Z`) into an aware datetime."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"not a Kimai datetime: {text!r}") from exc
    if parsed.tzinfo is None:
        raise ValueError(f"Kimai datetime without offset: {text!r}")
    return parsed


def parse_kimai_date(text: str) -> date:
    """Read a project start/end: `Y-m-d`, or a full datetime (collections send those)."""
    value = text.strip()
    if len(value) == 10:
        return date.fromisoformat(value)
    return parse_kimai_datetime(value).date()


def minute_floor(dt: datetime) -> datetime:
    """Kimai's default rounding of `begin`."""
    return dt.replace(second=0, microsecond=0)


def minute_ceil(dt: datetime) -> datetime:
    """Kimai's default rounding of `end`."""
    floored = minute_floor(dt)
    return floored if floored == dt else floored + timedelta(minutes=1)
