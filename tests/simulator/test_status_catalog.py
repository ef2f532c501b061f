"""Status endpoints and the customer/project/activity/tag catalog."""

from __future__ import annotations

import time

import httpx

from kimai_tray.simulator.kimai2 import SimulatorState, VersionInfo
from kimai_tray.simulator.server import SimulatorServer


def test_status_endpoints(admin: httpx.Client) -> None:
    assert admin.get("/api/ping").json() == {"message": "pong"}
    v = admin.get("/api/version").json()
    assert (v["version"], v["versionId"]) == ("2.28.0", 22800)
    me = admin.get("/api/users/me").json()
    assert me["timezone"] == "Europe/Berlin" and me["username"] == "admin"
    cfg = admin.get("/api/config/timesheet").json()
    assert cfg["trackingMode"] == "default" and cfg["activeEntriesHardLimit"] == 1


def test_version_is_configurable() -> None:
    state = SimulatorState(seed="empty", version=VersionInfo("2.50.1", 25001))
    with SimulatorServer(state) as server:
        r = httpx.get(f"{server.url}/api/version", headers={"Authorization": "Bearer demo-token"})
    assert r.json()["versionId"] == 25001


def test_demo_seed_counts(simulator: SimulatorServer) -> None:
    st = simulator.state
    assert len(st.customers) == 5 and len(st.projects) == 20 and len(st.activities) == 30
    assert any(a.project is None for a in st.activities.values())
    assert len(st.timesheets) >= 7


def test_seed_is_deterministic() -> None:
    a, b = SimulatorState(seed="demo"), SimulatorState(seed="demo")
    assert [(t.project, t.activity) for t in a.timesheets.values()] == [
        (t.project, t.activity) for t in b.timesheets.values()
    ]


def test_large_seed_builds_fast() -> None:
    started = time.monotonic()
    state = SimulatorState(seed="large")
    assert time.monotonic() - started < 2.0
    assert len(state.projects) == 10_000 and len(state.activities) == 50_000


def test_projects_hide_out_of_date_unless_ignore_dates(admin: httpx.Client) -> None:
    default = {p["id"] for p in admin.get("/api/projects").json()}
    everything = {p["id"] for p in admin.get("/api/projects", params={"ignoreDates": 1}).json()}
    assert everything - default == {19, 20}
    assert "x-total-count" not in admin.get("/api/projects").headers
    for bad in ("true", "0"):
        r = admin.get("/api/projects", params={"ignoreDates": bad})
        assert r.status_code == 400 and r.json() == {"code": 400, "message": "Bad Request"}


def test_project_shape(admin: httpx.Client) -> None:
    p = admin.get("/api/projects").json()[0]
    assert isinstance(p["customer"], int) and isinstance(p["parentTitle"], str)
    assert p["comment"] is None


def test_activities_for_project_include_globals(
    admin: httpx.Client, simulator: SimulatorServer
) -> None:
    rows = admin.get("/api/activities", params={"project": 1}).json()
    assert {r["project"] for r in rows} == {1, None}
    globals_only = admin.get("/api/activities", params={"globals": 1}).json()
    assert globals_only and all(r["project"] is None for r in globals_only)
    simulator.state.projects[1].global_activities = False
    rows = admin.get("/api/activities", params={"project": 1}).json()
    assert {r["project"] for r in rows} == {1}


def test_create_without_visible_stores_hidden(admin: httpx.Client) -> None:
    c = admin.post("/api/customers", json={"name": "New Co"})
    assert c.status_code == 200 and c.json()["visible"] is False
    p = admin.post("/api/projects", json={"name": "New P", "customer": c.json()["id"]})
    assert p.status_code == 200
    assert p.json()["visible"] is False and p.json()["globalActivities"] is False
    a = admin.post("/api/activities", json={"name": "New A", "visible": True})
    assert a.status_code == 200 and a.json()["visible"] is True and a.json()["project"] is None
    t = admin.post("/api/tags", json={"name": "hidden-tag"})
    assert t.status_code == 200 and t.json()["visible"] is False
    assert admin.get("/api/tags/find", params={"name": "hidden"}).json() == []


def test_tags_find(admin: httpx.Client) -> None:
    assert admin.get("/api/tags/find").json() == []
    found = admin.get("/api/tags/find", params={"name": "meet"}).json()
    assert [t["name"] for t in found] == ["meeting"]


def test_plain_user_cannot_create_activity(plain: httpx.Client) -> None:
    r = plain.post("/api/activities", json={"name": "Nope", "visible": True})
    assert r.status_code == 403 and r.json() == {"code": 403, "message": "Forbidden"}


def test_hidden_customer_hides_its_projects(
    admin: httpx.Client, simulator: SimulatorServer
) -> None:
    simulator.state.customers[1].visible = False
    ids = {p["customer"] for p in admin.get("/api/projects").json()}
    assert 1 not in ids
    both = admin.get("/api/projects", params={"visible": 3}).json()
    assert 1 in {p["customer"] for p in both}


def test_web_ui_helpers(admin: httpx.Client, simulator: SimulatorServer) -> None:
    st = simulator.state
    ts = st.start_timer(1, 1, description="from the web")
    assert [a["id"] for a in admin.get("/api/timesheets/active").json()] == [ts.id]
    st.stop_timer()
    assert admin.get("/api/timesheets/active").json() == []
    st.delete_activity(1)
    assert admin.get(f"/api/timesheets/{ts.id}").status_code == 404
    assert 1 not in {a["id"] for a in admin.get("/api/activities").json()}
    st.delete_project(2)
    assert 2 not in {p["id"] for p in admin.get("/api/projects").json()}
    st.set_user_timezone("UTC")
    assert admin.get("/api/users/me").json()["timezone"] == "UTC"
    st.set_tracking_mode("duration_fixed_begin")
    assert admin.get("/api/config/timesheet").json()["trackingMode"] == "duration_fixed_begin"
