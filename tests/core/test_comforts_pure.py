"""Pure parts of the everyday comforts: start-time parsing, totals, favourites, recents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kimai_tray.core.comforts import distinct_recents
from kimai_tray.core.favourites import Favourite, FavouriteStore
from kimai_tray.core.models import Timesheet
from kimai_tray.core.outbox import Entry
from kimai_tray.core.state import NamedRef
from kimai_tray.core.timeparse import TimeParseError, parse_start
from kimai_tray.core.totals import SUNDAY, compute_totals, first_weekday, format_duration
from kimai_tray.core.tracker import RecentEntry

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 17, 5, 20, tzinfo=UTC)  # Tuesday 00:20 in New York
C, P, A = NamedRef(1, "Cust"), NamedRef(2, "Proj"), NamedRef(3, "Act")


@pytest.mark.parametrize(
    ("text", "minutes_ago"),
    [("-20m", 20), ("-20", 20), ("20 min ago", 20), ("20m ago", 20), ("-1h30m", 90),
     ("1 hour 5 minutes ago", 65), ("now", 0), ("", 0)],
)  # fmt: skip
def test_relative_start_times(text: str, minutes_ago: int) -> None:
    assert parse_start(text, NOW, NY) == NOW - timedelta(minutes=minutes_ago)


def test_clock_time_is_read_in_the_given_zone_and_never_in_the_future() -> None:
    assert parse_start("0:05", NOW, NY) == datetime(2026, 11, 17, 0, 5, tzinfo=NY)
    # 23:50 typed at 00:20 means yesterday evening.
    assert parse_start("23:50", NOW, NY) == datetime(2026, 11, 16, 23, 50, tzinfo=NY)
    assert parse_start("9.15pm", NOW, NY) == datetime(2026, 11, 16, 21, 15, tzinfo=NY)


@pytest.mark.parametrize("text", ["yesterday", "25:00", "-20 parsecs", "9:75", "abc ago"])
def test_garbage_is_rejected_with_a_sentence(text: str) -> None:
    with pytest.raises(TimeParseError) as info:
        parse_start(text, NOW, NY)
    assert "9:15" in info.value.user_message


def _ts(tid: int, begin: datetime, end: datetime | None) -> Timesheet:
    return Timesheet(id=tid, begin=begin, end=end, project_id=2, activity_id=3)


def _local(begin: datetime, end: datetime | None, tid: int | None = None) -> Entry:
    return Entry(f"l{begin.timestamp()}", tid, C, P, A, begin, end, "", ())


def ny(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=NY)


def test_totals_clip_at_midnight_and_week_start_and_count_running_and_pending() -> None:
    server = [
        _ts(1, ny(15, 23), ny(16, 0, 30)),  # Sun->Mon: 30 min in this (Monday) week
        _ts(2, ny(16, 23, 30), ny(17, 0, 10)),  # Mon->Tue: 10 min today, 40 this week
        _ts(3, ny(15, 10), ny(15, 11)),  # Sunday: last week unless weeks start on Sunday
    ]
    local = [
        _local(ny(17, 0, 12), ny(17, 0, 15)),  # offline, pending: 3 min
        _local(ny(17, 0, 17), None),  # running: 3 min up to now
        _local(ny(16, 23, 30), ny(17, 0, 5), tid=2),  # local edit of record 2 wins: 5 + 35
    ]
    monday = compute_totals(local, server, NOW, NY, target_hours=8)
    assert (monday.today, monday.week) == ((5 + 3 + 3) * 60, (30 + 35 + 3 + 3) * 60)
    assert monday.target == 8 * 3600 and monday.progress == pytest.approx(11 / 480)
    sunday = compute_totals(local, server, NOW, NY, week_start=SUNDAY)
    assert sunday.week == (90 + 60 + 35 + 3 + 3) * 60


def test_first_weekday_preference_defaults_to_monday() -> None:
    assert (first_weekday(None), first_weekday("sunday"), first_weekday("monday")) == (0, 6, 0)
    assert format_duration(7 * 3600 + 5 * 60 + 59) == "7:05"


def test_recents_keep_different_descriptions_apart() -> None:
    t0 = NOW - timedelta(days=1)
    rows = [
        RecentEntry(C, P, A, "review", (), t0),
        RecentEntry(C, P, A, "standup", (), t0 + timedelta(hours=1)),
        RecentEntry(C, P, A, "review", (), t0 + timedelta(hours=2)),
    ]
    got = distinct_recents(rows, 5)
    assert [(r.description, r.last_begin) for r in got] == [
        ("review", t0 + timedelta(hours=2)),
        ("standup", t0 + timedelta(hours=1)),
    ]


def test_favourites_persist_in_pin_order_and_toggle(tmp_path: Path) -> None:
    store = FavouriteStore(tmp_path / "favourites.sqlite")
    first = Favourite(C, P, A, "review", ("x",))
    second = Favourite(C, P, A, "standup")
    assert store.toggle(first) is True
    store.add(second)
    store.add(first)  # pinning twice keeps one
    store.close()
    reopened = FavouriteStore(tmp_path / "favourites.sqlite")
    assert reopened.list() == [first, second]
    assert reopened.toggle(first) is False
    assert reopened.list() == [second]
    reopened.close()
