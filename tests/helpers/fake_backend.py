"""An in-memory KimaiBackend that mimics Kimai's semantics closely enough for core tests.

Rounding (floor begin, ceil end to the minute) is optional; starting a timer auto-stops the
running one at the server's now (hard limit 1); bad projects/activities give ValidationError;
faults can be injected per method: `before` (request never arrived) or `after` (applied, then
the connection broke).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TypeVar

from kimai_tray.core.clock import Clock
from kimai_tray.core.errors import (
    BackendError,
    NotFoundError,
    ServerUnreachableError,
    ValidationError,
)
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

_T = TypeVar("_T")


class SimulatedCrash(BaseException):
    """Stands in for kill -9: nothing in the app may catch it."""


WRITES = frozenset(
    {
        "start_timesheet",
        "create_timesheet",
        "stop_timesheet_at",
        "update_timesheet",
        "delete_timesheet",
        "stop_timesheet",
    }
)


@dataclass
class Fault:
    error: BackendError
    after: bool  # True: apply the request, then raise (ambiguous); False: raise before


def _floor(dt: datetime) -> datetime:
    return dt.replace(second=0, microsecond=0)


def _ceil(dt: datetime) -> datetime:
    floored = _floor(dt)
    return floored if floored == dt else floored + timedelta(minutes=1)


class FakeBackend:
    """Implements core.backend.KimaiBackend in memory."""

    def __init__(self, clock: Clock, *, rounding: bool = False) -> None:
        self.clock = clock
        self.rounding = rounding
        self.customers_: dict[int, Customer] = {1: Customer(1, "Acme")}
        self.projects_: dict[int, Project] = {
            10: Project(10, "Website", 1, "Acme"),
            11: Project(11, "Mobile", 1, "Acme"),
        }
        self.activities_: dict[int, Activity] = {
            100: Activity(100, "Design", 10),
            101: Activity(101, "Coding", None),
            102: Activity(102, "Testing", 11),
        }
        self.tags_: dict[int, Tag] = {1: Tag(1, "urgent"), 2: Tag(2, "billable")}
        self.sheets: dict[int, Timesheet] = {}
        self.calls: list[str] = []
        self.faults: dict[str, list[Fault]] = {}
        self.down = False  # every call raises ServerUnreachableError before doing anything
        self.crash_at: int | None = None  # "kill" the client at this write request (1-based)
        self.crash_after_apply = True
        self.writes = 0
        self.crashed = False
        self._next_id = 1

    # -- test controls ---------------------------------------------------------------------

    def fail(
        self, method: str, error: BackendError, *, after: bool = False, times: int = 1
    ) -> None:
        self.faults.setdefault(method, []).extend(Fault(error, after) for _ in range(times))

    def web_start(self, project_id: int, activity_id: int, description: str = "") -> Timesheet:
        """A timer started in the Kimai web UI."""
        draft = TimesheetDraft(project_id, activity_id, self.clock.now(), None, description)
        return self._create(draft)

    def web_stop(self, timesheet_id: int) -> None:
        ts = self.sheets[timesheet_id]
        self.sheets[timesheet_id] = replace(ts, end=self._end(self.clock.now()))

    def _enter(self, method: str) -> Fault | None:
        self.calls.append(method)
        if self.down:
            raise ServerUnreachableError()
        queue = self.faults.get(method)
        if queue:
            fault = queue.pop(0)
            if not fault.after:
                raise fault.error
            return fault
        return None

    def _run(self, method: str, action: Callable[[], _T]) -> _T:
        fault = self._enter(method)
        crash = False
        if method in WRITES:
            self.writes += 1
            crash = self.writes == self.crash_at
            self.crashed = self.crashed or crash
            if crash and not self.crash_after_apply:
                raise SimulatedCrash(method)
        result = action()
        if crash:
            raise SimulatedCrash(method)
        if fault is not None:
            raise fault.error
        return result

    # -- Kimai semantics --------------------------------------------------------------------

    def _begin(self, dt: datetime) -> datetime:
        dt = dt.replace(microsecond=0)
        return _floor(dt) if self.rounding else dt

    def _end(self, dt: datetime) -> datetime:
        dt = dt.replace(microsecond=0)
        return _ceil(dt) if self.rounding else dt

    def _validate(self, project_id: int, activity_id: int) -> None:
        project = self.projects_.get(project_id)
        if project is None:
            raise ValidationError(fields={"project": ["This value is not valid."]})
        activity = self.activities_.get(activity_id)
        if activity is None or not (
            activity.project_id == project_id
            or (activity.project_id is None and project.global_activities)
        ):
            raise ValidationError(fields={"activity": ["This value is not valid."]})

    def _create(self, draft: TimesheetDraft) -> Timesheet:
        self._validate(draft.project_id, draft.activity_id)
        begin = self._begin(draft.begin or self.clock.now())
        end = self._end(draft.end) if draft.end else None
        if end is not None and end < begin:
            raise ValidationError(
                form_errors=["The end date must not be earlier than the start date."]
            )
        known = {t.name for t in self.tags_.values()}
        ts = Timesheet(
            id=self._next_id,
            begin=begin,
            end=end,
            project_id=draft.project_id,
            activity_id=draft.activity_id,
            description=draft.description,
            tags=tuple(t for t in draft.tags if t in known),
        )
        self._next_id += 1
        self.sheets[ts.id] = ts
        if end is None:
            # hard_limit = 1: the older running records stop at the server's now.
            for other in list(self.sheets.values()):
                if other.id != ts.id and other.end is None:
                    self.sheets[other.id] = replace(other, end=self._end(self.clock.now()))
        return ts

    def _get(self, timesheet_id: int) -> Timesheet:
        ts = self.sheets.get(timesheet_id)
        if ts is None:
            raise NotFoundError(status=404)
        return ts

    # -- KimaiBackend ------------------------------------------------------------------------

    async def version(self) -> ServerVersion:
        return self._run("version", lambda: ServerVersion("2.65.0", 26500))

    async def ping(self) -> None:
        self._run("ping", lambda: None)

    async def me(self) -> User:
        return self._run("me", lambda: User(1, "anna", "Europe/Berlin"))

    async def timesheet_config(self) -> TimesheetConfig:
        return self._run("timesheet_config", TimesheetConfig)

    async def customers(self) -> list[Customer]:
        return self._run("customers", lambda: list(self.customers_.values()))

    async def projects(self) -> list[Project]:
        return self._run("projects", lambda: list(self.projects_.values()))

    async def activities(self) -> list[Activity]:
        return self._run("activities", lambda: list(self.activities_.values()))

    async def tags(self) -> list[Tag]:
        return self._run("tags", lambda: list(self.tags_.values()))

    async def active_timesheets(self) -> list[Timesheet]:
        return self._run(
            "active_timesheets",
            lambda: sorted((t for t in self.sheets.values() if t.end is None), key=lambda t: -t.id),
        )

    async def recent_timesheets(self, size: int = 10) -> list[Timesheet]:
        return self._run(
            "recent_timesheets", lambda: sorted(self.sheets.values(), key=lambda t: -t.id)[:size]
        )

    async def timesheets(
        self, *, begin: datetime | None = None, end: datetime | None = None
    ) -> list[Timesheet]:
        def select() -> list[Timesheet]:
            # Kimai's filter has second resolution on the record start.
            lo = begin.replace(microsecond=0) if begin else None
            hi = end.replace(microsecond=0) if end else None
            return [
                t
                for t in self.sheets.values()
                if (lo is None or t.begin >= lo) and (hi is None or t.begin <= hi)
            ]

        return self._run("timesheets", select)

    async def start_timesheet(self, draft: TimesheetDraft) -> Timesheet:
        return self._run("start_timesheet", lambda: self._create(draft))

    async def create_timesheet(self, draft: TimesheetDraft) -> Timesheet:
        assert draft.end is not None
        return self._run("create_timesheet", lambda: self._create(draft))

    async def stop_timesheet(self, timesheet_id: int) -> Timesheet:
        def stop() -> Timesheet:
            ts = self._get(timesheet_id)
            if ts.end is None:
                ts = replace(ts, end=self._end(self.clock.now()))
                self.sheets[ts.id] = ts
            return ts

        return self._run("stop_timesheet", stop)

    async def stop_timesheet_at(self, timesheet_id: int, end: datetime) -> Timesheet:
        def stop() -> Timesheet:
            ts = replace(self._get(timesheet_id), end=self._end(end))
            self.sheets[ts.id] = ts
            return ts

        return self._run("stop_timesheet_at", stop)

    async def update_timesheet(self, timesheet_id: int, changes: TimesheetChanges) -> Timesheet:
        def update() -> Timesheet:
            ts = self._get(timesheet_id)
            values: dict[str, object] = {}
            for name in changes.fields:
                values[name] = getattr(changes, name)
            if "end" in values and values["end"] is not None:
                values["end"] = self._end(values["end"])  # type: ignore[arg-type]
            ts = replace(ts, **values)  # type: ignore[arg-type]
            self.sheets[ts.id] = ts
            return ts

        return self._run("update_timesheet", update)

    async def delete_timesheet(self, timesheet_id: int) -> None:
        def delete() -> None:
            self._get(timesheet_id)
            del self.sheets[timesheet_id]

        self._run("delete_timesheet", delete)

    async def aclose(self) -> None:
        return None
