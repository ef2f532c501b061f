"""Kimai 2 REST handlers. Each runs synchronously under `state.lock` and returns a `Reply`."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from kimai_tray.simulator import serialize as ser
from kimai_tray.simulator.kimai2 import SimTimesheet, SimulatorState, SimUser
from kimai_tray.simulator.timefmt import parse_query_datetime
from kimai_tray.simulator.validation import (
    FormError,
    ServiceError,
    apply_timesheet_form,
    camel_keys,
    validate_stop,
)

EMPTY = object()  # marker: reply with an empty body


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Ctx:
    state: SimulatorState
    user: SimUser
    query: dict[str, list[str]]
    raw_body: bytes
    ids: tuple[int, ...]

    def q(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None

    def json(self) -> dict[str, Any]:
        """The decoded body; a malformed or non-object body is a plain 400 Bad Request."""
        try:
            data = json.loads(self.raw_body or b"{}")
        except ValueError:
            raise HttpError(400, "Bad Request") from None
        if not isinstance(data, dict):
            raise HttpError(400, "Bad Request")
        return data


class HttpError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def error(status: int, message: str) -> Reply:
    return Reply(status, {"code": status, "message": message})


# -- status, user, config -----------------------------------------------------------------------
def ping(ctx: Ctx) -> Reply:
    return Reply(200, {"message": "pong"})


def version(ctx: Ctx) -> Reply:
    v = ctx.state.version
    copyright_ = f"Kimai {v.version} by Kevin Papst."
    return Reply(200, {"version": v.version, "versionId": v.version_id, "copyright": copyright_})


def users_me(ctx: Ctx) -> Reply:
    return Reply(200, ser.user_json(ctx.user))


def config_timesheet(ctx: Ctx) -> Reply:
    c = ctx.state.config
    return Reply(
        200,
        {
            "trackingMode": c.tracking_mode,
            "defaultBeginTime": "now",
            "activeEntriesHardLimit": c.hard_limit,
            "isAllowFutureTimes": c.allow_future_times,
            "isAllowOverlapping": True,
        },
    )


# -- catalog --------------------------------------------------------------------------------------
def _visible_filter(ctx: Ctx) -> Callable[[bool], bool]:
    mode = ctx.q("visible") or "1"
    if mode not in ("1", "2", "3"):
        raise HttpError(400, "Bad Request")
    return {"1": lambda v: v, "2": lambda v: not v, "3": lambda v: True}[mode]


def _order(
    ctx: Ctx, rows: list[Any], keys: dict[str, Callable[[Any], Any]], default: str
) -> list[Any]:
    order_by = ctx.q("orderBy") or default
    if order_by not in keys:
        raise HttpError(400, "Bad Request")
    order = (ctx.q("order") or "ASC").upper()
    if order not in ("ASC", "DESC"):
        raise HttpError(400, "Bad Request")
    return sorted(rows, key=keys[order_by], reverse=order == "DESC")


def _term(ctx: Ctx) -> str:
    return (ctx.q("term") or "").lower()


def customers_list(ctx: Ctx) -> Reply:
    vis, term = _visible_filter(ctx), _term(ctx)
    rows = [c for c in ctx.state.customers.values() if vis(c.visible) and term in c.name.lower()]
    rows = _order(ctx, rows, {"id": lambda c: c.id, "name": lambda c: c.name.lower()}, "name")
    return Reply(200, [ser.customer_json(c) for c in rows])


def _form_fail(fields: list[str], errs: dict[str, list[str]]) -> FormError:
    return FormError(fields, [], errs)


def _check_extra(data: dict[str, Any], fields: list[str]) -> None:
    if any(k not in fields for k in data):
        raise FormError(fields, ["This form should not contain extra fields."], {})


def _name(data: dict[str, Any], fields: list[str], lo: int, hi: int) -> str:
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise _form_fail(fields, {"name": ["This value should not be blank."]})
    if not lo <= len(name) <= hi:
        raise _form_fail(
            fields, {"name": [f"This value is too short. It should have {lo} characters or more."]}
        )
    return name


def _flag(data: dict[str, Any], key: str, default: bool = False) -> bool:
    # Omitted booleans are stored as false on create (observed on 2.28): the form maps null
    # (and JSON false) to false.
    if key not in data:
        return default
    return data[key] not in (None, False, 0, "", "0", "false")


def _require(ctx: Ctx, permission: str) -> None:
    if permission not in ctx.user.permissions:
        raise HttpError(403, "Forbidden")


_CUSTOMER_FIELDS = [
    "name",
    "number",
    "comment",
    "company",
    "country",
    "currency",
    "timezone",
    "email",
    "phone",
    "homepage",
    "color",
    "visible",
    "billable",
]


def customers_create(ctx: Ctx) -> Reply:
    _require(ctx, "create_customer")
    data = camel_keys(ctx.json())
    _check_extra(data, _CUSTOMER_FIELDS)
    name = _name(data, _CUSTOMER_FIELDS, 2, 150)
    c = ctx.state.add_customer(
        name,
        visible=_flag(data, "visible"),
        billable=_flag(data, "billable"),
        number=data.get("number"),
        comment=data.get("comment"),
        country=data.get("country") or "DE",
        currency=data.get("currency") or "EUR",
        timezone=data.get("timezone") or "Europe/Berlin",
        color=data.get("color"),
    )
    return Reply(200, ser.customer_json(c))


def _bool_param(ctx: Ctx, name: str, allowed: tuple[str, ...]) -> str | None:
    value = ctx.q(name)
    if value is not None and value not in allowed:
        raise HttpError(400, "Bad Request")
    return value


def _int_param(ctx: Ctx, name: str) -> int | None:
    value = ctx.q(name)
    if value is None or value == "":
        return None
    if not value.isdigit():
        raise HttpError(400, "Bad Request")
    return int(value)


def projects_list(ctx: Ctx) -> Reply:
    st = ctx.state
    vis, term = _visible_filter(ctx), _term(ctx)
    ignore_dates = _bool_param(ctx, "ignoreDates", ("1",)) == "1"
    customer = _int_param(ctx, "customer")
    globals_ = _bool_param(ctx, "globalActivities", ("0", "1"))
    today = st.now().astimezone(ZoneInfo(ctx.user.timezone)).date()
    rows = []
    for p in st.projects.values():
        cust = st.customers.get(p.customer)
        if (
            cust is None
            or not vis(p.visible)
            or (
                ctx.q("visible") in (None, "1") and not cust.visible
            )  # default list: visible parent
        ):
            continue
        if customer is not None and p.customer != customer:
            continue
        if globals_ is not None and p.global_activities != (globals_ == "1"):
            continue
        if term and term not in p.name.lower():
            continue
        # Without start/end the query uses "now": not-yet-started and ended projects are hidden.
        if not ignore_dates and ((p.start and p.start > today) or (p.end and p.end < today)):
            continue
        rows.append(p)
    keys: dict[str, Callable[[Any], Any]] = {
        "id": lambda p: p.id,
        "name": lambda p: p.name.lower(),
        "customer": lambda p: st.customers[p.customer].name.lower(),
    }
    rows = _order(ctx, rows, keys, "name")
    tz = ctx.user.timezone
    return Reply(200, [ser.project_json(st, p, tz, expand=False) for p in rows])


_PROJECT_FIELDS = [
    "name",
    "customer",
    "number",
    "comment",
    "orderNumber",
    "orderDate",
    "start",
    "end",
    "color",
    "globalActivities",
    "visible",
    "billable",
]


def projects_create(ctx: Ctx) -> Reply:
    _require(ctx, "create_project")
    data = camel_keys(ctx.json())
    _check_extra(data, _PROJECT_FIELDS)
    name = _name(data, _PROJECT_FIELDS, 2, 150)
    cust_id = data.get("customer")
    if not isinstance(cust_id, int) or cust_id not in ctx.state.customers:
        raise _form_fail(_PROJECT_FIELDS, {"customer": ["The selected choice is invalid."]})
    p = ctx.state.add_project(
        name,
        cust_id,
        visible=_flag(data, "visible"),
        billable=_flag(data, "billable"),
        global_activities=_flag(data, "globalActivities"),
        number=data.get("number"),
        comment=data.get("comment"),
        order_number=data.get("orderNumber"),
        color=data.get("color"),
    )
    return Reply(200, ser.project_json(ctx.state, p, ctx.user.timezone, expand=False))


def activities_list(ctx: Ctx) -> Reply:
    st = ctx.state
    vis, term = _visible_filter(ctx), _term(ctx)
    project = _int_param(ctx, "project")
    projects = [int(v) for v in ctx.query.get("projects[]", []) if v.isdigit()]
    globals_ = _bool_param(ctx, "globals", ("0", "1", "true", "false"))
    only_globals = globals_ in ("1", "true")
    rows = []
    for a in st.activities.values():
        if not vis(a.visible) or (term and term not in a.name.lower()):
            continue
        if only_globals:
            if a.project is not None:
                continue
        elif project is not None:
            proj = st.projects.get(project)
            own = a.project == project
            glob = a.project is None and proj is not None and proj.global_activities
            if not (own or glob):
                continue
        elif projects:
            if not (a.project is None or a.project in projects):
                continue
        elif a.project is not None and ctx.q("visible") in (None, "1"):
            parent = st.projects.get(a.project)
            cust = st.customers.get(parent.customer) if parent else None
            if parent is None or not parent.visible or cust is None or not cust.visible:
                continue
        rows.append(a)
    keys: dict[str, Callable[[Any], Any]] = {
        "id": lambda a: a.id,
        "name": lambda a: a.name.lower(),
        "project": lambda a: (a.project or 0, a.name.lower()),
    }
    rows = _order(ctx, rows, keys, "name")
    tz = ctx.user.timezone
    return Reply(200, [ser.activity_json(st, a, tz, expand=False) for a in rows])


_ACTIVITY_FIELDS = ["name", "project", "number", "comment", "color", "visible", "billable"]


def activities_create(ctx: Ctx) -> Reply:
    _require(ctx, "create_activity")
    data = camel_keys(ctx.json())
    _check_extra(data, _ACTIVITY_FIELDS)
    name = _name(data, _ACTIVITY_FIELDS, 2, 150)
    project = data.get("project")
    if project is not None and (not isinstance(project, int) or project not in ctx.state.projects):
        raise _form_fail(_ACTIVITY_FIELDS, {"project": ["The selected choice is invalid."]})
    a = ctx.state.add_activity(
        name,
        project,
        visible=_flag(data, "visible"),
        billable=_flag(data, "billable"),
        number=data.get("number"),
        comment=data.get("comment"),
        color=data.get("color"),
    )
    return Reply(200, ser.activity_json(ctx.state, a, ctx.user.timezone, expand=False))


def tags_find(ctx: Ctx) -> Reply:
    name = ctx.q("name")
    if name is None:
        return Reply(200, [])
    rows = [t for t in ctx.state.tags.values() if t.visible and name.lower() in t.name.lower()]
    return Reply(200, [ser.tag_json(t) for t in sorted(rows, key=lambda t: t.name.lower())])


def tags_list(ctx: Ctx) -> Reply:
    name = (ctx.q("name") or "").lower()
    rows = [t.name for t in ctx.state.tags.values() if t.visible and name in t.name.lower()]
    return Reply(200, sorted(rows))


_TAG_FIELDS = ["name", "color", "visible"]


def tags_create(ctx: Ctx) -> Reply:
    _require(ctx, "create_tag")
    data = camel_keys(ctx.json())
    _check_extra(data, _TAG_FIELDS)
    name = _name(data, _TAG_FIELDS, 2, 100)
    if "," in name:
        raise _form_fail(_TAG_FIELDS, {"name": ["This value is not valid."]})
    if any(t.name == name for t in ctx.state.tags.values()):
        raise _form_fail(_TAG_FIELDS, {"name": ["This value is already used."]})
    t = ctx.state.add_tag(name, visible=_flag(data, "visible"), color=data.get("color"))
    return Reply(200, ser.tag_json(t))


# -- timesheets -----------------------------------------------------------------------------------
def _full(ctx: Ctx) -> bool:
    return _bool_param(ctx, "full", ("0", "1", "true", "false")) in ("1", "true")


def _own(ctx: Ctx, write: bool = False) -> SimTimesheet:
    ts = ctx.state.timesheets.get(ctx.ids[0])
    if ts is None:
        raise HttpError(404, "Not Found")
    if ts.user != ctx.user.id and "view_other_timesheet" not in ctx.user.permissions:
        raise HttpError(403, "Forbidden")
    if write:
        if ts.exported and "edit_export" not in ctx.user.permissions:
            raise HttpError(403, "Forbidden")
        locked = ctx.state.is_locked(ts.begin)
        if locked and "lockdown_override_timesheet" not in ctx.user.permissions:
            raise HttpError(403, "Forbidden")
    return ts


def _query_dt(ctx: Ctx, name: str) -> datetime | None:
    value = ctx.q(name)
    if value is None:
        return None
    parsed = parse_query_datetime(value, ctx.user.timezone)
    if parsed is None:
        raise HttpError(400, "Bad Request")
    return parsed


def timesheets_list(ctx: Ctx) -> Reply:
    st = ctx.state
    begin, end = _query_dt(ctx, "begin"), _query_dt(ctx, "end")
    active = _bool_param(ctx, "active", ("0", "1"))
    full = _full(ctx)
    page = _int_param(ctx, "page") or 1
    size = _int_param(ctx, "size")
    size = 50 if size is None or size < 1 else min(size, 500)  # 2.45+: clamped, not 400
    filters = {k: _int_param(ctx, k) for k in ("project", "activity", "customer")}
    user_ids = {ctx.user.id}
    user_param = ctx.q("user")
    if user_param and "view_other_timesheet" in ctx.user.permissions:
        # Without view_other_timesheet the parameter is silently ignored (observed).
        user_ids = (
            set(st.users)
            if user_param == "all"
            else {int(user_param)}
            if user_param.isdigit()
            else user_ids
        )
    rows = []
    for t in st.timesheets.values():
        if t.user not in user_ids:
            continue
        # Both filters compare against the record start.
        if (begin and t.begin < begin) or (end and t.begin > end):
            continue
        if active == "1" and t.end is not None:
            continue
        if active == "0" and t.end is None:
            continue
        if filters["project"] is not None and t.project != filters["project"]:
            continue
        if filters["activity"] is not None and t.activity != filters["activity"]:
            continue
        if filters["customer"] is not None:
            proj = st.projects.get(t.project)
            if proj is None or proj.customer != filters["customer"]:
                continue
        rows.append(t)
    order_by = ctx.q("orderBy") or "begin"
    keys: dict[str, Callable[[SimTimesheet], Any]] = {
        "id": lambda t: (t.id,),
        "begin": lambda t: (t.begin, t.id),  # id tie-breaker as in 2.63+
        "end": lambda t: (t.end or datetime.max.replace(tzinfo=t.begin.tzinfo), t.id),
        "rate": lambda t: (ser._rate(t), t.id),
    }
    order = (ctx.q("order") or "DESC").upper()
    if order_by not in keys or order not in ("ASC", "DESC"):
        raise HttpError(400, "Bad Request")
    rows.sort(key=keys[order_by], reverse=order == "DESC")
    total = len(rows)
    pages = max(1, math.ceil(total / size))
    if page > pages:
        raise HttpError(404, "Not Found")
    chunk = rows[(page - 1) * size : page * size]
    headers = {
        "X-Page": str(page),
        "X-Total-Count": str(total),
        "X-Total-Pages": str(pages),
        "X-Per-Page": str(size),
    }
    return Reply(200, [ser.timesheet_json(st, t, expand=full) for t in chunk], headers)


def timesheets_get(ctx: Ctx) -> Reply:
    return Reply(200, ser.timesheet_json(ctx.state, _own(ctx)))


def timesheets_create(ctx: Ctx) -> Reply:
    st, full = ctx.state, _full(ctx)
    draft = apply_timesheet_form(st, ctx.user, ctx.json(), None)
    if draft.end is None:
        # The auto-stop runs in the same transaction: if stopping an older record fails its
        # validation (long-running limit), the whole POST is rolled back.
        for older in st.running(draft.user)[max(st.config.hard_limit - 1, 0) :]:
            try:
                validate_stop(st, older, max(st.round_end(st.now()), older.begin))
            except ServiceError as exc:
                raise ServiceError(exc.children, "Cannot stop running timesheet") from None
    ts = st.insert_timesheet(**{k: v for k, v in vars(draft).items() if k != "id"})
    if ts.end is None:
        # hard_limit: older running records are stopped at the SERVER's now, not at our begin.
        st.enforce_hard_limit(ts.user, keep=ts.id)
    return Reply(200, ser.timesheet_json(st, ts, expand=full))


def timesheets_patch(ctx: Ctx) -> Reply:
    st = ctx.state
    ts = _own(ctx, write=True)
    updated = apply_timesheet_form(st, ctx.user, ctx.json(), ts)
    st.timesheets[ts.id] = replace(updated, id=ts.id)
    if updated.end is None:
        st.enforce_hard_limit(updated.user, keep=ts.id)
    return Reply(200, ser.timesheet_json(st, st.timesheets[ts.id]))


def timesheets_delete(ctx: Ctx) -> Reply:
    ts = _own(ctx, write=True)
    ctx.state.delete_timesheet(ts.id)
    return Reply(204, EMPTY)


def timesheets_active(ctx: Ctx) -> Reply:
    st = ctx.state
    return Reply(200, [ser.timesheet_json(st, t, expand=True) for t in st.running(ctx.user.id)])


def timesheets_recent(ctx: Ctx) -> Reply:
    st = ctx.state
    begin = _query_dt(ctx, "begin")
    size = _int_param(ctx, "size") or 10
    newest: dict[tuple[int, int], SimTimesheet] = {}
    for t in st.timesheets.values():
        if t.user != ctx.user.id or (begin and t.begin < begin):
            continue
        key = (t.project, t.activity)
        if key not in newest or t.id > newest[key].id:
            newest[key] = t
    # ORDER BY end DESC as in MySQL: running records (NULL end) sort last.
    rows = sorted(
        newest.values(), key=lambda t: (t.end is not None, t.end or t.begin), reverse=True
    )
    return Reply(200, [ser.timesheet_json(st, t, expand=True) for t in rows[:size]])


def timesheets_stop(ctx: Ctx) -> Reply:
    st = ctx.state
    ts = _own(ctx)
    if ts.end is None:  # stopping a stopped record is a no-op 200; any body is ignored
        end = max(st.round_end(st.now()), ts.begin)
        validate_stop(st, ts, end)
        ts.end = end
    return Reply(200, ser.timesheet_json(st, ts))


def timesheets_restart(ctx: Ctx) -> Reply:
    st = ctx.state
    old = _own(ctx)
    # The `start` voter needs a visible project, activity and customer.
    project, activity = st.projects.get(old.project), st.activities.get(old.activity)
    customer = st.customers.get(project.customer) if project else None
    if not (project and activity and customer and project.visible and activity.visible):
        raise HttpError(403, "Forbidden")
    if not customer.visible:
        raise HttpError(403, "Forbidden")
    data = ctx.json() if ctx.raw_body.strip() else {}
    begin = st.now()
    if "begin" in data:
        from kimai_tray.simulator.timefmt import parse_form_datetime

        parsed = parse_form_datetime(data["begin"], ctx.user.timezone)
        if parsed is None:
            raise FormError(["copy", "begin"], [], {"begin": ["This value is not valid."]})
        begin = parsed
    copy_all = data.get("copy") == "all"
    ts = st.insert_timesheet(
        user=ctx.user.id,
        begin=st.round_begin(begin),
        end=None,
        timezone=ctx.user.timezone,
        project=old.project,
        activity=old.activity,
        description=old.description if copy_all else None,
        tags=list(old.tags) if copy_all else [],
        billable=old.billable,
    )
    st.enforce_hard_limit(ctx.user.id, keep=ts.id)
    return Reply(200, ser.timesheet_json(st, ts))


Handler = Callable[[Ctx], Reply]

_ROUTE_TABLE: list[tuple[str, dict[str, Handler]]] = [
    (r"^/api/ping$", {"GET": ping}),
    (r"^/api/version$", {"GET": version}),
    (r"^/api/users/me$", {"GET": users_me}),
    (r"^/api/config/timesheet$", {"GET": config_timesheet}),
    (r"^/api/customers$", {"GET": customers_list, "POST": customers_create}),
    (r"^/api/projects$", {"GET": projects_list, "POST": projects_create}),
    (r"^/api/activities$", {"GET": activities_list, "POST": activities_create}),
    (r"^/api/tags$", {"GET": tags_list, "POST": tags_create}),
    (r"^/api/tags/find$", {"GET": tags_find}),
    (r"^/api/timesheets$", {"GET": timesheets_list, "POST": timesheets_create}),
    (r"^/api/timesheets/active$", {"GET": timesheets_active}),
    (r"^/api/timesheets/recent$", {"GET": timesheets_recent}),
    (
        r"^/api/timesheets/(\d+)$",
        {"GET": timesheets_get, "PATCH": timesheets_patch, "DELETE": timesheets_delete},
    ),
    (r"^/api/timesheets/(\d+)/stop$", {"PATCH": timesheets_stop}),
    (r"^/api/timesheets/(\d+)/restart$", {"PATCH": timesheets_restart}),
]
ROUTES = [(re.compile(pattern), methods) for pattern, methods in _ROUTE_TABLE]


def dispatch(
    state: SimulatorState,
    method: str,
    path: str,
    query: dict[str, list[str]],
    headers: dict[str, str],
    body: bytes,
) -> Reply:
    """Route one /api request: 404/405 before authentication (as observed), then the handler."""
    from kimai_tray.simulator.auth import AuthFailure, authenticate

    for pattern, methods in ROUTES:
        m = pattern.match(path)
        if m is None:
            continue
        handler = methods.get(method)
        if handler is None:
            return error(405, "Method Not Allowed")
        with state.lock:
            who = authenticate(state, headers)
            if isinstance(who, AuthFailure):
                return Reply(who.status, who.body if who.body is not None else EMPTY, who.headers)
            ctx = Ctx(state, who, query, body, tuple(int(g) for g in m.groups()))
            try:
                return handler(ctx)
            except HttpError as exc:
                return error(exc.status, exc.message)
            except (FormError, ServiceError) as exc:
                return Reply(400, exc.body())
    return error(404, "Not Found")
