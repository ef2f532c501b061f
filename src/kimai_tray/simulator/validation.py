"""Kimai's timesheet form: field permissions, FOSRest error shape, and the entity rules."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from kimai_tray.simulator.kimai2 import SimProject, SimTimesheet, SimulatorState, SimUser
from kimai_tray.simulator.timefmt import parse_form_datetime

EXTRA_FIELDS = "This form should not contain extra fields."
INVALID_CHOICE = "The selected choice is invalid."
NOT_VALID = "This value is not valid."
NO_PROJECT = "A project needs to be selected."
END_BEFORE_BEGIN = "End date must not be earlier then start date."
LOCKED = "This period is locked, please choose a later date."
FUTURE = "The begin date cannot be in the future."

_CAMEL = re.compile(r"_([a-z])")


class FormError(Exception):
    """A 400 "Validation Failed" answer, rendered in FOSRest's FormErrorHandler shape."""

    def __init__(
        self, fields: list[str], global_errors: list[str], field_errors: dict[str, list[str]]
    ):
        super().__init__("Validation Failed")
        self.fields, self.global_errors, self.field_errors = fields, global_errors, field_errors

    def body(self) -> dict[str, Any]:
        children: dict[str, Any] = {f: {} for f in self.fields}
        for name, errs in self.field_errors.items():
            children[name] = {"errors": errs}
        errors: dict[str, Any] = {}
        if self.global_errors:
            errors["errors"] = self.global_errors
        errors["children"] = children
        return {"code": 400, "message": "Validation Failed", "errors": errors}


def camel_keys(data: dict[str, Any]) -> dict[str, Any]:
    """FOSRest's camel_keys normalizer: `fixed_rate` -> `fixedRate`."""
    return {_CAMEL.sub(lambda m: m.group(1).upper(), k): v for k, v in data.items()}


def form_fields(state: SimulatorState, user: SimUser) -> list[str]:
    """The fields the timesheet form holds for this user; anything else is an extra field."""
    fields: list[str] = []
    if state.config.tracking_mode == "default" or "view_other_timesheet" in user.permissions:
        fields += ["begin", "end"]
    fields += ["project", "activity", "description"]
    if "edit_rate" in user.permissions:
        fields += ["fixedRate", "hourlyRate"]
    if "create_other_timesheet" in user.permissions:
        fields.append("user")
    fields.append("tags")
    if "edit_export" in user.permissions:
        fields.append("exported")
    if "edit_billable" in user.permissions:
        fields.append("billable")
    return fields


@dataclass
class _Form:
    fields: list[str]
    global_errors: list[str] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def raise_if_invalid(self) -> None:
        if self.global_errors or self.errors:
            raise FormError(self.fields, self.global_errors, self.errors)


def _as_bool(value: Any) -> bool:
    # jsontoform turns false into null; YesNoType maps null/0/''/'0'/'false' to false.
    return value not in (None, False, 0, "", "0", "false")


