"""Async Kimai 2 REST client implementing `kimai_tray.core.backend.KimaiBackend`."""

from __future__ import annotations

import ipaddress
import logging
import ssl
import time
from datetime import datetime
from typing import Any

import httpx

from kimai_tray import __version__
from kimai_tray.api.credentials import Credentials
from kimai_tray.api.datetimes import format_for_kimai, parse_kimai_date, parse_kimai_datetime
from kimai_tray.api.errors import check_response, not_kimai, translate_exception
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
    TrackingMode,
    User,
)

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
PAGE_SIZE = 500
_MAX_PAGES = 1000  # a server lying in X-Total-Pages must not loop us forever


def normalize_base_url(url: str) -> str:
    """Strip trailing `/` and one trailing `/api` (users paste the API address)."""
    base = url.strip().rstrip("/")
    if base.lower().endswith("/api"):
        base = base[: -len("/api")].rstrip("/")
    return base


def insecure_http_warning(url: str) -> str | None:
    """A sentence when `url` sends the token in clear text to a non-local host, else None."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return None  # the client reports the URL itself as NotKimaiError
    if parsed.scheme != "http":
        return None
    host = parsed.host
    if host in ("localhost", ""):
        return None
    try:
        if ipaddress.ip_address(host).is_loopback:
            return None
    except ValueError:
        pass
    return (
        f"The Kimai URL uses plain http:// to {host}: your API token travels unencrypted; "
        "use https:// if the server offers it."
    )


def _ssl_context(ca_bundle: str | None) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if ca_bundle:
        context.load_verify_locations(cafile=ca_bundle)
    return context


class Kimai2Client:
    """One Kimai 2 account over REST. Raises only `core.errors.BackendError` subclasses."""

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        ca_bundle: str | None = None,
        timezone: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout | None = None,
    ) -> None:
        self.base_url = normalize_base_url(base_url)
        self._credentials = credentials
        self._timezone = timezone
        self._config: TimesheetConfig | None = None
        self.server_date: str | None = None  # the Date header of the last answer
        warning = insecure_http_warning(self.base_url)
        if warning:
            log.warning("%s", warning)
        try:
            verify: ssl.SSLContext = _ssl_context(ca_bundle)
        except (OSError, ssl.SSLError) as exc:
            raise errors.TLSError(
                "The CA bundle file could not be read: check the --ca-bundle path.",
                detail=type(exc).__name__,
            ) from None
        try:
            parsed = httpx.URL(self.base_url)
            self._url_ok = parsed.scheme in ("http", "https") and bool(parsed.host)
        except httpx.InvalidURL:
            # Do not raise from the constructor (the app builds clients at start-up): every
            # call reports the bad URL as NotKimaiError instead.
            self._url_ok = False
        self._http = httpx.AsyncClient(
            base_url=self.base_url if self._url_ok else "",
            transport=transport,
            timeout=timeout or DEFAULT_TIMEOUT,
            verify=verify,
            follow_redirects=False,
            headers={"User-Agent": f"kimai-tray/{__version__}", "Accept": "application/json"},
        )

    def __repr__(self) -> str:
        return f"Kimai2Client({self.base_url!r}, kind={self._credentials.kind!r})"

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- transport ---------------------------------------------------------------------------

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str | int] | None = None,
        json: dict[str, Any] | None = None,
    ) -> httpx.Response:
        if not self._url_ok:
            raise errors.NotKimaiError(detail=f"{method} {path}: invalid base URL")
        try:
            request = self._http.build_request(
                method, "/api" + path, params=params, json=json, headers=self._credentials.headers()
            )
        except httpx.HTTPError as exc:
            raise errors.NotKimaiError(detail=f"{method} {path}: {type(exc).__name__}") from None
        started = time.monotonic()
        try:
            response = await self._http.send(request)
        except httpx.HTTPError as exc:
            # `from None`: the httpx chain carries the request (and so the auth headers).
            raise translate_exception(exc, request) from None
        log.debug(
            "%s %s -> %s in %.0f ms",
            method,
            request.url.path,
            response.status_code,
            (time.monotonic() - started) * 1000,
        )
        # The server's clock, for the clock-skew check (core/clock_skew.py).
        self.server_date = response.headers.get("date")
        check_response(response, self._credentials)
        return response

    async def _json(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str | int] | None = None,
        json: dict[str, Any] | None = None,
        shape: type = dict,
    ) -> Any:
        response = await self._send(method, path, params=params, json=json)
        body = response.json()
        if not isinstance(body, shape):
            raise not_kimai(response, f"expected a JSON {shape.__name__}")
        return body

    # -- read --------------------------------------------------------------------------------

    async def _probe(self, path: str) -> Any:
        """GET an endpoint every Kimai 2 has: a 404 there means the URL is not Kimai's root."""
        try:
            return await self._json("GET", path)
        except errors.NotFoundError as exc:
            # e.g. `/api/api/version`: the API firewall matches, the route does not exist.
            raise errors.NotKimaiError(detail=exc.detail, status=exc.status) from None

    async def version(self) -> ServerVersion:
        body = await self._probe("/version")
        try:
            return ServerVersion(version=str(body["version"]), version_id=int(body["versionId"]))
        except (KeyError, TypeError, ValueError):
            raise errors.NotKimaiError(detail="GET /api/version: unexpected shape") from None

    async def ping(self) -> None:
        await self._probe("/ping")

    async def me(self) -> User:
        body = await self._probe("/users/me")
        try:
            user = User(
                id=int(body["id"]),
                username=str(body["username"]),
                timezone=str(body.get("timezone") or "UTC"),
                language=body.get("language"),
                alias=body.get("alias"),
                first_weekday=_preference(body, "first_weekday"),
            )
        except (KeyError, TypeError, ValueError):
            raise errors.NotKimaiError(detail="GET /api/users/me: unexpected shape") from None
        if self._timezone is None:
            self._timezone = user.timezone
        return user

    async def timesheet_config(self) -> TimesheetConfig:
        body = await self._json("GET", "/config/timesheet")
        try:
            mode = TrackingMode(body.get("trackingMode", "default"))
        except ValueError:
            mode = TrackingMode.DEFAULT
        config = TimesheetConfig(
            tracking_mode=mode,
            default_begin_time=str(body.get("defaultBeginTime", "now")),
            active_entries_hard_limit=int(body.get("activeEntriesHardLimit", 1)),
            allow_future_times=bool(body.get("isAllowFutureTimes", True)),
            allow_overlapping=bool(body.get("isAllowOverlapping", True)),
        )
        self._config = config
        return config

    async def customers(self) -> list[Customer]:
        rows = await self._json("GET", "/customers", shape=list)
        return [_customer(r) for r in rows]

    async def projects(self) -> list[Project]:
        rows = await self._json("GET", "/projects", params={"ignoreDates": 1}, shape=list)
        return [_project(r) for r in rows]

    async def activities(self) -> list[Activity]:
        rows = await self._json("GET", "/activities", shape=list)
        return [_activity(r) for r in rows]

    async def tags(self) -> list[Tag]:
        # /api/tags/find without `name` returns []; an empty name means LIKE '%%': all tags.
        rows = await self._json("GET", "/tags/find", params={"name": ""}, shape=list)
        return [_tag(r) for r in rows]

    async def active_timesheets(self) -> list[Timesheet]:
        rows = await self._json("GET", "/timesheets/active", shape=list)
        return [_timesheet(r) for r in rows]

    async def recent_timesheets(self, size: int = 10) -> list[Timesheet]:
        rows = await self._json("GET", "/timesheets/recent", params={"size": size}, shape=list)
        return [_timesheet(r) for r in rows]

    async def timesheets(
        self, *, begin: datetime | None = None, end: datetime | None = None
    ) -> list[Timesheet]:
        params: dict[str, str | int] = {"size": PAGE_SIZE, "orderBy": "id", "order": "ASC"}
        if begin is not None:
            params["begin"] = format_for_kimai(begin, await self._tz())
        if end is not None:
            params["end"] = format_for_kimai(end, await self._tz())
        result: list[Timesheet] = []
        page = 1
        while page <= _MAX_PAGES:
            params["page"] = page
            response = await self._send("GET", "/timesheets", params=params)
            rows = response.json()
            if not isinstance(rows, list):
                raise not_kimai(response, "expected a JSON list")
            result += [_timesheet(r) for r in rows]
            try:
                total = int(response.headers.get("X-Total-Pages", "1"))
            except ValueError:
                total = 1
            if page >= total:
                break
            page += 1
        return result

    # -- write -------------------------------------------------------------------------------

    async def start_timesheet(self, draft: TimesheetDraft) -> Timesheet:
        return await self._create(draft)

    async def create_timesheet(self, draft: TimesheetDraft) -> Timesheet:
        created = await self._create(draft)
        if draft.end is not None and created.end is None:
            # Punch/fixed-begin modes drop our `end`, so the POST made a running record:
            # stop it, or a finished offline entry would keep running on the server.
            return await self.stop_timesheet(created.id)
        return created

    async def _create(self, draft: TimesheetDraft) -> Timesheet:
        body: dict[str, Any] = {"project": draft.project_id, "activity": draft.activity_id}
        if await self._may_send_times():
            tz = await self._tz()
            if draft.begin is not None:
                body["begin"] = format_for_kimai(draft.begin, tz)
            if draft.end is not None:
                body["end"] = format_for_kimai(draft.end, tz)
        if draft.description:
            body["description"] = draft.description
        if draft.tags:
            body["tags"] = ",".join(draft.tags)
        return _timesheet(await self._json("POST", "/timesheets", json=body))

    async def stop_timesheet(self, timesheet_id: int) -> Timesheet:
        return _timesheet(await self._json("PATCH", f"/timesheets/{int(timesheet_id)}/stop"))

    async def stop_timesheet_at(self, timesheet_id: int, end: datetime) -> Timesheet:
        if not await self._may_send_times():
            return await self.stop_timesheet(timesheet_id)
        body = {"end": format_for_kimai(end, await self._tz())}
        return _timesheet(await self._json("PATCH", f"/timesheets/{int(timesheet_id)}", json=body))

    async def update_timesheet(self, timesheet_id: int, changes: TimesheetChanges) -> Timesheet:
        body: dict[str, Any] = {}
        times_ok = await self._may_send_times()
        for name in sorted(changes.fields):
            value = getattr(changes, name)
            if name in ("begin", "end"):
                if not times_ok:
                    continue
                body[name] = None if value is None else format_for_kimai(value, await self._tz())
            elif name == "project_id":
                body["project"] = value
            elif name == "activity_id":
                body["activity"] = value
            elif name == "description":
                body["description"] = value or ""
            elif name == "tags":
                body["tags"] = ",".join(value or ())
        path = f"/timesheets/{int(timesheet_id)}"
        return _timesheet(await self._json("PATCH", path, json=body))

    async def delete_timesheet(self, timesheet_id: int) -> None:
        await self._send("DELETE", f"/timesheets/{int(timesheet_id)}")

    async def create_customer(
        self, name: str, *, country: str | None = None, currency: str | None = None
    ) -> Customer:
        body: dict[str, Any] = {"name": name, "visible": True}
        if country:
            body["country"] = country
        if currency:
            body["currency"] = currency
        if self._timezone:
            body["timezone"] = self._timezone
        return _customer(await self._json("POST", "/customers", json=body))

    async def create_project(self, name: str, customer_id: int) -> Project:
        body = {"name": name, "customer": customer_id, "visible": True, "globalActivities": True}
        return _project(await self._json("POST", "/projects", json=body))

    async def create_activity(self, name: str, project_id: int | None = None) -> Activity:
        body: dict[str, Any] = {"name": name, "visible": True}
        if project_id is not None:
            body["project"] = project_id
        return _activity(await self._json("POST", "/activities", json=body))

    async def create_tag(self, name: str) -> Tag:
        return _tag(await self._json("POST", "/tags", json={"name": name, "visible": True}))

    # -- helpers -----------------------------------------------------------------------------

    async def _tz(self) -> str:
        if self._timezone is None:
            await self.me()
        assert self._timezone is not None
        return self._timezone

    async def _may_send_times(self) -> bool:
        # Read lazily once: begin/end in punch/duration modes give "extra fields" 400.
        if self._config is None:
            await self.timesheet_config()
        assert self._config is not None
        return self._config.may_send_times


