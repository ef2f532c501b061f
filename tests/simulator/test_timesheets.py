"""Timesheet endpoints: paging, filters, create/patch/stop/restart/delete rules, timezones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from kimai_tray.simulator.server import SimulatorServer


def _fixed_clock(server: SimulatorServer, when: datetime) -> None:
    server.state.set_clock(lambda: when)


def test_paging_headers_and_past_last_page(admin: httpx.Client, simulator: SimulatorServer) -> None:
    total = len(simulator.state.timesheets)
    r = admin.get("/api/timesheets", params={"size": 2})
    assert r.headers["X-Page"] == "1" and r.headers["X-Per-Page"] == "2"
    assert r.headers["X-Total-Count"] == str(total)
    pages = int(r.headers["X-Total-Pages"])
    assert pages == -(-total // 2)
    assert admin.get("/api/timesheets", params={"size": 2, "page": pages}).status_code == 200
    past = admin.get("/api/timesheets", params={"size": 2, "page": pages + 1})
    assert past.status_code == 404 and past.json() == {"code": 404, "message": "Not Found"}
    assert admin.get("/api/timesheets").headers["X-Per-Page"] == "50"
    assert admin.get("/api/timesheets", params={"size": 9999}).headers["X-Per-Page"] == "500"


def test_empty_list(empty_simulator: SimulatorServer) -> None:
    r = httpx.get(
        f"{empty_simulator.url}/api/timesheets", headers={"Authorization": "Bearer demo-token"}
    )
    assert r.status_code == 200 and r.json() == []
    assert r.headers["X-Total-Pages"] == "1" and r.headers["X-Total-Count"] == "0"


def test_begin_filter_strict_format(admin: httpx.Client) -> None:
    for bad in ("garbage", "2024-01-01", "2024-01-01T10:00"):
        r = admin.get("/api/timesheets", params={"begin": bad})
        assert r.status_code == 400 and r.json() == {"code": 400, "message": "Bad Request"}


def test_begin_end_filter_on_record_start_in_user_tz(admin: httpx.Client) -> None:
    admin.post(
        "/api/timesheets",
        json={
            "project": 1,
            "activity": 1,
            "begin": "2020-05-05T09:00:00",
            "end": "2020-05-05T10:00:00",
        },
    )
    inside = admin.get(
        "/api/timesheets", params={"begin": "2020-05-05T09:00:00", "end": "2020-05-05T09:00:00"}
    ).json()
    assert [t["begin"] for t in inside] == ["2020-05-05T09:00:00+0200"]
    after = admin.get(
        "/api/timesheets", params={"begin": "2020-05-05T09:00:01", "end": "2020-05-06T00:00:00"}
    ).json()
    assert after == []


def test_order_and_full_expansion(admin: httpx.Client) -> None:
    asc = admin.get("/api/timesheets", params={"orderBy": "id", "order": "ASC"}).json()
    assert [t["id"] for t in asc] == sorted(t["id"] for t in asc)
    full = admin.get("/api/timesheets", params={"full": "true", "size": 1}).json()[0]
    assert isinstance(full["project"]["customer"], dict)
    assert isinstance(full["user"], dict) and isinstance(full["activity"], dict)


def test_start_stop_cycle(admin: httpx.Client, simulator: SimulatorServer) -> None:
    now = datetime(2026, 3, 29, 1, 30, 20, tzinfo=UTC)  # 03:30:20 CEST, just after the DST switch
    _fixed_clock(simulator, now)
    r = admin.post("/api/timesheets", json={"project": 1, "activity": 1, "description": "x"})
    assert r.status_code == 200
    ts = r.json()
    assert ts["begin"] == "2026-03-29T03:30:00+0200" and ts["end"] is None
    active = admin.get("/api/timesheets/active").json()
    assert [a["id"] for a in active] == [ts["id"]] and isinstance(active[0]["project"], dict)
    _fixed_clock(simulator, now + timedelta(minutes=10))
    assert admin.get(f"/api/timesheets/{ts['id']}/stop").status_code == 405
    assert admin.post(f"/api/timesheets/{ts['id']}/stop").status_code == 405
    stopped = admin.patch(f"/api/timesheets/{ts['id']}/stop")
    assert stopped.status_code == 200
    assert stopped.json()["end"] == "2026-03-29T03:41:00+0200"  # ceiled
    assert stopped.json()["duration"] == 660
    again = admin.patch(f"/api/timesheets/{ts['id']}/stop")
    assert again.status_code == 200 and again.json() == stopped.json()
    assert admin.get("/api/timesheets/active").json() == []


def test_second_start_stops_older_at_server_now(
    admin: httpx.Client, simulator: SimulatorServer
) -> None:
    now = datetime(2026, 11, 23, 6, 28, 30, tzinfo=UTC)
    _fixed_clock(simulator, now)
    first = admin.post("/api/timesheets", json={"project": 1, "activity": 1}).json()
    # With an end: the running record is left alone.
    admin.post(
        "/api/timesheets",
        json={
            "project": 1,
            "activity": 1,
            "begin": "2026-11-20T09:00:00",
            "end": "2026-11-20T10:00:00",
        },
    )
    assert [a["id"] for a in admin.get("/api/timesheets/active").json()] == [first["id"]]
    second = admin.post(
        "/api/timesheets", json={"project": 2, "activity": 2, "begin": "2026-11-23T06:00:00"}
    ).json()
    old = admin.get(f"/api/timesheets/{first['id']}").json()
    assert old["end"] == "2026-11-23T07:29:00+0100"  # server now ceiled, not the new begin
    assert [a["id"] for a in admin.get("/api/timesheets/active").json()] == [second["id"]]


def test_rounding_can_be_switched_off(simulator_factory) -> None:  # type: ignore[no-untyped-def]
    server = simulator_factory(seed="demo", rounding=False)
    r = httpx.post(
        f"{server.url}/api/timesheets",
        headers={"Authorization": "Bearer demo-token"},
        json={
            "project": 1,
            "activity": 1,
            "begin": "2026-01-05T09:00:30",
            "end": "2026-01-05T10:00:10",
        },
    )
    assert r.json()["begin"] == "2026-01-05T09:00:30+0100" and r.json()["duration"] == 3580


def test_rounding_and_input_formats(admin: httpx.Client) -> None:
    body = {
        "project": 1,
        "activity": 1,
        "begin": "2026-01-05 09:00:30",
        "end": "2026-01-05T10:00:10",
    }
    r = admin.post("/api/timesheets", json=body).json()
    assert (r["begin"], r["end"], r["duration"]) == (
        "2026-01-05T09:00:00+0100",
        "2026-01-05T10:01:00+0100",
        3660,
    )
    z = admin.post("/api/timesheets", json={**body, "begin": "2026-01-05T08:00Z"}).json()
    assert z["begin"] == "2026-01-05T09:00:00+0100"


def test_record_keeps_its_timezone(admin: httpx.Client, simulator: SimulatorServer) -> None:
    old = admin.post(
        "/api/timesheets",
        json={
            "project": 1,
            "activity": 1,
            "begin": "2026-01-05T09:00:00",
            "end": "2026-01-05T10:00:00",
        },
    ).json()
    simulator.state.set_user_timezone("Pacific/Auckland")
    assert admin.get(f"/api/timesheets/{old['id']}").json()["begin"] == "2026-01-05T09:00:00+0100"
    new = admin.post(
        "/api/timesheets",
        json={
            "project": 1,
            "activity": 1,
            "begin": "2026-01-05T09:00:00",
            "end": "2026-01-05T10:00:00",
        },
    ).json()
    assert new["begin"] == "2026-01-05T09:00:00+1300"


def test_patch_reads_record_timezone_and_reopens(
    admin: httpx.Client, simulator: SimulatorServer
) -> None:
    ts = admin.post(
        "/api/timesheets",
        json={
            "project": 1,
            "activity": 1,
            "begin": "2026-01-05T09:00:00",
            "end": "2026-01-05T10:00:00",
        },
    ).json()
    r = admin.patch(f"/api/timesheets/{ts['id']}", json={"end": "2026-01-05T09:45:00"})
    assert r.status_code == 200 and r.json()["duration"] == 2700 and r.json()["description"] is None
    r = admin.patch(f"/api/timesheets/{ts['id']}", json={"end": None})
    assert r.json()["end"] is None
    r = admin.patch(f"/api/timesheets/{ts['id']}", json={"end": "2026-01-05T08:00:00"})
    assert r.status_code == 400
    assert r.json()["errors"]["errors"] == ["End date must not be earlier then start date."]


def _children(r: httpx.Response) -> dict[str, object]:
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["code"] == 400 and body["message"] == "Validation Failed"
    return body["errors"]["children"]  # type: ignore[no-any-return]


def test_validation_shapes(admin: httpx.Client, plain: httpx.Client) -> None:
    kids = _children(admin.post("/api/timesheets", json={"activity": 1}))
    assert kids["project"] == {"errors": ["A project needs to be selected."]}
    assert kids["begin"] == {} and "billable" in kids
    kids = _children(admin.post("/api/timesheets", json={"project": 1, "activity": 9999}))
    assert kids["activity"] == {"errors": ["The selected choice is invalid."]}
    kids = _children(
        admin.post("/api/timesheets", json={"project": 1, "activity": 1, "tags": ["meeting"]})
    )
    assert kids["tags"] == {"errors": ["This value is not valid."]}
    for extra in ("duration", "customer", "metaFields"):
        r = admin.post("/api/timesheets", json={"project": 1, "activity": 1, extra: 1})
        assert r.json()["errors"]["errors"] == ["This form should not contain extra fields."]
    for extra in ("billable", "exported", "hourlyRate", "fixedRate", "internalRate", "user"):
        r = plain.post("/api/timesheets", json={"project": 1, "activity": 1, extra: 2})
        assert r.json()["errors"]["errors"] == ["This form should not contain extra fields."]
        assert set(r.json()["errors"]["children"]) == {
            "begin",
            "end",
            "project",
            "activity",
            "description",
            "tags",
        }
    bad = admin.post(
        "/api/timesheets", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert bad.status_code == 400 and bad.json() == {"code": 400, "message": "Bad Request"}


def test_hidden_project_and_foreign_activity_rejected(
    admin: httpx.Client, simulator: SimulatorServer
) -> None:
    other = next(a.id for a in simulator.state.activities.values() if a.project == 2)
    kids = _children(admin.post("/api/timesheets", json={"project": 1, "activity": other}))
    assert kids["activity"] == {"errors": ["The selected choice is invalid."]}
    simulator.state.projects[1].visible = False
    kids = _children(admin.post("/api/timesheets", json={"project": 1, "activity": 1}))
    assert "errors" in kids["project"]  # type: ignore[operator]


def test_tags_string_unknown_dropped(admin: httpx.Client) -> None:
    r = admin.post(
        "/api/timesheets", json={"project": 1, "activity": 1, "tags": "meeting,brand-new"}
    )
    assert r.json()["tags"] == ["meeting"]


def test_punch_mode_rejects_begin(
    admin: httpx.Client, plain: httpx.Client, simulator: SimulatorServer
) -> None:
    simulator.state.set_tracking_mode("punch")
    r = plain.post(
        "/api/timesheets", json={"project": 1, "activity": 1, "begin": "2026-01-05T09:00:00"}
    )
    assert r.json()["errors"]["errors"] == ["This form should not contain extra fields."]
    assert plain.post("/api/timesheets", json={"project": 1, "activity": 1}).status_code == 200


def test_future_times_config(admin: httpx.Client, simulator: SimulatorServer) -> None:
    body = {
        "project": 1,
        "activity": 1,
        "begin": "2099-01-01T09:00:00",
        "end": "2099-01-01T10:00:00",
    }
    assert admin.post("/api/timesheets", json=body).status_code == 200
    simulator.state.config.allow_future_times = False
    r = admin.post("/api/timesheets", json=body)
    assert r.status_code == 400 and r.json()["errors"]["errors"] == [
        "The begin date cannot be in the future."
    ]


def test_lockdown(plain: httpx.Client, simulator: SimulatorServer) -> None:
    body = {
        "project": 1,
        "activity": 1,
        "begin": "2026-01-05T09:00:00",
        "end": "2026-01-05T10:00:00",
    }
    ts = plain.post("/api/timesheets", json=body).json()
    simulator.state.set_lockdown(
        datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 31, tzinfo=UTC)
    )
    assert plain.patch(f"/api/timesheets/{ts['id']}", json={"description": "x"}).status_code == 403
    assert plain.delete(f"/api/timesheets/{ts['id']}").status_code == 403
    r = plain.post("/api/timesheets", json=body)
    assert r.json()["errors"]["errors"] == ["This period is locked, please choose a later date."]


def test_long_running_limit_on_stop(admin: httpx.Client, simulator: SimulatorServer) -> None:
    simulator.state.config.long_running_minutes = 60
    now = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    _fixed_clock(simulator, now)
    ts = admin.post(
        "/api/timesheets", json={"project": 1, "activity": 1, "begin": "2026-01-05T08:00:00"}
    ).json()
    r = admin.patch(f"/api/timesheets/{ts['id']}/stop")
    assert r.status_code == 400 and r.json()["code"] == "400"


def test_delete_twice(admin: httpx.Client) -> None:
    ts = admin.post("/api/timesheets", json={"project": 1, "activity": 1}).json()
    first = admin.delete(f"/api/timesheets/{ts['id']}")
    assert first.status_code == 204 and first.content == b""
    assert admin.delete(f"/api/timesheets/{ts['id']}").status_code == 404


def test_other_users_record_is_forbidden(admin: httpx.Client, plain: httpx.Client) -> None:
    ts = admin.post("/api/timesheets", json={"project": 1, "activity": 1}).json()
    assert plain.patch(f"/api/timesheets/{ts['id']}/stop").status_code == 403


def test_restart_creates_new_running_record(admin: httpx.Client) -> None:
    ts = admin.post(
        "/api/timesheets",
        json={
            "project": 3,
            "activity": 2,
            "description": "d",
            "begin": "2026-01-05T09:00:00",
            "end": "2026-01-05T10:00:00",
        },
    ).json()
    r = admin.patch(f"/api/timesheets/{ts['id']}/restart")
    assert r.status_code == 200
    new = r.json()
    assert new["id"] != ts["id"] and new["end"] is None and new["description"] is None
    assert (new["project"], new["activity"]) == (3, 2)


def test_recent_newest_per_pair(admin: httpx.Client, simulator: SimulatorServer) -> None:
    rows = admin.get("/api/timesheets/recent").json()
    pairs = [(r["project"]["id"], r["activity"]["id"]) for r in rows]
    assert len(pairs) == len(set(pairs))
    st = simulator.state
    for row in rows:
        newest = max(
            t.id
            for t in st.timesheets.values()
            if (t.project, t.activity) == (row["project"]["id"], row["activity"]["id"])
        )
        assert row["id"] == newest


@pytest.mark.parametrize("full", [False, True])
def test_post_full(admin: httpx.Client, full: bool) -> None:
    r = admin.post(
        "/api/timesheets",
        params={"full": "true"} if full else None,
        json={"project": 1, "activity": 1},
    )
    assert isinstance(r.json()["project"], dict) is full


def test_failed_auto_stop_rolls_back_the_start(
    admin: httpx.Client, simulator: SimulatorServer
) -> None:
    simulator.state.config.long_running_minutes = 60
    _fixed_clock(simulator, datetime(2026, 1, 5, 12, 0, tzinfo=UTC))
    old = admin.post(
        "/api/timesheets", json={"project": 1, "activity": 1, "begin": "2026-01-05T08:00:00"}
    ).json()
    before = len(simulator.state.timesheets)
    r = admin.post("/api/timesheets", json={"project": 2, "activity": 2})
    assert r.status_code == 400 and r.json()["message"] == "Cannot stop running timesheet"
    assert len(simulator.state.timesheets) == before
    assert [a["id"] for a in admin.get("/api/timesheets/active").json()] == [old["id"]]


def test_exported_record_is_read_only_for_plain_user(
    plain: httpx.Client, simulator: SimulatorServer
) -> None:
    body = {
        "project": 1,
        "activity": 1,
        "begin": "2026-01-05T09:00:00",
        "end": "2026-01-05T10:00:00",
    }
    ts = plain.post("/api/timesheets", json=body).json()
    simulator.state.timesheets[ts["id"]].exported = True
    assert plain.patch(f"/api/timesheets/{ts['id']}", json={"description": "x"}).status_code == 403
    assert plain.delete(f"/api/timesheets/{ts['id']}").status_code == 403


def test_record_outside_project_dates_is_a_global_error(admin: httpx.Client) -> None:
    body = {
        "project": 19,
        "activity": 1,
        "begin": "2026-01-05T09:00:00",
        "end": "2026-01-05T10:00:00",
    }
    r = admin.post("/api/timesheets", json=body)
    assert r.status_code == 400
    assert r.json()["errors"]["errors"] == ["The project is finished at that time."]


def test_billable_defaults_from_activity(admin: httpx.Client, simulator: SimulatorServer) -> None:
    act = next(a for a in simulator.state.activities.values() if a.project == 1 and not a.billable)
    r = admin.post("/api/timesheets", json={"project": 1, "activity": act.id})
    assert r.json()["billable"] is False


def test_restart_of_hidden_project_is_forbidden(
    admin: httpx.Client, simulator: SimulatorServer
) -> None:
    body = {
        "project": 1,
        "activity": 1,
        "begin": "2026-01-05T09:00:00",
        "end": "2026-01-05T10:00:00",
    }
    ts = admin.post("/api/timesheets", json=body).json()
    simulator.state.projects[1].visible = False
    r = admin.patch(f"/api/timesheets/{ts['id']}/restart")
    assert r.status_code == 403 and r.json() == {"code": 403, "message": "Forbidden"}
