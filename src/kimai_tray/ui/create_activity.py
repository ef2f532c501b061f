"""The picker's "Create activity 'X' in project Y" row and the work behind it.

Creating needs the server (Kimai assigns the id the timesheet refers to), so unlike starting a
timer this is not queued: offline, the row is shown greyed with "(needs a connection)".
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from PySide6.QtCore import QObject, Signal

from kimai_tray.core.creation import NEW_ID, suggest_creation, suggest_project
from kimai_tray.core.errors import BackendError, KimaiTrayError, PermissionDeniedError
from kimai_tray.core.models import Activity, Project
from kimai_tray.core.state import NamedRef
from kimai_tray.core.tracker import Tracker
from kimai_tray.ui.picker_model import PickerRow

log = logging.getLogger(__name__)

NOT_ALLOWED = "Your Kimai role may not create activities here; ask a Kimai administrator."
NOT_ALLOWED_PROJECT = "Your Kimai role may not create projects; ask a Kimai administrator."
NEEDS_CONNECTION = "Creating an activity needs a connection to Kimai."
NOT_SUPPORTED = "This Kimai server cannot create activities from kimai-tray."


@runtime_checkable
class CreatesActivities(Protocol):
    """The part of Kimai2Client used here (the Kimai 1 API cannot create activities)."""

    async def create_activity(self, name: str, project_id: int | None = None) -> Activity: ...

    async def create_project(self, name: str, customer_id: int) -> Project: ...


def creation_rows(
    query: str, tracker: Tracker, rows: Sequence[PickerRow], fallback_project_id: int | None
) -> list[PickerRow]:
    """The create rows for `query` when no selectable row matched ([] otherwise).

    Rows use id NEW_ID for what is to be created: the activity, or the project itself.
    """
    if not query.strip() or any(not r.inactive for r in rows):
        return []
    online = tracker.backend is not None and tracker.state.online
    suggestions = [
        suggest_creation(query, tracker.catalog, fallback_project_id, online=online),
        suggest_project(query, tracker.catalog, online=online),
    ]
    return [
        PickerRow(
            s.customer,
            s.project,
            NamedRef(NEW_ID, "" if s.creates_project else s.name),
            inactive=not s.online,
            create=s.label,
        )
        for s in suggestions
        if s is not None
    ]


class ActivityCreator(QObject):
    """Creates the activity on the server, refreshes the catalog, then starts it."""

    finished = Signal(str)  # "" on success, else the one sentence to show
    project_created = Signal(str)  # its name: the picker searches it to choose an activity

    def __init__(self, tracker: Tracker, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.tracker = tracker
        self._task: asyncio.Task[None] | None = None

    @property
    def busy(self) -> bool:
        return self._task is not None and not self._task.done()

    def create_and_start(self, row: PickerRow, description: str, tags: tuple[str, ...]) -> None:
        if self.busy:
            return
        loop = asyncio.get_running_loop()
        if row.project.id == NEW_ID:
            self._task = loop.create_task(self.run_project(row.project.name, row.customer.id))
            return
        self._task = loop.create_task(
            self.run(row.activity.name, row.project.id, description, tags)
        )

    async def run_project(self, name: str, customer_id: int) -> None:
        """Create the project; the user then picks its activity (nothing starts yet)."""
        backend = self.tracker.backend
        if backend is None or not isinstance(backend, CreatesActivities):
            self.finished.emit(NEEDS_CONNECTION if backend is None else NOT_SUPPORTED)
            return
        try:
            project = await backend.create_project(name, customer_id)
            await self.tracker.refresh_catalog()
        except PermissionDeniedError:
            self.finished.emit(NOT_ALLOWED_PROJECT)
            return
        except BackendError as exc:
            self.finished.emit(exc.user_message)
            return
        log.info("created project %d for customer %d", project.id, customer_id)
        self.project_created.emit(project.name)

    async def run(
        self, name: str, project_id: int, description: str, tags: tuple[str, ...]
    ) -> None:
        backend = self.tracker.backend
        if backend is None:
            self.finished.emit(NEEDS_CONNECTION)
            return
        if not isinstance(backend, CreatesActivities):
            self.finished.emit(NOT_SUPPORTED)
            return
        try:
            activity = await backend.create_activity(name, project_id)
        except PermissionDeniedError:
            self.finished.emit(NOT_ALLOWED)
            return
        except BackendError as exc:
            self.finished.emit(exc.user_message)
            return
        log.info("created activity %d in project %d", activity.id, project_id)
        try:
            await self.tracker.refresh_catalog()
        except BackendError as exc:  # the start still works: names fill in after a sync
            log.info("catalog refresh after create failed: %s", exc.user_message)
        try:
            self.tracker.start(project_id, activity.id, description, tags)
        except KimaiTrayError as exc:
            self.finished.emit(exc.user_message)
            return
        self.finished.emit("")