def _preference(body: dict[str, Any], name: str) -> str | None:
    """A value from /users/me `preferences` ([{name, value}]); absent on some versions."""
    prefs = body.get("preferences")
    if not isinstance(prefs, list):
        return None
    for pref in prefs:
        if isinstance(pref, dict) and pref.get("name") == name and pref.get("value"):
            return str(pref["value"])
    return None


def _ref_id(value: Any) -> int | None:
    if isinstance(value, dict):
        value = value.get("id")
    return None if value is None else int(value)


def _customer(row: dict[str, Any]) -> Customer:
    return Customer(
        id=int(row["id"]), name=str(row["name"]), visible=bool(row.get("visible", True))
    )


def _project(row: dict[str, Any]) -> Project:
    customer = row.get("customer")
    customer_name = row.get("parentTitle") or (
        customer.get("name") if isinstance(customer, dict) else ""
    )
    start, end = row.get("start"), row.get("end")
    return Project(
        id=int(row["id"]),
        name=str(row["name"]),
        customer_id=_ref_id(customer) or 0,
        customer_name=str(customer_name or ""),
        visible=bool(row.get("visible", True)),
        global_activities=bool(row.get("globalActivities", True)),
        start=parse_kimai_date(start) if start else None,
        end=parse_kimai_date(end) if end else None,
    )


def _activity(row: dict[str, Any]) -> Activity:
    return Activity(
        id=int(row["id"]),
        name=str(row["name"]),
        project_id=_ref_id(row.get("project")),
        visible=bool(row.get("visible", True)),
    )


def _tag(row: dict[str, Any]) -> Tag:
    return Tag(id=int(row["id"]), name=str(row["name"]), visible=bool(row.get("visible", True)))


def _timesheet(row: dict[str, Any]) -> Timesheet:
    try:
        end = row.get("end")
        project = row.get("project")
        activity = row.get("activity")
        if project is None and isinstance(activity, dict):
            project = activity.get("project")
        return Timesheet(
            id=int(row["id"]),
            begin=parse_kimai_datetime(str(row["begin"])),
            end=parse_kimai_datetime(str(end)) if end else None,
            project_id=_ref_id(project) or 0,
            activity_id=_ref_id(activity) or 0,
            description=row.get("description"),
            tags=tuple(str(t) for t in row.get("tags") or ()),
            user_id=_ref_id(row.get("user")),
            duration=None if row.get("duration") is None else int(row["duration"]),
        )
    except (KeyError, TypeError, ValueError):
        raise errors.NotKimaiError(detail="timesheet JSON has an unexpected shape") from None
