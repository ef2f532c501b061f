"""JSON shapes of Kimai 2 entities (collections use ids, expanded forms nest objects)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from kimai_tray.simulator.kimai2 import (
    SimActivity,
    SimCustomer,
    SimProject,
    SimTag,
    SimTimesheet,
    SimulatorState,
    SimUser,
)
from kimai_tray.simulator.timefmt import format_kimai

JSON = dict[str, Any]


def _color(color: str | None) -> str:
    return color or "#3b82f6"  # Kimai derives a "safe" colour when none is set


def user_json(u: SimUser) -> JSON:
    return {
        "id": u.id,
        "username": u.username,
        "alias": None,
        "title": None,
        "email": f"{u.username}@example.com",
        "enabled": True,
        "apiToken": False,  # means the legacy API password, even with Bearer (observed)
        "systemAccount": False,
        "color": None,
        "color-safe": "#3b82f6",
        "avatar": None,
        "accountNumber": None,
        "initials": u.username[:2].upper(),
        "language": "en",
        "locale": "en",
        "timezone": u.timezone,
        "supervisor": None,
        "teams": [],
        "roles": list(u.roles),
        "memberships": [],
        "preferences": [
            {"name": "timezone", "value": u.timezone},
            {"name": "first_weekday", "value": u.first_weekday},
        ],
    }


def customer_json(c: SimCustomer) -> JSON:
    return {
        "id": c.id,
        "name": c.name,
        "visible": c.visible,
        "billable": c.billable,
        "number": c.number,
        "comment": c.comment,
        "currency": c.currency,
        "country": c.country,
        "language": None,
        "company": None,
        "homepage": None,
        "timezone": c.timezone,
        "fax": None,
        "mobile": None,
        "phone": None,
        "color": c.color,
        "color-safe": _color(c.color),
        "metaFields": [],
        "teams": [],
    }


def _project_date(value: date | None, tz_name: str) -> str | None:
    if value is None:
        return None
    return format_kimai(datetime.combine(value, time(), ZoneInfo(tz_name)), tz_name)


def project_json(state: SimulatorState, p: SimProject, tz_name: str, *, expand: bool) -> JSON:
    customer = state.customers.get(p.customer)
    body: JSON = {
        "id": p.id,
        "name": p.name,
        "parentTitle": customer.name if customer else None,
        "customer": customer_json(customer) if expand and customer else p.customer,
        "visible": p.visible,
        "billable": p.billable,
        "globalActivities": p.global_activities,
        "number": p.number,
        "orderNumber": p.order_number,
        "orderDate": None,
        "comment": p.comment,
        "start": _project_date(p.start, tz_name),
        "end": _project_date(p.end, tz_name),
        "color": p.color,
        "color-safe": _color(p.color),
        "metaFields": [],
        "teams": [],
    }
    return body


def activity_json(state: SimulatorState, a: SimActivity, tz_name: str, *, expand: bool) -> JSON:
    project = state.projects.get(a.project) if a.project is not None else None
    proj: Any = a.project
    if expand:
        proj = project_json(state, project, tz_name, expand=True) if project else None
    return {
        "id": a.id,
        "name": a.name,
        "project": proj,
        "parentTitle": project.name if project else None,
        "visible": a.visible,
        "billable": a.billable,
        "number": a.number,
        "comment": a.comment,
        "color": a.color,
        "color-safe": _color(a.color),
        "metaFields": [],
        "teams": [],
    }


def tag_json(t: SimTag) -> JSON:
    return {
        "id": t.id,
        "name": t.name,
        "color": t.color,
        "color-safe": _color(t.color),
        "visible": t.visible,
    }


def timesheet_json(state: SimulatorState, t: SimTimesheet, *, expand: bool = False) -> JSON:
    tz = t.timezone
    body: JSON = {
        "id": t.id,
        "begin": format_kimai(t.begin, tz),
        "end": format_kimai(t.end, tz),
        "duration": t.duration if t.end is not None else 0,
        "break": 0,
        "description": t.description,
        "tags": list(t.tags),
        "metaFields": [],
        "exported": t.exported,
        "billable": t.billable,
        "rate": _rate(t),
        "internalRate": _rate(t),
        "fixedRate": t.fixed_rate,
        "hourlyRate": t.hourly_rate,
        "activity": t.activity,
        "project": t.project,
        "user": t.user,
    }
    if expand:
        act, proj, user = (
            state.activities.get(t.activity),
            state.projects.get(t.project),
            state.users.get(t.user),
        )
        body["activity"] = activity_json(state, act, tz, expand=True) if act else None
        body["project"] = project_json(state, proj, tz, expand=True) if proj else None
        body["user"] = user_json(user) if user else None
    return body


def _rate(t: SimTimesheet) -> float:
    if t.fixed_rate is not None:
        return t.fixed_rate
    return round((t.duration or 0) / 3600 * t.hourly_rate, 2)
