"""Catalog cache (customers, projects, activities, tags) in SQLite, for offline picking.

The tables are replaced wholesale on each refresh (Kimai's lists are unpaged and small
enough); usage counts survive refreshes and feed the search ranking.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from kimai_tray.core.errors import AmbiguousNameError, UnknownNameError
from kimai_tray.core.models import Activity, Customer, Project, Tag
from kimai_tray.core.outbox import open_database
from kimai_tray.core.search import CatalogMatch, SearchIndex, Usage

SCHEMA_VERSION = 1

_MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, visible INTEGER NOT NULL);
    CREATE TABLE projects (
        id INTEGER PRIMARY KEY, name TEXT NOT NULL, customer_id INTEGER NOT NULL,
        customer_name TEXT NOT NULL, visible INTEGER NOT NULL, global_activities INTEGER NOT NULL,
        start TEXT, "end" TEXT
    );
    CREATE TABLE activities (
        id INTEGER PRIMARY KEY, name TEXT NOT NULL, project_id INTEGER, visible INTEGER NOT NULL
    );
    CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT NOT NULL, visible INTEGER NOT NULL);
    CREATE TABLE usage (
        project_id INTEGER NOT NULL, activity_id INTEGER NOT NULL,
        count INTEGER NOT NULL, last_used REAL NOT NULL,
        PRIMARY KEY (project_id, activity_id)
    );
    """,
}


