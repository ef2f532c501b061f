"""The outbox file itself: durability settings, migrations, broken databases."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kimai_tray.core.errors import OutboxError
from kimai_tray.core.outbox import (
    _MIGRATIONS,
    SCHEMA_VERSION,
    Entry,
    OpKind,
    OpStatus,
    Outbox,
    new_local_id,
    quarantine_database,
)
from kimai_tray.core.state import NamedRef

T0 = datetime(2026, 11, 23, 9, 0, 0, tzinfo=UTC)


def _entry(begin: datetime = T0) -> Entry:
    return Entry(
        local_id=new_local_id(),
        timesheet_id=None,
        customer=NamedRef(1, "Acme"),
        project=NamedRef(10, "Website"),
        activity=NamedRef(100, "Design"),
        begin=begin,
        end=None,
        description="mockups",
        tags=("urgent",),
    )


def test_new_database_uses_wal_full_sync_and_schema_version(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite")
    conn = box._conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    box.close()


def test_a_recorded_start_is_visible_to_another_connection_at_once(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite")
    entry = _entry()
    box.record_start(entry, T0)
    # A second connection stands in for "the process died right after the call returned".
    other = Outbox(tmp_path / "o.sqlite")
    running = other.running()
    assert running is not None and running.local_id == entry.local_id
    assert running.tags == ("urgent",) and running.begin == T0
    ops = other.open_ops()
    assert [(o.kind, o.status, o.created_at) for o in ops] == [(OpKind.START, OpStatus.PENDING, T0)]
    assert len(ops[0].op_id) == 36  # a client UUID per operation
    box.close()
    other.close()


def test_starting_while_running_ends_the_previous_entry_at_the_new_begin(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite")
    first, second = _entry(T0), _entry(T0.replace(hour=10))
    box.record_start(first, T0)
    box.record_start(second, second.begin)
    ended = box.entry(first.local_id)
    assert ended is not None and ended.end == second.begin
    assert [o.kind for o in box.open_ops()] == [OpKind.START, OpKind.STOP, OpKind.START]
    box.close()


def test_a_version_1_file_with_a_post_in_flight_upgrades_in_place(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in _MIGRATIONS[1].split(";"):  # the schema exactly as version 1 wrote it
        if statement.strip():
            conn.execute(statement)
    conn.execute(
        "INSERT INTO entries(local_id, customer_id, customer_name, project_id, project_name,"
        " activity_id, activity_name, begin, description, tags) VALUES (?,?,?,?,?,?,?,?,?,?)",
        ("e1", 1, "Acme", 10, "Website", 100, "Design", T0.isoformat(), "kept", '["urgent"]'),
    )
    conn.execute(
        "INSERT INTO ops(op_id, entry_id, kind, created_at, status, attempts, last_error)"
        " VALUES (?,?,?,?,?,?,?)",
        ("op-1", "e1", "start", T0.isoformat(), "inflight", 2, "timed out"),
    )
    conn.execute("PRAGMA user_version=1")
    conn.close()
    box = Outbox(path)
    assert box._conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
    entry = box.entry("e1")
    assert entry is not None and (entry.description, entry.tags, entry.begin) == (
        "kept",
        ("urgent",),
        T0,
    )
    [op] = box.open_ops()
    assert (op.op_id, op.kind, op.status, op.attempts, op.last_error) == (
        "op-1",
        OpKind.START,
        OpStatus.INFLIGHT,
        2,
        "timed out",
    )
    assert op.attempt_at is None  # unknown: the sync engine treats it as older than the settle
    box.close()


def test_marking_in_flight_stores_the_attempt_time_durably(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite")
    box.record_start(_entry(), T0)
    [op] = box.open_ops()
    sent_at = T0.replace(minute=5)
    box.mark_inflight(op.seq, sent_at)
    other = Outbox(tmp_path / "o.sqlite")  # as a restarted process sees it
    [seen] = other.open_ops()
    assert (seen.status, seen.attempts, seen.attempt_at) == (OpStatus.INFLIGHT, 1, sent_at)
    box.mark_inflight(op.seq, sent_at.replace(minute=9))  # a resend moves it on
    assert other.open_ops()[0].attempt_at == sent_at.replace(minute=9)
    box.clear_attempt(op.seq)  # known not applied: nothing left to wait for
    assert other.open_ops()[0].attempt_at is None
    box.close()
    other.close()


def test_a_too_new_database_is_refused_with_a_sentence(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(OutboxError, match="newer kimai-tray"):
        Outbox(path)


def test_a_corrupt_database_raises_outbox_error_and_can_be_quarantined(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    path.with_name("o.sqlite-wal").write_bytes(b"junk")
    with pytest.raises(OutboxError, match="damaged"):
        Outbox(path)
    moved = quarantine_database(path)
    assert not path.exists() and not path.with_name("o.sqlite-wal").exists()
    assert moved.exists() and moved.with_name(moved.name + "-wal").exists()
    box = Outbox(path)  # a fresh database opens in its place
    assert box.running() is None
    box.close()
