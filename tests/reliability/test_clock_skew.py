"""The clock-skew check on its own (the over-HTTP row is in test_bad_input.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kimai_tray.core.clock_skew import clock_skew, skew_warning

SERVER = "Mon, 23 Nov 2026 10:00:00 GMT"
AT = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def test_within_five_minutes_is_quiet_beyond_it_warns_in_either_direction() -> None:
    assert skew_warning(SERVER, AT + timedelta(minutes=5)) is None
    ahead = skew_warning(SERVER, AT + timedelta(minutes=12))
    behind = skew_warning(SERVER, AT - timedelta(minutes=8))
    assert ahead is not None and "12 minutes ahead of" in ahead
    assert behind is not None and "8 minutes behind" in behind


def test_a_missing_or_garbled_date_header_is_unknown_not_a_warning() -> None:
    for header in (None, "", "yesterday", "Mon, 23 Nov 2026 10:00:00"):
        assert clock_skew(header, AT) is None
        assert skew_warning(header, AT + timedelta(hours=3)) is None
