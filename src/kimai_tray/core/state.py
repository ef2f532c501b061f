"""The one immutable state value core publishes; the tray, popup and CLI only render it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Phase(StrEnum):
    IDLE = "idle"
    RUNNING = "running"


@dataclass(frozen=True, slots=True)
class NamedRef:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class RunningEntry:
    """What runs now, as the user sees it (local knowledge: may not be on the server yet)."""

    customer: NamedRef
    project: NamedRef
    activity: NamedRef
    begin: datetime  # aware
    description: str = ""
    tags: tuple[str, ...] = ()
    timesheet_id: int | None = None  # None until the server has the record


@dataclass(frozen=True, slots=True)
class TrackerState:
    phase: Phase = Phase.IDLE
    running: RunningEntry | None = None
    pending: int = 0  # operations in the outbox not yet on the server
    failed: int = 0  # operations Kimai rejected for good (need the user)
    online: bool = False
    syncing: bool = False
    last_error: str | None = None  # one user sentence, or None

    @property
    def is_running(self) -> bool:
        return self.phase is Phase.RUNNING
