"""`KimaiBackend` for Kimai 1 servers (JSON-RPC `core/json.php`), plus Kimai 1/2 detection.

Choices forced by the Kimai 1 API (shared/kimai-api-notes.md §10, kimai1 `Remote/Api.php`):
- start: `startRecord` uses the server's clock and takes no description; 1.1.0 does not return
  the id, so the running entry is read back with `getActiveRecording`. Kimai 1 cannot edit a
  running entry, so `draft.begin` (offline starts) and descriptions given at start or by an
  edit of the running entry are kept in this client (memory only) and written at stop.
- stop: `stopRecord` (server now; 1.3.5 rounds to the minute). stop at a given time (offline
  stops) rewrites the whole record with `setTimesheetRecord(doUpdate)` and the new `end`, so the
  user's real stop time is kept and a replay after a lost answer changes nothing.
- create: `setTimesheetRecord` with `commentType` 0, without which Kimai 1 fails the insert.
- Kimai 1 has no tags: tags are not sent and `tags()` is empty. Times are sent as ISO 8601 with an
  explicit UTC offset (PHP `strtotime` reads those exactly), read back from Unix timestamps.
"""

from __future__ import annotations

import logging
import ssl
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import httpx

from kimai_tray.api.errors import translate_exception
from kimai_tray.api.kimai1_held import HeldEdits
from kimai_tray.api.kimai1_rpc import (
    NO_ACTIVE_RECORDING,
    UNHANDLED,
    JsonDict,
    Kimai1MethodMissingError,
    Kimai1RefusedError,
    Kimai1Rpc,
)
from kimai_tray.core import errors
from kimai_tray.core.models import (
    Activity,
    Customer,
    Project,
    ServerVersion,
    Tag,
    Timesheet,
    TimesheetChanges,
    TimesheetConfig,
    TimesheetDraft,
    User,
)

log = logging.getLogger(__name__)

__all__ = ["Kimai1Client", "Kimai1UnsupportedError", "detect_api"]

ApiKind = Literal["kimai2", "kimai1"]


class Kimai1UnsupportedError(errors.ValidationError):
    """An operation the Kimai 1 API cannot do: a rejection of this request, never retried."""

    default_message = (
        "Kimai 1 cannot change the project, activity or begin of a running entry: "
        "stop it first, then edit it."
    )


