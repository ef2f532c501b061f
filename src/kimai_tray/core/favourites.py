"""Pinned entries (favourites) in their own small SQLite file beside the outbox.

A separate file keeps the outbox schema (and its migrations) untouched; the same
durable `open_database` (WAL, synchronous=FULL, user_version migrations) is used.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from kimai_tray.core.errors import OutboxError
from kimai_tray.core.outbox import open_database
from kimai_tray.core.state import NamedRef

SCHEMA_VERSION = 1

_MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE favourites (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        customer_id INTEGER NOT NULL,
        customer_name TEXT NOT NULL,
        project_id INTEGER NOT NULL,
        project_name TEXT NOT NULL,
        activity_id INTEGER NOT NULL,
        activity_name TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        tags TEXT NOT NULL DEFAULT '[]',
        UNIQUE(project_id, activity_id, description, tags)
    );
    """,
}


@dataclass(frozen=True, slots=True)
class Favourite:
    """What a one-key start needs: where to book, and the description and tags."""

    customer: NamedRef
    project: NamedRef
    activity: NamedRef
    description: str = ""
    tags: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[int, int, str, tuple[str, ...]]:
        return (self.project.id, self.activity.id, self.description, self.tags)

    @property
    def label(self) -> str:
        text = f"{self.project.name} · {self.activity.name}"
        return f"{text} — {self.description}" if self.description else text


def _favourite(row: sqlite3.Row) -> Favourite:
    return Favourite(
        NamedRef(row["customer_id"], row["customer_name"]),
        NamedRef(row["project_id"], row["project_name"]),
        NamedRef(row["activity_id"], row["activity_name"]),
        row["description"],
        tuple(json.loads(row["tags"])),
    )


class FavouriteStore:
    """Ordered favourites (oldest pin first, so number keys stay stable)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._conn = open_database(self.path, _MIGRATIONS, SCHEMA_VERSION)

    def close(self) -> None:
        self._conn.close()

    def _write(self, sql: str, args: tuple[object, ...]) -> None:
        try:
            with self._conn:  # isolation_level=None: explicit transaction below
                self._conn.execute("BEGIN IMMEDIATE")
                self._conn.execute(sql, args)
                self._conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise OutboxError(
                f"The local database {self.path.name} could not be written; "
                "check the free disk space.",
                detail=str(exc),
            ) from exc

    def list(self) -> list[Favourite]:
        rows = self._conn.execute("SELECT * FROM favourites ORDER BY seq").fetchall()
        return [_favourite(r) for r in rows]

    def contains(self, fav: Favourite) -> bool:
        return any(f.key == fav.key for f in self.list())

    def add(self, fav: Favourite) -> None:
        self._write(
            "INSERT OR IGNORE INTO favourites(customer_id, customer_name, project_id,"
            " project_name, activity_id, activity_name, description, tags)"
            " VALUES (?,?,?,?,?,?,?,?)",
            (
                fav.customer.id,
                fav.customer.name,
                fav.project.id,
                fav.project.name,
                fav.activity.id,
                fav.activity.name,
                fav.description,
                json.dumps(list(fav.tags)),
            ),
        )

    def remove(self, fav: Favourite) -> None:
        self._write(
            "DELETE FROM favourites WHERE project_id=? AND activity_id=? AND description=?"
            " AND tags=?",
            (fav.project.id, fav.activity.id, fav.description, json.dumps(list(fav.tags))),
        )

    def toggle(self, fav: Favourite) -> bool:
        """Pin or unpin; returns whether it is pinned now."""
        if self.contains(fav):
            self.remove(fav)
            return False
        self.add(fav)
        return True