def _d(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


class Catalog:
    """Cached Kimai catalog with search and name resolution; `today` decides inactive projects."""

    def __init__(self, path: Path, *, today: Callable[[], date] | None = None) -> None:
        self.path = Path(path)
        self._conn = open_database(self.path, _MIGRATIONS, SCHEMA_VERSION)
        self._today = today or date.today
        self._customers: dict[int, Customer] = {}
        self._projects: dict[int, Project] = {}
        self._activities: dict[int, Activity] = {}
        self._tags: list[Tag] = []
        self._index: SearchIndex | None = None
        self._load()

    def close(self) -> None:
        self._conn.close()

    def _load(self) -> None:
        c = self._conn
        self._customers = {
            r[0]: Customer(r[0], r[1], bool(r[2]))
            for r in c.execute("SELECT id, name, visible FROM customers")
        }
        self._projects = {
            r[0]: Project(r[0], r[1], r[2], r[3], bool(r[4]), bool(r[5]), _d(r[6]), _d(r[7]))
            for r in c.execute("SELECT * FROM projects ORDER BY id")
        }
        self._activities = {
            r[0]: Activity(r[0], r[1], r[2], bool(r[3]))
            for r in c.execute("SELECT id, name, project_id, visible FROM activities ORDER BY id")
        }
        self._tags = [
            Tag(r[0], r[1], bool(r[2])) for r in c.execute("SELECT id, name, visible FROM tags")
        ]
        self._index = None

    def replace_all(
        self,
        customers: list[Customer],
        projects: list[Project],
        activities: list[Activity],
        tags: list[Tag],
    ) -> None:
        """Store a fresh catalog from the server in one transaction."""
        c = self._conn
        c.execute("BEGIN IMMEDIATE")
        try:
            for table in ("customers", "projects", "activities", "tags"):
                c.execute(f"DELETE FROM {table}")  # fixed table names, no user input
            c.executemany(
                "INSERT INTO customers VALUES (?,?,?)",
                [(x.id, x.name, int(x.visible)) for x in customers],
            )
            c.executemany(
                "INSERT INTO projects VALUES (?,?,?,?,?,?,?,?)",
                [
                    (
                        p.id,
                        p.name,
                        p.customer_id,
                        p.customer_name,
                        int(p.visible),
                        int(p.global_activities),
                        p.start.isoformat() if p.start else None,
                        p.end.isoformat() if p.end else None,
                    )
                    for p in projects
                ],
            )
            c.executemany(
                "INSERT INTO activities VALUES (?,?,?,?)",
                [(a.id, a.name, a.project_id, int(a.visible)) for a in activities],
            )
            c.executemany(
                "INSERT INTO tags VALUES (?,?,?)", [(t.id, t.name, int(t.visible)) for t in tags]
            )
        except BaseException:
            c.execute("ROLLBACK")
            raise
        c.execute("COMMIT")
        self._load()
        self.search("")  # build the index now (off the first keystroke)

    def record_use(self, project_id: int, activity_id: int, when: datetime) -> None:
        self._conn.execute(
            "INSERT INTO usage VALUES (?,?,1,?) ON CONFLICT(project_id, activity_id) DO UPDATE"
            " SET count=count+1, last_used=max(last_used, excluded.last_used)",
            (project_id, activity_id, when.timestamp()),
        )
        if self._index is not None:
            self._index.set_usage(self._usage())

    def _usage(self) -> dict[tuple[int, int], Usage]:
        rows = self._conn.execute("SELECT project_id, activity_id, count, last_used FROM usage")
        return {(r[0], r[1]): Usage(r[2], r[3]) for r in rows}

    # -- lookups ----------------------------------------------------------------------

    def customer(self, customer_id: int) -> Customer | None:
        return self._customers.get(customer_id)

    def project(self, project_id: int) -> Project | None:
        return self._projects.get(project_id)

    def activity(self, activity_id: int) -> Activity | None:
        return self._activities.get(activity_id)

    def tags(self) -> list[Tag]:
        return list(self._tags)

    def customers(self) -> list[Customer]:
        return list(self._customers.values())

    def projects(self) -> list[Project]:
        return list(self._projects.values())

    def activities(self) -> list[Activity]:
        return list(self._activities.values())

    def is_empty(self) -> bool:
        return not self._projects

    def search(self, query: str, limit: int = 50) -> list[CatalogMatch]:
        if self._index is None:
            self._index = SearchIndex(
                self._customers.values(),
                self._projects.values(),
                self._activities.values(),
                self._usage(),
                self._today(),
            )
        return self._index.search(query, limit)

    # -- name resolution for the CLI ---------------------------------------------------

    def resolve_project(self, text: str) -> Project:
        """An id, an exact name (or "customer / name"), or a unique substring."""
        if text.strip().isdigit():
            found = self._projects.get(int(text))
            if found is None:
                raise UnknownNameError(f"No project has the id {text.strip()}.")
            return found
        key = text.strip().lower()

        def label(p: Project) -> str:
            return f"{self._customer_name(p)} / {p.name}"

        projects = list(self._projects.values())
        for tier in (
            [p for p in projects if p.name.lower() == key or label(p).lower() == key],
            [p for p in projects if key in label(p).lower()],
        ):
            if len(tier) == 1:
                return tier[0]
            if tier:
                raise _ambiguous("project", text, [label(p) for p in tier])
        raise UnknownNameError(f"No project matches '{text.strip()}'.")

    def resolve_activity(self, text: str, project_id: int) -> Activity:
        """An activity usable in the project: its own ones, plus globals if it allows them."""
        project = self._projects.get(project_id)
        allowed = [
            a
            for a in self._activities.values()
            if a.project_id == project_id
            or (a.project_id is None and (project is None or project.global_activities))
        ]
        if text.strip().isdigit():
            for a in allowed:
                if a.id == int(text):
                    return a
            raise UnknownNameError(f"No activity with the id {text.strip()} in this project.")
        key = text.strip().lower()
        for tier in (
            [a for a in allowed if a.name.lower() == key],
            [a for a in allowed if key in a.name.lower()],
        ):
            if len(tier) == 1:
                return tier[0]
            if tier:
                raise _ambiguous("activity", text, [a.name for a in tier])
        raise UnknownNameError(f"No activity matches '{text.strip()}' in this project.")

    def _customer_name(self, p: Project) -> str:
        c = self._customers.get(p.customer_id)
        return c.name if c else p.customer_name


def _ambiguous(kind: str, text: str, names: list[str]) -> AmbiguousNameError:
    shown = ", ".join(sorted(names)[:10])
    more = f" and {len(names) - 10} more" if len(names) > 10 else ""
    return AmbiguousNameError(
        f"'{text.strip()}' matches {len(names)} {kind} names ({shown}{more}): "
        "be more specific or use the id.",
        candidates=sorted(names),
    )
