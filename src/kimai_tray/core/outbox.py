"""The durable outbox: every user action is committed to SQLite before the call returns.

Two tables. `entries` mirrors timesheets as the user sees them (the running one, recent
ones); `ops` is the queue of "make the server agree with entry X" operations, one client
UUID each, with status, attempts, last error and the wall-clock time of the last attempt
that left for the server (so a restart knows how long a create has been in doubt). An op
carries no payload of its own: the sync engine sends the entry's *current* fields, which is
what lets a not-yet-sent start absorb later edits and the stop (one POST with begin and end).

Durability: WAL journal, synchronous=FULL, schema version in PRAGMA user_version.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from kimai_tray.core.errors import OutboxError
from kimai_tray.core.state import NamedRef, RunningEntry

SCHEMA_VERSION = 2

_MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE entries (
        local_id TEXT PRIMARY KEY,
        timesheet_id INTEGER UNIQUE,
        customer_id INTEGER NOT NULL,
        customer_name TEXT NOT NULL,
        project_id INTEGER NOT NULL,
        project_name TEXT NOT NULL,
        activity_id INTEGER NOT NULL,
        activity_name TEXT NOT NULL,
        begin TEXT NOT NULL,
        "end" TEXT,
        description TEXT NOT NULL DEFAULT '',
        tags TEXT NOT NULL DEFAULT '[]',
        discarded INTEGER NOT NULL DEFAULT 0,
        origin TEXT NOT NULL DEFAULT 'local'
    );
    CREATE INDEX entries_begin ON entries(begin);
    CREATE TABLE ops (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        op_id TEXT NOT NULL UNIQUE,
        entry_id TEXT NOT NULL REFERENCES entries(local_id),
        kind TEXT NOT NULL,
        created_at TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT
    );
    CREATE INDEX ops_status ON ops(status, seq);
    """,
    # When the last attempt of an op left for the server (UTC, ISO 8601). Additive, so a
    # version-1 file upgrades in place; its in-flight ops get NULL, which the sync engine
    # reads as "in doubt for longer than the settle period" (reconcile, then resend).
    2: """
    ALTER TABLE ops ADD COLUMN attempt_at TEXT
    """,
}


class OpKind(StrEnum):
    START = "start"
    STOP = "stop"
    EDIT = "edit"
    RETIME = "retime"  # an edit that also moves begin/project/activity (PATCHes those too)
    DISCARD = "discard"


class OpStatus(StrEnum):
    PENDING = "pending"
    INFLIGHT = "inflight"  # sent (or about to be): the server may have applied it
    FAILED = "failed"  # Kimai rejected it for good: waits for the user
    DONE = "done"
    CANCELLED = "cancelled"  # superseded locally before it was sent


OPEN_STATUSES = (OpStatus.PENDING, OpStatus.INFLIGHT)


@dataclass(frozen=True, slots=True)
class Entry:
    """A timesheet as the app knows it (may not be on the server yet)."""

    local_id: str
    timesheet_id: int | None
    customer: NamedRef
    project: NamedRef
    activity: NamedRef
    begin: datetime
    end: datetime | None
    description: str
    tags: tuple[str, ...]
    discarded: bool = False
    origin: str = "local"

    def as_running(self) -> RunningEntry:
        return RunningEntry(
            customer=self.customer,
            project=self.project,
            activity=self.activity,
            begin=self.begin,
            description=self.description,
            tags=self.tags,
            timesheet_id=self.timesheet_id,
        )


@dataclass(frozen=True, slots=True)
class Op:
    seq: int
    op_id: str
    entry_id: str
    kind: OpKind
    created_at: datetime
    status: OpStatus
    attempts: int
    last_error: str | None
    attempt_at: datetime | None = None  # wall clock when the last attempt left; None: unknown


@dataclass(frozen=True, slots=True)
class PendingOp:
    """One outbox operation not yet on the server, as `Tracker.pending()` shows it."""

    op_id: str
    kind: OpKind
    status: OpStatus
    created_at: datetime
    attempts: int
    last_error: str | None
    entry: Entry


def _ts(dt: datetime | None) -> str | None:
    return None if dt is None else dt.isoformat()


