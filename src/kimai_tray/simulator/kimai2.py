"""In-memory Kimai 2 state: entities, config, request log, faults and "web UI" helpers.

The HTTP layer (app.py) and tests share one `SimulatorState`; uvicorn runs in another thread,
so every read/write goes through `state.lock`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal

from kimai_tray.simulator.faults import Faults
from kimai_tray.simulator.timefmt import ceil_minute, floor_minute

TrackingModeName = Literal["default", "punch", "duration_fixed_begin"]
SeedName = Literal["demo", "large", "empty"]

ADMIN_PERMISSIONS = frozenset(
    {
        "api_access",
        "create_customer",
        "create_project",
        "create_activity",
        "create_tag",
        "edit_billable",
        "edit_export",
        "edit_rate",
        "create_other_timesheet",
        "view_other_timesheet",
        "lockdown_override_timesheet",
    }
)
USER_PERMISSIONS = frozenset({"api_access", "create_tag"})


@dataclass
class SimUser:
    id: int
    username: str
    timezone: str
    roles: list[str]
    permissions: set[str]
    tokens: set[str] = field(default_factory=set)
    api_password: str | None = None  # the legacy X-AUTH-TOKEN secret
    first_weekday: str = "monday"  # Kimai user preference `first_weekday` (monday|sunday)

    def __repr__(self) -> str:  # secrets never appear in reprs
        return f"SimUser(id={self.id}, username={self.username!r})"


@dataclass
class SimCustomer:
    id: int
    name: str
    visible: bool = True
    billable: bool = True
    number: str | None = None
    comment: str | None = None
    country: str = "DE"
    currency: str = "EUR"
    timezone: str = "Europe/Berlin"
    color: str | None = None


@dataclass
class SimProject:
    id: int
    name: str
    customer: int
    visible: bool = True
    billable: bool = True
    global_activities: bool = True
    start: date | None = None
    end: date | None = None
    number: str | None = None
    comment: str | None = None
    order_number: str | None = None
    color: str | None = None


@dataclass
class SimActivity:
    id: int
    name: str
    project: int | None  # None = global
    visible: bool = True
    billable: bool = True
    number: str | None = None
    comment: str | None = None
    color: str | None = None


@dataclass
class SimTag:
    id: int
    name: str
    visible: bool = True
    color: str | None = None


@dataclass
class SimTimesheet:
    id: int
    user: int
    begin: datetime  # aware UTC
    end: datetime | None
    timezone: str  # the record keeps the tz it was saved with
    project: int
    activity: int
    description: str | None = None
    tags: list[str] = field(default_factory=list)
    billable: bool = True
    exported: bool = False
    hourly_rate: float = 0.0
    fixed_rate: float | None = None

    @property
    def duration(self) -> int | None:
        return None if self.end is None else int((self.end - self.begin).total_seconds())


@dataclass
class SimConfig:
    """Server-side rules (only part of it is exposed by /api/config/timesheet)."""

    tracking_mode: TrackingModeName = "default"
    allow_future_times: bool = True
    hard_limit: int = 1
    rounding: bool = True
    lockdown: tuple[datetime, datetime] | None = None  # aware; records starting inside are locked
    long_running_minutes: int = 0  # 0 = off


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str
    query: str
    json: Any
    status: int  # 0 when the connection was dropped without an answer


@dataclass(frozen=True)
class VersionInfo:
    version: str = "2.28.0"
    version_id: int = 22800


class SimulatorState:
    """A whole Kimai 2 server in memory."""

    def __init__(
        self,
        *,
        seed: SeedName = "demo",
        timezone: str = "Europe/Berlin",
        token: str = "demo-token",
        rounding: bool = True,
        version: VersionInfo | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.lock = threading.RLock()
        self.version = version or VersionInfo()
        self.config = SimConfig(rounding=rounding)
        self.faults = Faults()
        self.requests: list[RequestRecord] = []
        self.offline = False
        self._now = now or (lambda: datetime.now(UTC))
        self.users: dict[int, SimUser] = {}
        self.customers: dict[int, SimCustomer] = {}
        self.projects: dict[int, SimProject] = {}
        self.activities: dict[int, SimActivity] = {}
        self.tags: dict[int, SimTag] = {}
        self.timesheets: dict[int, SimTimesheet] = {}
        self._next: dict[str, int] = {}
        self.admin = self.add_user(
            "admin", token=token, api_password="admin-api-pass", timezone=timezone, admin=True
        )
        self.plain = self.add_user(
            "plain", token="plain-token", api_password="plain-api-pass", timezone=timezone
        )
        from kimai_tray.simulator.seeds import apply_seed  # seeds import this module

        apply_seed(self, seed)

    # -- ids, time ---------------------------------------------------------------------------
    def next_id(self, kind: str) -> int:
        self._next[kind] = self._next.get(kind, 0) + 1
        return self._next[kind]

    def now(self) -> datetime:
        return self._now()

    def set_clock(self, now: Callable[[], datetime]) -> None:
        self._now = now

    def round_begin(self, value: datetime) -> datetime:
        return floor_minute(value) if self.config.rounding else value.replace(microsecond=0)

    def round_end(self, value: datetime) -> datetime:
        return ceil_minute(value) if self.config.rounding else value.replace(microsecond=0)

    # -- users ---------------------------------------------------------------------------------
    def add_user(
        self,
        username: str,
        *,
        token: str | None = None,
        api_password: str | None = None,
        timezone: str = "Europe/Berlin",
        admin: bool = False,
        permissions: set[str] | None = None,
    ) -> SimUser:
        """Add a user; `permissions` overrides the role default (e.g. without `api_access`)."""
        with self.lock:
            perms = set(ADMIN_PERMISSIONS if admin else USER_PERMISSIONS)
            user = SimUser(
                id=self.next_id("user"),
                username=username,
                timezone=timezone,
                roles=["ROLE_SUPER_ADMIN"] if admin else [],
                permissions=perms if permissions is None else set(permissions),
                tokens={token} if token else set(),
                api_password=api_password,
            )
            self.users[user.id] = user
            return user

    def add_token(self, user_id: int, token: str) -> None:
        with self.lock:
            self.users[user_id].tokens.add(token)

    def user_by_token(self, token: str) -> SimUser | None:
        with self.lock:
            return next((u for u in self.users.values() if token in u.tokens), None)

    def set_user_timezone(self, tz_name: str, user_id: int | None = None) -> None:
        with self.lock:
            self.users[user_id or self.admin.id].timezone = tz_name

    # -- config ---------------------------------------------------------------------------------
    def set_tracking_mode(self, mode: TrackingModeName) -> None:
        with self.lock:
            self.config.tracking_mode = mode

    def set_lockdown(self, start: datetime | None, end: datetime | None = None) -> None:
        """Lock records that start in [start, end]; `None` removes the lockdown."""
        with self.lock:
            self.config.lockdown = None if start is None or end is None else (start, end)

    def set_offline(self, offline: bool = True) -> None:
        """While offline every request gets its connection dropped (the "server down" case)."""
        with self.lock:
            self.offline = offline

    # -- catalog -------------------------------------------------------------------------------
    def add_customer(self, name: str, **kw: Any) -> SimCustomer:
        with self.lock:
            c = SimCustomer(self.next_id("customer"), name, **kw)
            self.customers[c.id] = c
            return c

    def add_project(self, name: str, customer: int, **kw: Any) -> SimProject:
        with self.lock:
            p = SimProject(self.next_id("project"), name, customer, **kw)
            self.projects[p.id] = p
            return p

    def add_activity(self, name: str, project: int | None = None, **kw: Any) -> SimActivity:
        with self.lock:
            a = SimActivity(self.next_id("activity"), name, project, **kw)
            self.activities[a.id] = a
            return a

    def add_tag(self, name: str, **kw: Any) -> SimTag:
        with self.lock:
            t = SimTag(self.next_id("tag"), name, **kw)
            self.tags[t.id] = t
            return t

    def delete_activity(self, activity_id: int) -> None:
        """Like deleting in the web UI: the activity and its timesheets disappear."""
        with self.lock:
            self.activities.pop(activity_id, None)
            for ts_id in [t.id for t in self.timesheets.values() if t.activity == activity_id]:
                del self.timesheets[ts_id]

    def delete_project(self, project_id: int) -> None:
        with self.lock:
            self.projects.pop(project_id, None)
            for a_id in [a.id for a in self.activities.values() if a.project == project_id]:
                self.delete_activity(a_id)
            for ts_id in [t.id for t in self.timesheets.values() if t.project == project_id]:
                del self.timesheets[ts_id]

    # -- timesheets ----------------------------------------------------------------------------
    def running(self, user_id: int) -> list[SimTimesheet]:
        """The user's running records, newest first."""
        with self.lock:
            rows = [t for t in self.timesheets.values() if t.user == user_id and t.end is None]
            return sorted(rows, key=lambda t: (t.begin, t.id), reverse=True)

    def insert_timesheet(self, **kw: Any) -> SimTimesheet:
        with self.lock:
            ts = SimTimesheet(id=self.next_id("timesheet"), **kw)
            self.timesheets[ts.id] = ts
            return ts

    def stop_timesheet(self, ts: SimTimesheet) -> None:
        """Stop at the server's now (ceiled when rounding), never earlier than begin."""
        with self.lock:
            if ts.end is None:
                ts.end = max(self.round_end(self.now()), ts.begin)

    def enforce_hard_limit(self, user_id: int, keep: int | None = None) -> None:
        """Kimai's stopActiveEntries(): stop the oldest running records over the limit.

        `keep` is the record just saved: it always survives, even when its begin is earlier
        than the running one's (observed on 2.28)."""
        with self.lock:
            running = self.running(user_id)
            running.sort(key=lambda t: t.id != keep)  # stable: the kept one first
            for ts in running[self.config.hard_limit :]:
                self.stop_timesheet(ts)

    def start_timer(
        self,
        project: int,
        activity: int,
        *,
        user_id: int | None = None,
        description: str | None = None,
        begin: datetime | None = None,
    ) -> SimTimesheet:
        """Start a record as the web UI would (auto-stops per the hard limit)."""
        with self.lock:
            user = self.users[user_id or self.admin.id]
            ts = self.insert_timesheet(
                user=user.id,
                begin=self.round_begin(begin or self.now()),
                end=None,
                timezone=user.timezone,
                project=project,
                activity=activity,
                description=description,
            )
            self.enforce_hard_limit(user.id, keep=ts.id)
            return ts

    def stop_timer(self, user_id: int | None = None) -> list[SimTimesheet]:
        """Stop every running record of the user (web UI "stop"); returns them."""
        with self.lock:
            rows = self.running(user_id or self.admin.id)
            for ts in rows:
                self.stop_timesheet(ts)
            return rows

    def delete_timesheet(self, ts_id: int) -> None:
        with self.lock:
            self.timesheets.pop(ts_id, None)

    def is_locked(self, ts_begin: datetime) -> bool:
        lock = self.config.lockdown
        return lock is not None and lock[0] <= ts_begin <= lock[1]

    def log(self, record: RequestRecord) -> None:
        with self.lock:
            self.requests.append(record)
