"""Kimai2Client request building and response reading (httpx.MockTransport as the network)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from api.conftest import call, mock_client, run
from kimai_tray.api.kimai2 import insecure_http_warning, normalize_base_url
from kimai_tray.core import errors
from kimai_tray.core.models import TimesheetChanges, TimesheetDraft

TS = {
    "id": 7,
    "begin": "2024-04-07T02:30:00+1300",
    "end": None,
    "project": 1,
    "activity": 2,
    "user": 3,
    "tags": ["a", "b"],
    "description": "x",
    "duration": 0,
}


class FakeKimai:
    """Records requests; answers like Kimai 2 for the few routes a test needs."""

    def __init__(self, mode: str = "default", total: int = 0) -> None:
        self.mode = mode
        self.total = total
        self.requests: list[httpx.Request] = []

    def bodies(self, method: str) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests if r.method == method and r.content]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if path == "/api/config/timesheet":
            return httpx.Response(200, json={"trackingMode": self.mode})
        if path == "/api/timesheets" and request.method == "GET":
            page = int(request.url.params["page"])
            size = int(request.url.params["size"])
            pages = max(1, -(-self.total // size))
            rows = [dict(TS, id=i) for i in range((page - 1) * size, min(page * size, self.total))]
            return httpx.Response(200, json=rows, headers={"X-Total-Pages": str(pages)})
        if path == "/api/projects" and request.method == "GET":
            return httpx.Response(
                200,
                json=[
                    {
                        "id": 1,
                        "name": "P",
                        "customer": 4,
                        "parentTitle": "C",
                        "visible": True,
                        "globalActivities": True,
                        "start": "2024-01-01T00:00:00+1300",
                        "end": None,
                    }
                ],
            )
        if path == "/api/activities" and request.method == "GET":
            return httpx.Response(
                200,
                json=[
                    {"id": 2, "name": "A", "project": None},
                    {"id": 3, "name": "B", "project": 1},
                ],
            )
        if path == "/api/tags/find":
            return httpx.Response(200, json=[{"id": 1, "name": "t", "visible": True}])
        if path == "/api/timesheets/active":
            expanded = dict(TS, project={"id": 1, "customer": {"id": 4}}, activity={"id": 2})
            return httpx.Response(200, json=[expanded])
        if request.method in ("POST", "PATCH"):
            body = json.loads(request.content) if request.content else {}
            return httpx.Response(200, json=dict(TS, **{"id": 9, "name": body.get("name", "n")}))
        if request.method == "DELETE":
            return httpx.Response(204)
        return httpx.Response(404, json={"code": 404, "message": "Not Found"})


def test_paging_reads_every_page_with_size_500() -> None:
    kimai = FakeKimai(total=1234)
    rows = run(call(mock_client(kimai), lambda c: c.timesheets()))
    assert len(rows) == 1234
    pages = [r for r in kimai.requests if r.url.path == "/api/timesheets"]
    assert len(pages) == 3
    assert {r.url.params["size"] for r in pages} == {"500"}


def test_timesheet_filter_is_in_kimai_timezone() -> None:
    kimai = FakeKimai(total=1)
    begin = datetime(2024, 4, 6, 14, 30, tzinfo=UTC)
    run(call(mock_client(kimai), lambda c: c.timesheets(begin=begin)))
    assert kimai.requests[0].url.params["begin"] == "2024-04-07T02:30:00"


def test_start_sends_only_allowed_fields_and_tags_as_string() -> None:
    kimai = FakeKimai()
    draft = TimesheetDraft(1, 2, begin=datetime(2024, 1, 1, 0, 0, 5, tzinfo=UTC), tags=("a", "b"))
    ts = run(call(mock_client(kimai), lambda c: c.start_timesheet(draft)))
    (body,) = kimai.bodies("POST")
    assert body == {"project": 1, "activity": 2, "begin": "2024-01-01T13:00:05", "tags": "a,b"}
    assert ts.begin == datetime(2024, 4, 6, 13, 30, tzinfo=UTC)


@pytest.mark.parametrize("mode", ["punch", "duration_fixed_begin"])
def test_punch_modes_omit_begin_end(mode: str) -> None:
    kimai = FakeKimai(mode=mode)
    now = datetime(2024, 1, 1, tzinfo=UTC)

    async def scenario(c: Any) -> None:
        await c.create_timesheet(TimesheetDraft(1, 2, begin=now, end=now))
        await c.update_timesheet(7, TimesheetChanges.of(end=now, description="d"))
        await c.stop_timesheet_at(7, now)

    run(call(mock_client(kimai), scenario))
    for body in kimai.bodies("POST") + kimai.bodies("PATCH"):
        assert "begin" not in body and "end" not in body
    assert [r.url.path for r in kimai.requests].count("/api/config/timesheet") == 1
    assert kimai.requests[-1].url.path == "/api/timesheets/7/stop"


def test_stop_at_patches_end_and_stop_has_no_body() -> None:
    kimai = FakeKimai()
    end = datetime(2024, 4, 6, 14, 30, tzinfo=UTC)

    async def scenario(c: Any) -> None:
        await c.stop_timesheet_at(7, end)
        await c.stop_timesheet(7)

    run(call(mock_client(kimai), scenario))
    patches = [r for r in kimai.requests if r.method == "PATCH"]
    assert patches[0].url.path == "/api/timesheets/7"
    assert json.loads(patches[0].content) == {"end": "2024-04-07T02:30:00"}
    assert patches[1].url.path == "/api/timesheets/7/stop" and patches[1].content == b""


def test_creates_always_send_visible_true() -> None:
    kimai = FakeKimai()

    async def scenario(c: Any) -> None:
        await c.create_customer("C")
        await c.create_project("P", 4)
        await c.create_activity("A", 1)
        await c.create_tag("T")

    run(call(mock_client(kimai), scenario))
    bodies = kimai.bodies("POST")
    assert all(b["visible"] is True for b in bodies)
    assert bodies[1]["globalActivities"] is True
    assert [r.url.path for r in kimai.requests if r.method == "POST"] == [
        "/api/customers",
        "/api/projects",
        "/api/activities",
        "/api/tags",
    ]


def test_catalog_reads() -> None:
    kimai = FakeKimai()

    async def scenario(c: Any) -> Any:
        return await c.projects(), await c.activities(), await c.tags(), await c.active_timesheets()

    projects, activities, tags, active = run(call(mock_client(kimai), scenario))
    assert kimai.requests[0].url.params["ignoreDates"] == "1"
    assert projects[0].start == date(2024, 1, 1) and projects[0].customer_name == "C"
    assert [a.is_global for a in activities] == [True, False]
    assert kimai.requests[2].url.params["name"] == "" and tags[0].name == "t"
    assert active[0].project_id == 1 and active[0].is_running


def test_user_agent_and_bearer() -> None:
    kimai = FakeKimai()
    run(call(mock_client(kimai), lambda c: c.projects()))
    headers = kimai.requests[0].headers
    assert headers["user-agent"].startswith("kimai-tray/")
    assert headers["authorization"].startswith("Bearer ")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://k.example/", "https://k.example"),
        ("https://k.example/api", "https://k.example"),
        ("https://k.example/api/", "https://k.example"),
        ("https://k.example/sub/api", "https://k.example/sub"),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize_base_url(raw) == expected


@pytest.mark.parametrize("raw", ["https://k.example/api/api", "https://k.example/index.php"])
def test_bad_paths_are_not_kimai(raw: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        # What Kimai does for these: redirect to the login page (ApiRequestMatcher misses).
        return httpx.Response(302, headers={"location": "https://k.example/en/login"})

    with pytest.raises(errors.NotKimaiError):
        run(call(mock_client(handler, base_url=raw), lambda c: c.version()))


@pytest.mark.parametrize(
    ("url", "warns"),
    [
        ("http://kimai.example", True),
        ("https://kimai.example", False),
        ("http://localhost:8001", False),
        ("http://127.0.0.5", False),
        ("http://[::1]:80", False),
    ],
)
def test_insecure_http_warning(url: str, warns: bool) -> None:
    assert (insecure_http_warning(url) is not None) is warns


def test_update_maps_fields_and_reopen() -> None:
    kimai = FakeKimai()
    changes = TimesheetChanges.of(project_id=3, activity_id=4, tags=("x", "y"), end=None)
    run(call(mock_client(kimai), lambda c: c.update_timesheet(7, changes)))
    (body,) = kimai.bodies("PATCH")
    assert body == {"project": 3, "activity": 4, "tags": "x,y", "end": None}
    for forbidden in ("billable", "exported", "user", "fixedRate", "hourlyRate"):
        assert forbidden not in body


def test_legacy_headers() -> None:
    from kimai_tray.api.credentials import Credentials

    kimai = FakeKimai()
    creds = Credentials("legacy", "apipassword", "alice")
    run(call(mock_client(kimai, credentials=creds), lambda c: c.projects()))
    headers = kimai.requests[0].headers
    assert headers["x-auth-user"] == "alice" and headers["x-auth-token"] == "apipassword"
    assert "authorization" not in headers


def test_timezone_read_lazily_from_users_me() -> None:
    requests: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request.url.path)
        if request.url.path == "/api/users/me":
            return httpx.Response(200, json={"id": 1, "username": "a", "timezone": "Europe/Berlin"})
        return httpx.Response(200, json=[], headers={"X-Total-Pages": "1"})

    begin = datetime(2024, 7, 1, 10, 0, tzinfo=UTC)
    run(call(mock_client(handler, timezone=None), lambda c: c.timesheets(begin=begin)))
    assert requests == ["/api/users/me", "/api/timesheets"]


@pytest.mark.parametrize("raw", ["http://[::1", "ftp://k.example", "kimai.example.com", ""])
def test_garbage_urls_are_not_kimai_not_crashes(raw: str) -> None:
    with pytest.raises(errors.NotKimaiError):
        run(call(mock_client(FakeKimai(), base_url=raw), lambda c: c.ping()))


def test_json_404_on_probe_is_not_kimai() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"code": 404, "message": "Not Found"})

    with pytest.raises(errors.NotKimaiError):
        run(call(mock_client(handler, base_url="https://k.example/api/api"), lambda c: c.ping()))
    with pytest.raises(errors.NotFoundError):
        run(call(mock_client(handler), lambda c: c.stop_timesheet(5)))
