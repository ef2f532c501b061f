"""In-memory Kimai 1 (JSON-RPC `core/json.php`) with the quirks of real 1.1.0 and 1.3.5 servers.

Modelled on `libraries/Kimai/Remote/Api.php` of kimai/kimai1 and shared/kimai-api-notes.md §10:
errors are `{"success": false, "error": {"msg": ...}}` inside an HTTP 200, database values come
back as strings (PDO), empty lists are an error ("An unhandled error occured."), running entries
have `end` "0", and inserts without `commentType` fail.
"""

from __future__ import annotations

import inspect
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Literal
from zoneinfo import ZoneInfo

Kimai1Version = Literal["1.1.0", "1.3.5"]
Seed = Literal["demo", "empty"]
FaultKind = Literal["delay", "drop", "500"]

AUTH_ERROR = "Unknown user or no permissions."
UNHANDLED_ERROR = "An unhandled error occured."  # sic: Kimai 1's spelling

JsonDict = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Kimai1Options:
    """How the simulated server behaves."""

    version: Kimai1Version = "1.3.5"
    username: str = "admin"
    password: str = "changeme"  # Kimai 1's fresh-install default
    api_key_ttl: float | None = None  # seconds an apiKey stays valid; None: forever (real Kimai 1)
    timezone: str = "Europe/Berlin"  # zone strtotime() reads naive date strings in
    seed: Seed = "demo"
    # Not every Kimai 1 release has getVersion (kimai1 `Remote/Api.php` lacks it): False answers
    # "Method not found" like those servers.
    has_get_version: bool = True

    @property
    def rounds_on_stop(self) -> bool:
        return self.version == "1.3.5"


@dataclass(slots=True)
class Fault:
    """One injected failure for the next `count` calls of `method` (None: any method)."""

    kind: FaultKind
    method: str | None = None
    count: int = 1
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class LoggedCall:
    method: str
    params: tuple[Any, ...]  # the password of `authenticate` is replaced by "***"


@dataclass(slots=True)
class _Entry:
    id: int
    user_id: int
    project_id: int
    activity_id: int
    start: int
    end: int  # 0 while running, like Kimai 1's database
    description: str | None = None
    comment: str | None = None
    comment_type: int = 0


@dataclass(slots=True)
class _Project:
    id: int
    name: str
    customer_id: int
    visible: bool = True
    activity_ids: frozenset[int] = frozenset()  # empty: every activity not bound elsewhere


class RpcError(Exception):
    """A `success: false` answer; `msg` is what Kimai 1 puts in `result.error.msg`."""

    def __init__(self, msg: str) -> None:
        super().__init__(msg)
        self.msg = msg


