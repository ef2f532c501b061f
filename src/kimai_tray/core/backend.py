"""The port core needs from a Kimai server. `api/` implements it for Kimai 2 REST and Kimai 1.

All methods raise subclasses of `kimai_tray.core.errors.BackendError`; nothing else escapes
(except `asyncio.CancelledError`). Datetimes passed in are aware; implementations convert them
to the user's Kimai timezone before sending.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

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


class KimaiBackend(Protocol):
    """Async access to one Kimai account."""

    async def version(self) -> ServerVersion: ...

    async def ping(self) -> None: ...

    async def me(self) -> User: ...

    async def timesheet_config(self) -> TimesheetConfig: ...

    async def customers(self) -> list[Customer]: ...

    async def projects(self) -> list[Project]:
        """All projects the user may see, including those outside their start/end dates."""
        ...

    async def activities(self) -> list[Activity]:
        """Project-specific and global activities."""
        ...

    async def tags(self) -> list[Tag]: ...

    async def active_timesheets(self) -> list[Timesheet]: ...

    async def recent_timesheets(self, size: int = 10) -> list[Timesheet]: ...

    async def timesheets(
        self, *, begin: datetime | None = None, end: datetime | None = None
    ) -> list[Timesheet]:
        """The user's timesheets whose begin lies in [begin, end], every page."""
        ...

    async def start_timesheet(self, draft: TimesheetDraft) -> Timesheet:
        """Create a running timesheet (draft.end is None)."""
        ...

    async def create_timesheet(self, draft: TimesheetDraft) -> Timesheet:
        """Create a finished timesheet (draft.begin and draft.end set)."""
        ...

    async def stop_timesheet(self, timesheet_id: int) -> Timesheet:
        """Stop at the server's now."""
        ...

    async def stop_timesheet_at(self, timesheet_id: int, end: datetime) -> Timesheet:
        """Stop at a given time (offline stops): PATCH `end`."""
        ...

    async def update_timesheet(self, timesheet_id: int, changes: TimesheetChanges) -> Timesheet: ...

    async def delete_timesheet(self, timesheet_id: int) -> None: ...

    async def aclose(self) -> None: ...
