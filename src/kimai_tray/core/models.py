"""Kimai's nouns as frozen dataclasses.

Every datetime is timezone-aware. Every field Kimai may send as null is optional.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class ServerVersion:
    version: str
    version_id: int  # major*10000 + minor*100 + patch, as Kimai sends it

    @property
    def supports_bearer_tokens(self) -> bool:
        return self.version_id >= 21400


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    timezone: str  # IANA name, e.g. "Europe/Berlin": the zone Kimai reads our local strings in
    language: str | None = None
    alias: str | None = None
    first_weekday: str | None = None  # Kimai preference "monday"/"sunday"; None when unknown


class TrackingMode(StrEnum):
    DEFAULT = "default"
    PUNCH = "punch"
    DURATION_FIXED_BEGIN = "duration_fixed_begin"


@dataclass(frozen=True, slots=True)
class TimesheetConfig:
    tracking_mode: TrackingMode = TrackingMode.DEFAULT
    default_begin_time: str = "now"
    active_entries_hard_limit: int = 1
    allow_future_times: bool = True
    allow_overlapping: bool = True

    @property
    def may_send_times(self) -> bool:
        """Whether a plain user may send `begin`/`end` (else Kimai says "extra fields")."""
        return self.tracking_mode is TrackingMode.DEFAULT


@dataclass(frozen=True, slots=True)
class Customer:
    id: int
    name: str
    visible: bool = True


@dataclass(frozen=True, slots=True)
class Project:
    id: int
    name: str
    customer_id: int
    customer_name: str = ""
    visible: bool = True
    global_activities: bool = True
    start: date | None = None
    end: date | None = None

    def is_active_on(self, day: date) -> bool:
        """False outside the project's start/end window (the UI greys such projects out)."""
        if self.start is not None and day < self.start:
            return False
        return not (self.end is not None and day > self.end)


@dataclass(frozen=True, slots=True)
class Activity:
    id: int
    name: str
    project_id: int | None = None  # None: a global activity, usable in every project that allows it
    visible: bool = True

    @property
    def is_global(self) -> bool:
        return self.project_id is None


@dataclass(frozen=True, slots=True)
class Tag:
    id: int
    name: str
    visible: bool = True


@dataclass(frozen=True, slots=True)
class Timesheet:
    """A timesheet as the server stored it (times are what Kimai returned, rounding included)."""

    id: int
    begin: datetime
    project_id: int
    activity_id: int
    end: datetime | None = None
    description: str | None = None
    tags: tuple[str, ...] = ()
    user_id: int | None = None
    duration: int | None = None

    @property
    def is_running(self) -> bool:
        return self.end is None


@dataclass(frozen=True, slots=True)
class TimesheetDraft:
    """What the client asks Kimai to create: running when `end` is None."""

    project_id: int
    activity_id: int
    begin: datetime | None = None  # None: let the server use its "now" (punch mode)
    end: datetime | None = None
    description: str | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TimesheetChanges:
    """A partial update. Only fields that are not UNSET are sent."""

    begin: datetime | None = None
    end: datetime | None = None
    project_id: int | None = None
    activity_id: int | None = None
    description: str | None = None
    tags: tuple[str, ...] | None = None
    fields: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def of(cls, **values: object) -> TimesheetChanges:
        """Build changes from keyword arguments; the keys given are the fields sent."""
        return cls(fields=frozenset(values), **values)  # type: ignore[arg-type]