class Kimai1Client:
    """Async Kimai 1 client implementing `kimai_tray.core.backend.KimaiBackend`."""

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        timezone: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        ca_bundle: str | None = None,
        timeout: float = 15.0,
        held_file: Path | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.username = username
        self._timezone = timezone
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            transport=transport,
            verify=ssl.create_default_context(cafile=ca_bundle) if ca_bundle else True,
            timeout=timeout,
            headers={"User-Agent": "kimai-tray"},
        )
        self._rpc = Kimai1Rpc(self._http, username, password)
        # Held in `held_file` (when given) so an app restart before the stop loses nothing.
        self._held = HeldEdits(held_file, self.base_url)
        # Descriptions of running entries, written at stop (Kimai 1 cannot edit running entries).
        self._deferred_descriptions: dict[int, str | None] = self._held.descriptions
        # Begins asked for at start (offline starts), written at stop: startRecord takes none.
        self._deferred_begins: dict[int, datetime] = self._held.begins

    def __repr__(self) -> str:
        return f"Kimai1Client({self.base_url!r}, user={self.username!r})"

    # -- server and user ------------------------------------------------------------------

    async def version(self) -> ServerVersion:
        try:
            result = await self._rpc.post("getVersion", [])
        except Kimai1MethodMissingError:
            # Releases without getVersion: all we know is that it is a Kimai 1.
            return ServerVersion("1", 10000)
        items = result.get("items") if result.get("success") is True else None
        text = str(items[0].get("version", "1")) if items and isinstance(items[0], dict) else "1"
        return ServerVersion(text, _version_id(text))

    async def ping(self) -> None:
        """Checks URL, user name and password (Kimai 1 has no anonymous ping)."""
        await self._rpc.call("getUsers")

    async def me(self) -> User:
        users = await self._list("getUsers")
        user_id = next((_int(u.get("userID")) for u in users if u.get("name") == self.username), 0)
        # Kimai 1 has no per-user zone in the API; times travel as Unix seconds / UTC offsets.
        return User(id=user_id, username=self.username, timezone=self._timezone or "UTC")

    async def timesheet_config(self) -> TimesheetConfig:
        # startRecord stops the running entry, so one active entry at a time.
        return TimesheetConfig(active_entries_hard_limit=1)

    # -- catalog ----------------------------------------------------------------------------

    async def customers(self) -> list[Customer]:
        rows = await self._list("getCustomers")
        return [
            Customer(id=_int(r.get("customerID")), name=str(r.get("name", "")), visible=_bool(r))
            for r in rows
        ]

    async def projects(self) -> list[Project]:
        return [_project(r) for r in await self._list("getProjects")]

    async def activities(self) -> list[Activity]:
        """Tasks; one bound to some projects only is listed once per project (same id)."""
        tasks = await self._list("getTasks")
        projects = await self._list("getProjects", True)
        holders: dict[int, list[int]] = {}
        for project in projects:
            for task in project.get("tasks") or []:
                if isinstance(task, dict):
                    holders.setdefault(_int(task.get("activityID")), []).append(
                        _int(project.get("projectID"))
                    )
        result: list[Activity] = []
        for task in tasks:
            aid, name, visible = (
                _int(task.get("activityID")),
                str(task.get("name", "")),
                _bool(task),
            )
            owners = holders.get(aid, [])
            if not owners or len(owners) == len(projects):
                result.append(Activity(id=aid, name=name, visible=visible))
            else:
                result += [Activity(aid, name, project_id=p, visible=visible) for p in owners]
        return result

    async def tags(self) -> list[Tag]:
        return []  # Kimai 1 has no tags

    # -- timesheets -------------------------------------------------------------------------

    async def active_timesheets(self) -> list[Timesheet]:
        try:
            rows = await self._rpc.call("getActiveRecording")
        except errors.BackendError as exc:
            if _kimai_says(exc, NO_ACTIVE_RECORDING):
                return []
            raise
        # Show what this client will write at stop, so pollers do not see the edits "undone".
        return [self._with_deferred(_timesheet(r)) for r in rows]

    async def recent_timesheets(self, size: int = 10) -> list[Timesheet]:
        """The latest entries, one per project/activity pair (like Kimai 2's `recent`)."""
        rows = await self._rpc.call("getTimesheet", "", "", -1, 0, max(50, size * 5))
        seen: set[tuple[int, int]] = set()
        result: list[Timesheet] = []
        for sheet in map(_timesheet, rows):
            pair = (sheet.project_id, sheet.activity_id)
            if pair not in seen and len(result) < size:
                seen.add(pair)
                result.append(sheet)
        return result

    async def timesheets(
        self, *, begin: datetime | None = None, end: datetime | None = None
    ) -> list[Timesheet]:
        low = _php_time(begin) if begin else ""
        high = _php_time(end) if end else ""
        sheets = [_timesheet(r) for r in await self._rpc.call("getTimesheet", low, high, -1, 0, 0)]
        # Kimai 1 filters by overlap; the protocol asks for begin within [begin, end].
        return [
            s
            for s in sheets
            if (begin is None or s.begin >= begin) and (end is None or s.begin <= end)
        ]

    async def start_timesheet(self, draft: TimesheetDraft) -> Timesheet:
        items = await self._rpc.call("startRecord", draft.project_id, draft.activity_id)
        known_id = _int(items[0].get("timeEntryID")) if items else 0
        for sheet in await self.active_timesheets():
            if known_id in (0, sheet.id):
                if draft.begin is not None and draft.begin != sheet.begin:
                    self._deferred_begins[sheet.id] = draft.begin
                if draft.description:
                    self._deferred_descriptions[sheet.id] = draft.description
                self._held.save()
                return self._with_deferred(sheet)
        # Started, but already stopped by someone else: read it by id (1.3.5) or give up.
        if known_id:
            return await self._record(known_id)
        raise errors.AmbiguousRequestError(detail="startRecord: no active recording afterwards")

    async def create_timesheet(self, draft: TimesheetDraft) -> Timesheet:
        if draft.begin is None or draft.end is None:
            raise errors.ValidationError(
                "Kimai 1 needs a begin and an end to add a finished entry.",
                detail="create_timesheet without begin/end",
                status=None,
            )
        record: JsonDict = {
            "projectId": draft.project_id,
            "taskId": draft.activity_id,
            "start": _php_time(draft.begin),
            "end": _php_time(draft.end),
            "commentType": 0,  # without it Kimai 1 answers "Failed to add entry."
        }
        if draft.description:
            record["description"] = draft.description
        items = await self._rpc.call("setTimesheetRecord", record, False)
        new_id = _int(items[0].get("id")) if items else 0
        if not new_id:
            raise errors.AmbiguousRequestError(detail="setTimesheetRecord: no id in the answer")
        return await self._record(new_id)

    async def stop_timesheet(self, timesheet_id: int) -> Timesheet:
        await self._rpc.call("stopRecord", timesheet_id)
        if timesheet_id in self._deferred_descriptions or timesheet_id in self._deferred_begins:
            # Write what Kimai 1 could not take while the entry ran.
            return await self._rewrite(timesheet_id, TimesheetChanges.of())
        return await self._record(timesheet_id)

    async def stop_timesheet_at(self, timesheet_id: int, end: datetime) -> Timesheet:
        return await self._rewrite(timesheet_id, TimesheetChanges.of(end=end))

    async def update_timesheet(self, timesheet_id: int, changes: TimesheetChanges) -> Timesheet:
        return await self._rewrite(timesheet_id, changes)

    async def delete_timesheet(self, timesheet_id: int) -> None:
        await self._rpc.call("removeTimesheetRecord", timesheet_id)
        self._deferred_descriptions.pop(timesheet_id, None)
        self._deferred_begins.pop(timesheet_id, None)
        self._held.save()

    @property
    def server_date(self) -> str | None:
        """The `Date` header of the server's last answer (for `doctor`'s clock check)."""
        return self._rpc.server_date

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- helpers ----------------------------------------------------------------------------

    def _with_deferred(self, sheet: Timesheet) -> Timesheet:
        if sheet.id in self._deferred_descriptions:
            sheet = replace(sheet, description=self._deferred_descriptions[sheet.id])
        if sheet.id in self._deferred_begins:
            sheet = replace(sheet, begin=self._deferred_begins[sheet.id])
        return sheet

    async def _list(self, method: str, *params: Any) -> list[JsonDict]:
        """A list call; Kimai 1 reports an empty list as "An unhandled error occured."."""
        try:
            return await self._rpc.call(method, *params)
        except errors.BackendError as exc:
            if _kimai_says(exc, UNHANDLED):
                return []
            raise

    async def _record(self, timesheet_id: int) -> Timesheet:
        return _timesheet(await self._raw_record(timesheet_id))

    async def _raw_record(self, timesheet_id: int) -> JsonDict:
        try:
            rows = await self._rpc.call("getTimesheetRecord", timesheet_id)
        except errors.BackendError as exc:
            if _kimai_says(exc, UNHANDLED):
                raise errors.NotFoundError(detail=f"getTimesheetRecord {timesheet_id}") from None
            raise
        if not rows:
            raise errors.NotFoundError(detail=f"getTimesheetRecord {timesheet_id}: empty")
        return rows[0]

    async def _rewrite(self, timesheet_id: int, changes: TimesheetChanges) -> Timesheet:
        """setTimesheetRecord(doUpdate) needs the whole record: read it, change, send it back."""
        row = await self._raw_record(timesheet_id)
        current = _timesheet(row)
        fields = changes.fields
        if current.is_running and "end" not in fields:
            if not fields <= {"description", "tags"}:
                raise Kimai1UnsupportedError(detail=f"update of running entry {timesheet_id}")
            if "description" in fields:
                self._deferred_descriptions[timesheet_id] = changes.description
                self._held.save()
            return self._with_deferred(current)
        if "description" not in fields and timesheet_id in self._deferred_descriptions:
            changes = replace(
                changes,
                description=self._deferred_descriptions[timesheet_id],
                fields=fields | {"description"},
            )
            fields = changes.fields
        end = changes.end if "end" in fields else current.end
        if end is None:
            raise Kimai1UnsupportedError(detail=f"update of running entry {timesheet_id}")
        begin = changes.begin if "begin" in fields and changes.begin else None
        begin = begin or self._deferred_begins.get(timesheet_id) or current.begin
        record: JsonDict = {
            "id": timesheet_id,
            "projectId": changes.project_id if "project_id" in fields else current.project_id,
            "taskId": changes.activity_id if "activity_id" in fields else current.activity_id,
            "start": _php_time(begin),
            "end": _php_time(end),
            "commentType": _int(row.get("commentType")),
        }
        if "description" in fields:
            record["description"] = changes.description or ""  # "" clears it; absent keeps it
        await self._rpc.call("setTimesheetRecord", record, True)
        self._deferred_descriptions.pop(timesheet_id, None)
        self._deferred_begins.pop(timesheet_id, None)
        self._held.save()
        return await self._record(timesheet_id)


