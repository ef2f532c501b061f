"""Kimai datetime formatting/parsing, including DST gaps and folds (PHP semantics)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kimai_tray.api.datetimes import (
    format_for_kimai,
    interpret_like_kimai,
    is_ambiguous_for_kimai,
    minute_ceil,
    minute_floor,
    parse_kimai_date,
    parse_kimai_datetime,
)

ZONES = ["Pacific/Auckland", "Europe/Berlin", "America/New_York"]

instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2037, 12, 31), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=0))


@settings(max_examples=300, deadline=None)
@given(instant=instants, zone=st.sampled_from(ZONES))
def test_round_trip_except_second_occurrence_of_fold(instant: datetime, zone: str) -> None:
    text = format_for_kimai(instant, zone)
    back = interpret_like_kimai(text, zone)
    local = instant.astimezone(ZoneInfo(zone))
    if local.fold == 1 and local.replace(fold=0).utcoffset() != local.utcoffset():
        # A local string cannot say "second occurrence": Kimai takes the first, one hour early.
        assert back == instant - timedelta(hours=1)
        assert is_ambiguous_for_kimai(instant, zone)
    else:
        assert back == instant
        assert not is_ambiguous_for_kimai(instant, zone)


@settings(max_examples=100, deadline=None)
@given(instant=instants, zone=st.sampled_from(ZONES))
def test_parse_reads_what_kimai_sends(instant: datetime, zone: str) -> None:
    local = instant.astimezone(ZoneInfo(zone))
    sent = local.strftime("%Y-%m-%dT%H:%M:%S%z")  # Kimai's Y-m-d\TH:i:sO, offset without colon
    assert parse_kimai_datetime(sent) == instant


def test_auckland_fold_first_occurrence_is_dst() -> None:
    # 2024-04-07 03:00 NZDT -> 02:00 NZST: 02:30 happens twice.
    got = interpret_like_kimai("2024-04-07T02:30:00", "Pacific/Auckland")
    assert got.astimezone(ZoneInfo("Pacific/Auckland")).utcoffset() == timedelta(hours=13)
    assert got.astimezone(UTC) == datetime(2024, 4, 6, 13, 30, tzinfo=UTC)


def test_auckland_second_occurrence_is_sent_as_the_same_string() -> None:
    second = datetime(2024, 4, 6, 14, 30, tzinfo=UTC)  # 02:30 NZST, the second 02:30
    assert format_for_kimai(second, "Pacific/Auckland") == "2024-04-07T02:30:00"
    assert is_ambiguous_for_kimai(second, "Pacific/Auckland")


def test_auckland_gap_moves_forward_like_php() -> None:
    # 2024-09-29 02:00 NZST -> 03:00 NZDT: 02:30 does not exist, PHP gives 03:30 NZDT.
    got = interpret_like_kimai("2024-09-29T02:30:00", "Pacific/Auckland")
    assert got.astimezone(ZoneInfo("Pacific/Auckland")).strftime("%H:%M%z") == "03:30+1300"


def test_berlin_and_new_york_gaps_move_forward() -> None:
    berlin = interpret_like_kimai("2024-03-31T02:15:00", "Europe/Berlin")
    assert berlin.astimezone(UTC) == datetime(2024, 3, 31, 1, 15, tzinfo=UTC)
    ny = interpret_like_kimai("2024-03-10T02:15:00", "America/New_York")
    assert ny.astimezone(UTC) == datetime(2024, 3, 10, 7, 15, tzinfo=UTC)


def test_format_uses_kimai_timezone_not_os() -> None:
    instant = datetime(2024, 1, 15, 23, 30, tzinfo=UTC)
    assert format_for_kimai(instant, "Pacific/Auckland") == "2024-01-16T12:30:00"
    assert format_for_kimai(instant, "America/New_York") == "2024-01-15T18:30:00"


def test_format_rejects_naive() -> None:
    with pytest.raises(ValueError, match="naive"):
        format_for_kimai(datetime(2024, 1, 1, 12, 0), "Europe/Berlin")


@pytest.mark.parametrize(
    "text", ["2020-03-27T14:35:00+1300", "2020-03-27T14:35:00+13:00", "2020-03-27T01:35:00Z"]
)
def test_parse_offset_variants(text: str) -> None:
    assert parse_kimai_datetime(text) == datetime(2020, 3, 27, 1, 35, tzinfo=UTC)


def test_parse_keeps_record_offset() -> None:
    parsed = parse_kimai_datetime("2020-03-27T14:35:00-0500")
    assert parsed.utcoffset() == timezone(timedelta(hours=-5)).utcoffset(None)


@pytest.mark.parametrize("text", ["2020-03-27T14:35:00", "yesterday", ""])
def test_parse_rejects_naive_or_garbage(text: str) -> None:
    with pytest.raises(ValueError):
        parse_kimai_datetime(text)


def test_parse_date_only_and_full() -> None:
    assert parse_kimai_date("2024-02-29") == date(2024, 2, 29)
    assert parse_kimai_date("2024-02-29T00:00:00+0100") == date(2024, 2, 29)


def test_minute_rounding() -> None:
    t = datetime(2024, 1, 1, 10, 0, 30, tzinfo=UTC)
    assert minute_floor(t) == datetime(2024, 1, 1, 10, 0, tzinfo=UTC)
    assert minute_ceil(t) == datetime(2024, 1, 1, 10, 1, tzinfo=UTC)
    assert minute_ceil(minute_floor(t)) == minute_floor(t)


def test_first_occurrence_of_fold_round_trips() -> None:
    # Found by hypothesis: 02:00 NZDT on 2008-04-06 is the FIRST 02:00; it must round-trip.
    instant = datetime(2008, 4, 5, 13, 0, tzinfo=UTC)
    assert (
        interpret_like_kimai(format_for_kimai(instant, "Pacific/Auckland"), "Pacific/Auckland")
        == instant
    )
    zoned = instant.astimezone(ZoneInfo("Pacific/Auckland"))
    assert not is_ambiguous_for_kimai(zoned, "Pacific/Auckland")