def _as_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def apply_timesheet_form(
    state: SimulatorState,
    user: SimUser,
    raw: dict[str, Any],
    ts: SimTimesheet | None,
) -> SimTimesheet:
    """Validate a POST (`ts` None) or PATCH body and return the new/updated record (unsaved
    for POST: caller inserts). Raises FormError."""
    data = camel_keys(raw)
    form = _Form(form_fields(state, user))
    if any(k not in form.fields for k in data):
        form.global_errors.append(EXTRA_FIELDS)
        form.raise_if_invalid()
    # POST reads local strings in the user's tz; PATCH in the record's stored tz.
    read_tz = ts.timezone if ts is not None else user.timezone
    now = state.now()

    begin = ts.begin if ts else state.round_begin(now)
    if "begin" in data:
        parsed = parse_form_datetime(data["begin"], read_tz)
        if parsed is None:
            form.add("begin", NOT_VALID)
        else:
            begin = state.round_begin(parsed)
    end = ts.end if ts else None
    if "end" in data:
        if data["end"] in (None, ""):
            end = None  # PATCH with end null re-opens the record
        else:
            parsed = parse_form_datetime(data["end"], read_tz)
            if parsed is None:
                form.add("end", NOT_VALID)
            else:
                end = state.round_end(parsed)

    project_id = ts.project if ts else None
    if "project" in data:
        project_id = _as_id(data["project"]) if data["project"] not in (None, "") else None
        if project_id is None and data["project"] not in (None, ""):
            form.add("project", INVALID_CHOICE)
    project = state.projects.get(project_id) if project_id is not None else None
    if project_id is None and "project" not in form.errors:
        form.add("project", NO_PROJECT)
    elif project is None or not project.visible or not _customer_visible(state, project.customer):
        if "project" not in form.errors:
            form.add("project", INVALID_CHOICE)
        project = None

    activity_id = ts.activity if ts else None
    if "activity" in data:
        activity_id = _as_id(data["activity"])
    activity = state.activities.get(activity_id) if activity_id is not None else None
    if activity is None or not activity.visible:
        form.add("activity", INVALID_CHOICE if activity_id is not None else NOT_VALID)
    elif project is not None and not _activity_allowed(activity.project, project):
        form.add("activity", INVALID_CHOICE)

    tags = list(ts.tags) if ts else []
    if "tags" in data:
        value = data["tags"]
        if value is None or value == "":
            tags = []
        elif not isinstance(value, str):
            form.add("tags", NOT_VALID)  # a JSON array is rejected (observed on 2.28)
        else:
            known = {t.name for t in state.tags.values()}
            # Unknown names are silently dropped since 2.11 (never created).
            tags = [n for n in (p.strip() for p in value.split(",")) if n in known]

    if end is not None and end < begin:
        form.global_errors.append(END_BEFORE_BEGIN)
    if not state.config.allow_future_times and begin > now + timedelta(seconds=120):
        form.global_errors.append(FUTURE)
    if state.is_locked(begin) and "lockdown_override_timesheet" not in user.permissions:
        form.global_errors.append(LOCKED)
    if project is not None:
        local_day = begin.date()
        if project.end is not None and local_day > project.end:
            form.global_errors.append("The project is finished at that time.")
        if project.start is not None and local_day < project.start:
            form.global_errors.append("The project has not started at that time.")
    limit = state.config.long_running_minutes
    if limit and end is not None and end - begin > timedelta(minutes=limit):
        form.add("duration", f"Maximum {limit // 60}:{limit % 60:02d} hours allowed.")
    form.raise_if_invalid()
    assert project is not None and activity is not None  # guaranteed by the checks above

    billable = ts.billable if ts else _default_billable(state, project.id, activity.id)
    if "billable" in data:
        billable = _as_bool(data["billable"])
    owner = ts.user if ts else user.id
    if "user" in data and _as_id(data["user"]) in state.users:
        owner = _as_id(data["user"]) or owner
    result = SimTimesheet(
        id=ts.id if ts else 0,
        user=owner,
        begin=begin,
        end=end,
        timezone=user.timezone,  # fixTimezone(): saving resets to the user's current tz
        project=project.id,
        activity=activity.id,
        description=_text(data["description"])
        if "description" in data
        else (ts.description if ts else None),
        tags=tags,
        billable=billable,
        exported=_as_bool(data["exported"])
        if "exported" in data
        else (ts.exported if ts else False),
        hourly_rate=float(data["hourlyRate"])
        if "hourlyRate" in data
        else (ts.hourly_rate if ts else 0.0),
        fixed_rate=_opt_float(data["fixedRate"])
        if "fixedRate" in data
        else (ts.fixed_rate if ts else None),
    )
    return result


def _activity_allowed(activity_project: int | None, project: SimProject) -> bool:
    """Own activities, or globals when the project allows them."""
    if activity_project is None:
        return project.global_activities
    return activity_project == project.id


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def _opt_float(value: Any) -> float | None:
    return None if value in (None, "") else float(value)


def _customer_visible(state: SimulatorState, customer_id: int) -> bool:
    c = state.customers.get(customer_id)
    return c is not None and c.visible


def _default_billable(state: SimulatorState, project_id: int, activity_id: int) -> bool:
    p, a = state.projects[project_id], state.activities[activity_id]
    c = state.customers.get(p.customer)
    return bool(c and c.billable and p.billable and a.billable)


def validate_stop(state: SimulatorState, ts: SimTimesheet, end: datetime) -> None:
    """Service validation on stop: the long-running limit (string code per the real handler)."""
    limit = state.config.long_running_minutes
    if limit and end - ts.begin > timedelta(minutes=limit):
        raise ServiceError({"duration": [f"Maximum {limit // 60}:{limit % 60:02d} hours allowed."]})


class ServiceError(Exception):
    """ValidationFailedExceptionErrorHandler's 400: note the string code."""

    def __init__(self, children: dict[str, list[str]], message: str = "Validation Failed"):
        super().__init__(message)
        self.children, self.message = children, message

    def body(self) -> dict[str, Any]:
        kids = {k: {"errors": v} for k, v in self.children.items()}
        return {"code": "400", "message": self.message, "errors": {"children": kids}}