async def detect_api(base_url: str, client: httpx.AsyncClient | None = None) -> ApiKind | None:
    """Which Kimai answers at `base_url`: GET /api/version (Kimai 2), else JSON-RPC (Kimai 1).

    Returns None when neither answers like Kimai; raises `core.errors.TransportError`
    subclasses when the server cannot be reached at all.
    """
    base = base_url.rstrip("/")
    own = client is None
    http = client or httpx.AsyncClient(timeout=15.0)
    try:
        try:
            response = await http.get(f"{base}/api/version")
        except httpx.HTTPError as exc:
            raise translate_exception(exc, "GET /api/version") from None
        # Kimai 2 answers JSON: 200 with a version, or 401/403 without credentials.
        if response.status_code in (200, 401, 403) and isinstance(_json(response), dict):
            return "kimai2"
        body = {"jsonrpc": "2.0", "method": "getVersion", "params": [], "id": 1}
        try:
            response = await http.post(f"{base}/core/json.php", json=body)
        except httpx.HTTPError as exc:
            raise translate_exception(exc, "POST /core/json.php") from None
        envelope = _json(response)
        if isinstance(envelope, dict) and ("result" in envelope or "jsonrpc" in envelope):
            return "kimai1"
        return None
    finally:
        if own:
            await http.aclose()


