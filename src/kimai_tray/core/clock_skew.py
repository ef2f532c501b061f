"""Clock skew between this computer and the Kimai server (from the HTTP Date header).

Entries are stamped with the laptop's clock; if it is minutes off, every entry is booked at
the wrong time and Kimai may reject "future" ones. Beyond SKEW_LIMIT the user is warned.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

SKEW_LIMIT = timedelta(minutes=5)


def server_date_of(backend: object) -> str | None:
    """The `Date` header of the backend's last answer, where the client records it (both
    Kimai clients do; test fakes need not)."""
    value = getattr(backend, "server_date", None)
    return value if isinstance(value, str) else None


def clock_skew(server_date: str | None, local_now: datetime) -> timedelta | None:
    """Local minus server time (positive: the laptop is ahead); None if unknown."""
    if not server_date:
        return None
    try:
        server = parsedate_to_datetime(server_date)
    except (TypeError, ValueError):
        return None
    if server.tzinfo is None:
        return None  # RFC 9110 dates are GMT; a naive one is not trustworthy
    return local_now - server


def describe_offset(offset: timedelta) -> str:
    """'7 minutes' or, for a wrong time zone setting, 'about 2 hours'."""
    minutes = round(abs(offset).total_seconds() / 60)
    if minutes >= 90:
        return f"about {round(minutes / 60)} hours"
    return f"{minutes} minute{'' if minutes == 1 else 's'}"


def skew_warning(
    server_date: str | None, local_now: datetime, limit: timedelta = SKEW_LIMIT
) -> str | None:
    """One sentence when the clocks differ by more than `limit`, else None."""
    skew = clock_skew(server_date, local_now)
    if skew is None or abs(skew) <= limit:
        return None
    side = "ahead of" if skew > timedelta(0) else "behind"
    return (
        f"This computer's clock is {describe_offset(skew)} {side} the Kimai server's: "
        "set the system time automatically, or your entries will be booked at the wrong time."
    )