@dataclass
class Kimai1State:
    """The simulated Kimai 1 database plus its request log and fault queue (thread-safe)."""

    options: Kimai1Options = field(default_factory=Kimai1Options)
    clock: Callable[[], float] = time.time
    request_log: list[LoggedCall] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.RLock()
        self._password = self.options.password
        self._user_id = 1
        self._api_key: str | None = None
        self._api_key_issued = 0.0
        self.customers: dict[int, tuple[str, bool]] = {}
        self.projects: dict[int, _Project] = {}
        self.activities: dict[int, tuple[str, bool]] = {}
        self.entries: dict[int, _Entry] = {}
        self._next_entry_id = 1
        if self.options.seed == "demo":
            self._seed_demo()

    def _seed_demo(self) -> None:
        # A fresh install has Test-Customer/Test-Project/testing, all id 1 (notes §10).
        self.customers = {
            1: ("Test-Customer", True),
            2: ("Acme Corp", True),
            3: ("Old Client", False),
        }
        self.activities = {
            1: ("testing", True),
            2: ("Development", True),
            3: ("Meeting", True),
            4: ("Support hotline", True),
        }
        self.projects = {
            1: _Project(1, "Test-Project", 1),
            2: _Project(2, "Website relaunch", 2),
            3: _Project(3, "Hotline", 2, activity_ids=frozenset({4})),
            4: _Project(4, "Archive", 3, visible=False),
        }

    # -- helpers for tests ("web UI" actions that bypass the API) --------------------------

    @property
    def api_key(self) -> str | None:
        """The apiKey issued to admin (tests check it never leaks)."""
        return self._api_key

    def expire_api_keys(self) -> None:
        """Invalidate the issued apiKey as if it expired; authenticate then issues a new one."""
        with self._lock:
            self._api_key = None

    def set_password(self, password: str) -> None:
        with self._lock:
            self._password = password
            self._api_key = None

    def add_fault(self, kind: FaultKind, method: str | None = None, **kw: Any) -> None:
        with self._lock:
            self.faults.append(Fault(kind, method, **kw))

    def take_fault(self, method: str) -> Fault | None:
        """The fault to apply to this call, if any (consumes one use)."""
        with self._lock:
            for fault in self.faults:
                if fault.method in (None, method):
                    fault.count -= 1
                    if fault.count <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def running_entries(self) -> list[_Entry]:
        with self._lock:
            return [e for e in self.entries.values() if e.end == 0]

    def add_entry(self, project_id: int, activity_id: int, start: int, end: int = 0) -> int:
        """Insert an entry directly (as the web UI would); returns its id."""
        with self._lock:
            entry = _Entry(self._new_id(), self._user_id, project_id, activity_id, start, end)
            self.entries[entry.id] = entry
            return entry.id

    def stop_entry(self, entry_id: int, end: int) -> None:
        """Stop a running entry directly (as the web UI would)."""
        with self._lock:
            self.entries[entry_id].end = end

    def delete_entry(self, entry_id: int) -> None:
        """Delete an entry directly (as the web UI would)."""
        with self._lock:
            self.entries.pop(entry_id, None)

    def knows_method(self, method: str) -> bool:
        """Whether this server version offers `method` (else JSON-RPC "Method not found")."""
        if method == "getVersion":
            return self.options.has_get_version
        return method in self.METHODS

    def _new_id(self) -> int:
        new_id = self._next_entry_id
        self._next_entry_id += 1
        return new_id

    # -- JSON-RPC dispatch ----------------------------------------------------------------

    # RPC name -> handler name; anything else is "Method not found".
    METHODS: ClassVar[dict[str, str]] = {
        "authenticate": "_rpc_authenticate",
        "getVersion": "_rpc_get_version",
        "getUsers": "_rpc_get_users",
        "getCustomers": "_rpc_get_customers",
        "getProjects": "_rpc_get_projects",
        "getTasks": "_rpc_get_tasks",
        "getActiveRecording": "_rpc_get_active_recording",
        "startRecord": "_rpc_start_record",
        "stopRecord": "_rpc_stop_record",
        "getTimesheet": "_rpc_get_timesheet",
        "getTimesheetRecord": "_rpc_get_timesheet_record",
        "setTimesheetRecord": "_rpc_set_timesheet_record",
        "removeTimesheetRecord": "_rpc_remove_timesheet_record",
    }

    def call(self, method: str, params: list[Any]) -> JsonDict:
        """Run one method; returns the JSON-RPC `result` object (success or Kimai-style failure)."""
        logged = tuple(params)
        if method == "authenticate" and len(params) >= 2:
            logged = (params[0], "***", *params[2:])
        with self._lock:
            self.request_log.append(LoggedCall(method, logged))
            handler = getattr(self, self.METHODS[method])
            try:
                inspect.signature(handler).bind(*params)
            except TypeError:
                # A wrong argument count ends in PHP's generic failure, not in a crash.
                return {"success": False, "error": {"msg": UNHANDLED_ERROR}}
            try:
                items = handler(*params)
            except RpcError as failure:
                return {"success": False, "error": {"msg": failure.msg}}
        return {"success": True, "items": items, "total": len(items)}

    def _require_key(self, api_key: object) -> None:
        if self._api_key is None or api_key != self._api_key:
            raise RpcError(AUTH_ERROR)
        ttl = self.options.api_key_ttl
        if ttl is not None and self.clock() - self._api_key_issued > ttl:
            self._api_key = None
            raise RpcError(AUTH_ERROR)

    def _rpc_authenticate(self, username: object, password: object) -> list[JsonDict]:
        if username != self.options.username or password != self._password:
            raise RpcError(AUTH_ERROR)
        # Real Kimai 1 hands out the user's existing key again; a new one only after expiry.
        if self._api_key is None:
            self._api_key = secrets.token_hex(12)[:25]
            self._api_key_issued = self.clock()
        return [{"apiKey": self._api_key}]

    def _rpc_get_version(self, *_: object) -> list[JsonDict]:
        return [{"version": self.options.version, "revision": "1388"}]

    def _rpc_get_users(self, api_key: object) -> list[JsonDict]:
        self._require_key(api_key)
        return [{"userID": str(self._user_id), "name": self.options.username}]

    def _rpc_get_customers(self, api_key: object) -> list[JsonDict]:
        self._require_key(api_key)
        rows = [
            {"customerID": str(cid), "name": name, "visible": "1" if visible else "0"}
            for cid, (name, visible) in sorted(self.customers.items())
        ]
        return _non_empty(rows)

    def _rpc_get_projects(self, api_key: object, include_tasks: object = False) -> list[JsonDict]:
        self._require_key(api_key)
        rows: list[JsonDict] = []
        for project in sorted(self.projects.values(), key=lambda p: p.name.lower()):
            customer_name, customer_visible = self.customers[project.customer_id]
            row: JsonDict = {
                "projectID": str(project.id),
                "customerID": str(project.customer_id),
                "name": project.name,
                "comment": "",
                "visible": "1" if project.visible else "0",
                "filter": "0",
                "trash": "0",
                "budget": "0.00",
                "effort": None,
                "approved": None,
                "internal": "0",
                "customerName": customer_name,
                "customerVisible": "1" if customer_visible else "0",
            }
            if include_tasks:
                row["tasks"] = self._tasks_of(project.id)
            rows.append(row)
        return _non_empty(rows)

    def _tasks_of(self, project_id: int) -> list[JsonDict]:
        bound = {a for p in self.projects.values() for a in p.activity_ids}
        own = self.projects[project_id].activity_ids
        return [
            _task_row(aid, name, visible)
            for aid, (name, visible) in sorted(self.activities.items())
            if aid in own or aid not in bound
        ]

    def _rpc_get_tasks(self, api_key: object, project_id: object = None) -> list[JsonDict]:
        self._require_key(api_key)
        if project_id is not None:
            pid = _as_int(project_id)
            rows = self._tasks_of(pid) if pid in self.projects else []
        else:
            rows = [
                _task_row(aid, name, visible)
                for aid, (name, visible) in sorted(self.activities.items())
            ]
        return _non_empty(rows)

    def _rpc_get_active_recording(self, api_key: object) -> list[JsonDict]:
        self._require_key(api_key)
        running = [e for e in self.entries.values() if e.end == 0 and e.user_id == self._user_id]
        if not running:
            raise RpcError("No active recording.")
        row = self._entry_row(running[0])
        keys = ("timeEntryID", "activityID", "projectID", "start", "end", "duration")
        current: JsonDict = {k: row[k] for k in keys}
        current["servertime"] = int(self.clock())
        for key in ("customerID", "customerName", "projectName", "activityName"):
            current[key] = row[key]
        return [current]

    def _rpc_start_record(
        self, api_key: object, project_id: object, activity_id: object
    ) -> list[JsonDict]:
        self._require_key(api_key)
        pid, aid = _as_int(project_id), _as_int(activity_id)
        if pid not in self.projects or aid not in self.activities:
            raise RpcError("Invalid project or task")
        now = int(self.clock())
        # The buzzer: starting stops whatever the user was recording.
        for entry in self.entries.values():
            if entry.end == 0 and entry.user_id == self._user_id:
                entry.end = max(now, entry.start + 1)
        entry = _Entry(self._new_id(), self._user_id, pid, aid, now, 0)
        self.entries[entry.id] = entry
        if self.options.version == "1.1.0":
            return []  # 1.1.0 does not tell the id: clients must read getActiveRecording
        return [{"timeEntryID": entry.id}]

    def _rpc_stop_record(self, api_key: object, entry_id: object) -> list[JsonDict]:
        self._require_key(api_key)
        entry = self.entries.get(_as_int(entry_id))
        if entry is None or entry.end != 0:
            raise RpcError("Unable to stop, not recording?")
        entry.end = int(self.clock())
        if self.options.rounds_on_stop:
            # 1.3.5 rounds both ends to the nearest minute when stopping.
            entry.start = _round_minute(entry.start)
            entry.end = max(_round_minute(entry.end), entry.start)
        return []

    def _rpc_get_timesheet(
        self,
        api_key: object,
        from_: object = 0,
        to: object = 0,
        cleared: object = -1,
        start: object = 0,
        limit: object = 0,
    ) -> list[JsonDict]:
        self._require_key(api_key)
        begin, end = self._strtotime(from_) or 0, self._strtotime(to) or 0
        rows = [
            e
            for e in self.entries.values()
            if e.user_id == self._user_id
            and (not begin or e.end == 0 or e.end > begin)
            and (not end or e.start < end)
        ]
        rows.sort(key=lambda e: (e.start, e.id), reverse=True)
        first, count = _as_int(start), _as_int(limit)
        rows = rows[first : first + count] if count else rows[first:]
        return [self._entry_row(e) for e in rows]

    def _rpc_get_timesheet_record(self, api_key: object, entry_id: object) -> list[JsonDict]:
        self._require_key(api_key)
        eid = _as_int(entry_id)
        if not eid:
            raise RpcError("Invalid ID")
        entry = self.entries.get(eid)
        if entry is None:
            raise RpcError(UNHANDLED_ERROR)
        return [self._entry_row(entry)]

    def _rpc_set_timesheet_record(
        self, api_key: object, record: object, do_update: object = False
    ) -> list[JsonDict]:
        self._require_key(api_key)
        if not isinstance(record, dict) or not record:
            raise RpcError("Invalid record")
        pid = _as_int(record.get("projectId"))
        if not pid:
            raise RpcError("Invalid projectId.")
        aid = _as_int(record.get("taskId"))
        if not aid:
            raise RpcError("Invalid taskId.")
        begin = self._strtotime(record.get("start")) or 0
        end = self._strtotime(record.get("end")) or 0
        if begin <= 0 or end <= 0 or end - begin <= 0:
            raise RpcError("Invalid from/to, make sure there is at least a second difference.")
        changes: JsonDict = {"project_id": pid, "activity_id": aid, "start": begin, "end": end}
        for key, attr in (("description", "description"), ("comment", "comment")):
            if record.get(key) is not None:
                changes[attr] = str(record[key])
        if record.get("commentType") is not None:
            changes["comment_type"] = _as_int(record["commentType"])
        if do_update:
            eid = _as_int(record.get("id"))
            if not eid:
                raise RpcError("Performed an update, but missing id property.")
            entry = self.entries.get(eid)
            # Real Kimai 1 answers success even when the id does not exist.
            if entry is not None:
                for attr, value in changes.items():
                    setattr(entry, attr, value)
            return []
        if "comment_type" not in changes:
            # The column is NOT NULL without default: the INSERT fails (notes §10).
            raise RpcError("Failed to add entry.")
        entry = _Entry(self._new_id(), self._user_id, **changes)
        self.entries[entry.id] = entry
        return [{"id": entry.id}]

    def _rpc_remove_timesheet_record(self, api_key: object, entry_id: object) -> list[JsonDict]:
        self._require_key(api_key)
        if self.entries.pop(_as_int(entry_id), None) is None:
            raise RpcError("Invalid ID")
        return []

    def _entry_row(self, entry: _Entry) -> JsonDict:
        project = self.projects[entry.project_id]
        customer_name = self.customers[project.customer_id][0]
        duration = entry.end - entry.start if entry.end else 0
        return {
            "timeEntryID": str(entry.id),
            "start": str(entry.start),
            "end": str(entry.end),
            "duration": str(duration),
            "formattedDuration": f"{duration // 3600}:{duration % 3600 // 60:02d}",
            "wage": "0.00",
            "rate": "0.00",
            "userID": str(entry.user_id),
            "userName": self.options.username,
            "customerID": str(project.customer_id),
            "customerName": customer_name,
            "projectID": str(project.id),
            "projectName": project.name,
            "activityID": str(entry.activity_id),
            "activityName": self.activities[entry.activity_id][0],
            "description": entry.description,
            "comment": entry.comment,
            "commentType": str(entry.comment_type),
            "location": None,
            "trackingNumber": None,
            "statusID": "1",
            "billable": "0",
            "cleared": "0",
        }

    def _strtotime(self, value: object) -> int | None:
        """The subset of PHP's strtotime() clients use: `@unix`, ISO 8601, `Y-m-d[ H:i[:s]]`."""
        if isinstance(value, bool) or value is None:
            return None
        text = str(value).strip()
        if match := re.fullmatch(r"@(-?\d+)", text):
            return int(match.group(1))
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=ZoneInfo(self.options.timezone))
        return int(parsed.timestamp())


def _task_row(aid: int, name: str, visible: bool) -> JsonDict:
    return {
        "activityID": str(aid),
        "name": name,
        "visible": "1" if visible else "0",
        "budget": "0.00",
        "approved": None,
        "effort": None,
    }


def _non_empty(rows: list[JsonDict]) -> list[JsonDict]:
    # Kimai 1 reports an empty list as a failure.
    if not rows:
        raise RpcError(UNHANDLED_ERROR)
    return rows


def _as_int(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        return 0


def _round_minute(ts: int) -> int:
    return (ts + 30) // 60 * 60