def _dt(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _entry_content(entry: Entry) -> tuple[object, ...]:
    """The columns customer_id .. tags, in table order: what inserts and updates both write."""
    return (
        entry.customer.id,
        entry.customer.name,
        entry.project.id,
        entry.project.name,
        entry.activity.id,
        entry.activity.name,
        _ts(entry.begin),
        _ts(entry.end),
        entry.description,
        json.dumps(list(entry.tags)),
    )


def _entry(row: sqlite3.Row) -> Entry:
    begin = _dt(row["begin"])
    assert begin is not None
    return Entry(
        local_id=row["local_id"],
        timesheet_id=row["timesheet_id"],
        customer=NamedRef(row["customer_id"], row["customer_name"]),
        project=NamedRef(row["project_id"], row["project_name"]),
        activity=NamedRef(row["activity_id"], row["activity_name"]),
        begin=begin,
        end=_dt(row["end"]),
        description=row["description"],
        tags=tuple(json.loads(row["tags"])),
        discarded=bool(row["discarded"]),
        origin=row["origin"],
    )


def _op(row: sqlite3.Row) -> Op:
    created = _dt(row["created_at"])
    assert created is not None
    return Op(
        seq=row["seq"],
        op_id=row["op_id"],
        entry_id=row["entry_id"],
        kind=OpKind(row["kind"]),
        created_at=created,
        status=OpStatus(row["status"]),
        attempts=row["attempts"],
        last_error=row["last_error"],
        attempt_at=_dt(row["attempt_at"]),
    )


def quarantine_database(path: Path) -> Path:
    """Rename a broken database (and its -wal/-shm files) aside; return the new db path."""
    stamp = 0
    while True:
        target = path.with_name(f"{path.name}.broken-{stamp}")
        if not target.exists():
            break
        stamp += 1
    for suffix in ("", "-wal", "-shm"):
        src = path.with_name(path.name + suffix)
        if src.exists():
            src.rename(target.with_name(target.name + suffix))
    return target


def open_database(path: Path, migrations: dict[int, str], version: int) -> sqlite3.Connection:
    """Open (creating or migrating) a WAL database; raise OutboxError if corrupt or too new."""
    try:
        # User-only from the first byte (SQLite would follow the umask, often 0644); SQLite
        # gives the -wal/-shm files the database file's mode.
        Path(path).touch(mode=0o600, exist_ok=True)
        conn = sqlite3.connect(path, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        current = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if current > version:
            conn.close()
            raise OutboxError(
                f"The local database {path.name} was written by a newer kimai-tray; "
                "update kimai-tray or move the file aside.",
                detail=f"user_version={current} > {version}",
            )
        for step in range(current + 1, version + 1):
            conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in migrations[step].split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version={step}")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        conn.execute("PRAGMA quick_check").fetchone()
        return conn
    except sqlite3.DatabaseError as exc:
        raise OutboxError(
            f"The local database {path.name} is damaged and cannot be opened; "
            "it will be moved aside.",
            detail=str(exc),
        ) from exc


class Outbox:
    """SQLite outbox + local mirror of entries. Every write commits before returning."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._conn = open_database(self.path, _MIGRATIONS, SCHEMA_VERSION)

    def close(self) -> None:
        self._conn.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One committed transaction; SQLite failures (disk full, locked) become OutboxError."""
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise OutboxError(
                f"The local database {self.path.name} could not be written; "
                "check the free disk space.",
                detail=str(exc),
            ) from exc

    # -- writes made by user actions -------------------------------------------------

    def _add_op(self, conn: sqlite3.Connection, entry_id: str, kind: OpKind, at: datetime) -> str:
        op_id = new_local_id()
        conn.execute(
            "INSERT INTO ops(op_id, entry_id, kind, created_at) VALUES (?,?,?,?)",
            (op_id, entry_id, kind.value, _ts(at)),
        )
        return op_id

    def _insert_entry(self, conn: sqlite3.Connection, entry: Entry) -> None:
        conn.execute(
            "INSERT INTO entries(local_id, timesheet_id, customer_id, customer_name, project_id,"
            ' project_name, activity_id, activity_name, begin, "end", description, tags,'
            " discarded, origin) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                entry.local_id,
                entry.timesheet_id,
                *_entry_content(entry),
                int(entry.discarded),
                entry.origin,
            ),
        )

    def record_start(self, entry: Entry, at: datetime) -> None:
        """Stop whatever runs at `entry.begin`, then queue the new entry's start, atomically."""
        with self._tx() as conn:
            for running in self._running(conn):
                conn.execute(
                    'UPDATE entries SET "end"=? WHERE local_id=?',
                    (_ts(entry.begin), running.local_id),
                )
                self._add_op(conn, running.local_id, OpKind.STOP, at)
            self._insert_entry(conn, entry)
            self._add_op(conn, entry.local_id, OpKind.START, at)

    def record_stop(self, local_id: str, end: datetime, at: datetime) -> None:
        with self._tx() as conn:
            conn.execute('UPDATE entries SET "end"=? WHERE local_id=?', (_ts(end), local_id))
            self._add_op(conn, local_id, OpKind.STOP, at)

    def record_edit(
        self,
        local_id: str,
        description: str | None,
        tags: tuple[str, ...] | None,
        at: datetime,
        *,
        begin: datetime | None = None,
        project: NamedRef | None = None,
        activity: NamedRef | None = None,
        customer: NamedRef | None = None,
    ) -> None:
        retime = begin is not None or project is not None or activity is not None
        with self._tx() as conn:
            if begin is not None:
                conn.execute("UPDATE entries SET begin=? WHERE local_id=?", (_ts(begin), local_id))
            if project is not None:
                conn.execute(
                    "UPDATE entries SET project_id=?, project_name=? WHERE local_id=?",
                    (project.id, project.name, local_id),
                )
            if customer is not None:
                conn.execute(
                    "UPDATE entries SET customer_id=?, customer_name=? WHERE local_id=?",
                    (customer.id, customer.name, local_id),
                )
            if activity is not None:
                conn.execute(
                    "UPDATE entries SET activity_id=?, activity_name=? WHERE local_id=?",
                    (activity.id, activity.name, local_id),
                )
            if description is not None:
                conn.execute(
                    "UPDATE entries SET description=? WHERE local_id=?", (description, local_id)
                )
            if tags is not None:
                conn.execute(
                    "UPDATE entries SET tags=? WHERE local_id=?", (json.dumps(list(tags)), local_id)
                )
            self._add_op(conn, local_id, OpKind.RETIME if retime else OpKind.EDIT, at)

    def record_discard(self, local_id: str, at: datetime) -> None:
        """Discard an entry: drop unsent ops; queue a DELETE only if the server may have it."""
        with self._tx() as conn:
            conn.execute("UPDATE entries SET discarded=1 WHERE local_id=?", (local_id,))
            row = conn.execute(
                "SELECT timesheet_id FROM entries WHERE local_id=?", (local_id,)
            ).fetchone()
            inflight = conn.execute(
                "SELECT COUNT(*) FROM ops WHERE entry_id=? AND status=?",
                (local_id, OpStatus.INFLIGHT.value),
            ).fetchone()[0]
            conn.execute(
                "UPDATE ops SET status=? WHERE entry_id=? AND status IN (?,?)",
                (
                    OpStatus.CANCELLED.value,
                    local_id,
                    OpStatus.PENDING.value,
                    OpStatus.FAILED.value,
                ),
            )
            if row is not None and (row[0] is not None or inflight):
                self._add_op(conn, local_id, OpKind.DISCARD, at)

    # -- reads -----------------------------------------------------------------------

    def _running(self, conn: sqlite3.Connection) -> list[Entry]:
        rows = conn.execute(
            'SELECT * FROM entries WHERE "end" IS NULL AND discarded=0 ORDER BY begin DESC'
        ).fetchall()
        return [_entry(r) for r in rows]

    def running(self) -> Entry | None:
        found = self._running(self._conn)
        return found[0] if found else None

    def entry(self, local_id: str) -> Entry | None:
        row = self._conn.execute("SELECT * FROM entries WHERE local_id=?", (local_id,)).fetchone()
        return None if row is None else _entry(row)

    def entry_by_timesheet(self, timesheet_id: int) -> Entry | None:
        row = self._conn.execute(
            "SELECT * FROM entries WHERE timesheet_id=?", (timesheet_id,)
        ).fetchone()
        return None if row is None else _entry(row)

    def entries(self, *, limit: int = 200) -> list[Entry]:
        """Newest first, discarded ones left out."""
        rows = self._conn.execute(
            "SELECT * FROM entries WHERE discarded=0 ORDER BY begin DESC LIMIT ?", (limit,)
        ).fetchall()
        return [_entry(r) for r in rows]

    def open_ops(self) -> list[Op]:
        rows = self._conn.execute(
            "SELECT * FROM ops WHERE status IN (?,?,?) ORDER BY seq",
            (OpStatus.PENDING.value, OpStatus.INFLIGHT.value, OpStatus.FAILED.value),
        ).fetchall()
        return [_op(r) for r in rows]

    def op(self, op_id: str) -> Op | None:
        row = self._conn.execute("SELECT * FROM ops WHERE op_id=?", (op_id,)).fetchone()
        return None if row is None else _op(row)

    def has_open_ops(self, local_id: str) -> bool:
        row = self._conn.execute(
            "SELECT COUNT(*) FROM ops WHERE entry_id=? AND status IN (?,?,?)",
            (
                local_id,
                OpStatus.PENDING.value,
                OpStatus.INFLIGHT.value,
                OpStatus.FAILED.value,
            ),
        ).fetchone()
        return bool(row[0])

    def counts(self) -> tuple[int, int]:
        """(pending incl. in flight, failed)."""
        rows = self._conn.execute("SELECT status, COUNT(*) FROM ops GROUP BY status").fetchall()
        by = {r[0]: r[1] for r in rows}
        return (
            by.get(OpStatus.PENDING.value, 0) + by.get(OpStatus.INFLIGHT.value, 0),
            by.get(OpStatus.FAILED.value, 0),
        )

    def pending(self) -> list[PendingOp]:
        out: list[PendingOp] = []
        for op in self.open_ops():
            entry = self.entry(op.entry_id)
            assert entry is not None
            out.append(
                PendingOp(
                    op.op_id, op.kind, op.status, op.created_at, op.attempts, op.last_error, entry
                )
            )
        return out

    # -- writes made by the sync engine ----------------------------------------------

    def mark_inflight(self, seq: int, at: datetime) -> None:
        """Durably note that a request leaves at `at`: after a crash we reconcile first, and
        a create is not resent until its last attempt is older than the settle period."""
        with self._tx() as conn:
            conn.execute(
                "UPDATE ops SET status=?, attempts=attempts+1, attempt_at=? WHERE seq=?",
                (OpStatus.INFLIGHT.value, _ts(at), seq),
            )

    def clear_attempt(self, seq: int) -> None:
        """The last attempt is known not to have been applied (e.g. connection refused):
        nothing can commit late, so there is nothing to wait for before resending."""
        with self._tx() as conn:
            conn.execute("UPDATE ops SET attempt_at=NULL WHERE seq=?", (seq,))

    def mark_done(self, seqs: list[int]) -> None:
        with self._tx() as conn:
            conn.executemany(
                "UPDATE ops SET status=?, last_error=NULL WHERE seq=?",
                [(OpStatus.DONE.value, s) for s in seqs],
            )

    def mark_error(self, seq: int, message: str, *, failed: bool) -> None:
        status = OpStatus.FAILED if failed else None
        with self._tx() as conn:
            if status is None:
                conn.execute("UPDATE ops SET last_error=? WHERE seq=?", (message, seq))
            else:
                conn.execute(
                    "UPDATE ops SET last_error=?, status=? WHERE seq=?",
                    (message, status.value, seq),
                )

    def set_status(self, op_id: str, status: OpStatus) -> None:
        with self._tx() as conn:
            conn.execute("UPDATE ops SET status=? WHERE op_id=?", (status.value, op_id))

    def retry(self, op_id: str) -> None:
        with self._tx() as conn:
            conn.execute(
                "UPDATE ops SET status=?, attempts=0 WHERE op_id=? AND status=?",
                (OpStatus.PENDING.value, op_id, OpStatus.FAILED.value),
            )

    def cancel_entry(self, local_id: str) -> None:
        """Give up on an entry the server never accepted: its ops and the entry go away."""
        with self._tx() as conn:
            conn.execute(
                "UPDATE ops SET status=? WHERE entry_id=? AND status IN (?,?,?)",
                (
                    OpStatus.CANCELLED.value,
                    local_id,
                    OpStatus.PENDING.value,
                    OpStatus.FAILED.value,
                    OpStatus.INFLIGHT.value,
                ),
            )
            conn.execute("UPDATE entries SET discarded=1 WHERE local_id=?", (local_id,))

    def adopt(self, local_id: str, timesheet_id: int) -> None:
        with self._tx() as conn:
            conn.execute(
                "UPDATE entries SET timesheet_id=? WHERE local_id=?", (timesheet_id, local_id)
            )

    def upsert_remote(self, entry: Entry) -> None:
        """Insert or overwrite an entry the server is the authority on (no open ops)."""
        with self._tx() as conn:
            existing = conn.execute(
                "SELECT local_id FROM entries WHERE timesheet_id=?", (entry.timesheet_id,)
            ).fetchone()
            if existing is None:
                self._insert_entry(conn, entry)
                return
            conn.execute(
                "UPDATE entries SET customer_id=?, customer_name=?, project_id=?, project_name=?,"
                ' activity_id=?, activity_name=?, begin=?, "end"=?, description=?, tags=?'
                " WHERE local_id=?",
                (*_entry_content(entry), existing[0]),
            )

    def end_remote(self, local_id: str, end: datetime) -> None:
        """The server says this record is no longer running (stopped elsewhere)."""
        with self._tx() as conn:
            conn.execute('UPDATE entries SET "end"=? WHERE local_id=?', (_ts(end), local_id))


def new_local_id() -> str:
    """A random id (uuid4) for entries and ops."""
    # Imported here: uuid pulls in `platform` at import, a cost the first tray icon need not pay.
    import uuid

    return str(uuid.uuid4())