def _json(response: httpx.Response) -> object:
    try:
        return response.json()
    except ValueError:
        return None


def _kimai_says(exc: errors.BackendError, message: str) -> bool:
    return isinstance(exc, Kimai1RefusedError) and exc.kimai_message == message


def _int(value: object) -> int:
    # PDO hands every column over as a string.
    try:
        return int(str(value))
    except ValueError:
        return 0


def _bool(row: JsonDict) -> bool:
    return str(row.get("visible", "1")) not in ("0", "", "False", "false")


def _datetime(value: object) -> datetime:
    return datetime.fromtimestamp(_int(value), UTC)


def _php_time(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("Kimai1Client needs aware datetimes")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _version_id(text: str) -> int:
    parts = [_int(p) for p in text.split(".")[:3]]
    parts += [0] * (3 - len(parts))
    return parts[0] * 10000 + parts[1] * 100 + parts[2]


def _project(row: JsonDict) -> Project:
    return Project(
        id=_int(row.get("projectID")),
        name=str(row.get("name", "")),
        customer_id=_int(row.get("customerID")),
        customer_name=str(row.get("customerName") or ""),
        visible=_bool(row),
    )


def _timesheet(row: JsonDict) -> Timesheet:
    end = _int(row.get("end"))
    description = row.get("description")
    return Timesheet(
        id=_int(row.get("timeEntryID")),
        begin=_datetime(row.get("start")),
        project_id=_int(row.get("projectID")),
        activity_id=_int(row.get("activityID")),
        end=_datetime(end) if end else None,  # Kimai 1 stores 0 for "still running"
        description=str(description) if description else None,
        user_id=_int(row.get("userID")) or None,
        duration=_int(row.get("duration")) if end else None,
    )
