"""Kimai2Client against the Kimai 2 simulator over real HTTP on 127.0.0.1 (no mocks).

User timezone Pacific/Auckland; the entries straddle the end of NZ daylight time
(2026-04-05 03:00 NZDT -> 02:00 NZST).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from kimai_tray.api.credentials import Credentials
from kimai_tray.api.kimai2 import Kimai2Client
from kimai_tray.core import errors
from kimai_tray.core.models import TimesheetDraft

server_mod = pytest.importorskip(
    "kimai_tray.simulator.server", reason="Kimai 2 simulator server not available yet"
)
from kimai_tray.simulator.kimai2 import SimulatorState  # noqa: E402

TZ = "Pacific/Auckland"
TOKEN = "sim_token_0123456789abcdef0123456789abcdef"  # token-shaped (see looks_like_api_token)
BEGIN = datetime(2026, 4, 4, 12, 10, 7, tzinfo=UTC)  # 01:10:07 NZDT
END = datetime(2026, 4, 4, 15, 20, 9, tzinfo=UTC)  # 03:20:09 NZST, after the change


@pytest.fixture
def sim() -> Iterator[Any]:
    state = SimulatorState(seed="demo", timezone=TZ, token=TOKEN, rounding=False)
    server = server_mod.SimulatorServer(state)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def use(
    server: Any,
    fn: Callable[[Kimai2Client], Awaitable[Any]],
    credentials: Credentials | None = None,
    url: str | None = None,
    **kw: Any,
) -> Any:
    async def main() -> Any:
        client = Kimai2Client(url or server.url, credentials or Credentials("token", TOKEN), **kw)
        try:
            return await fn(client)
        finally:
            await client.aclose()

    return asyncio.run(main())


def fails(server: Any, exc: type[errors.BackendError], fn: Any, **kw: Any) -> errors.BackendError:
    with pytest.raises(errors.BackendError) as info:
        use(server, fn, **kw)
    assert type(info.value) is exc, info.value.detail
    assert TOKEN not in str(info.value) + info.value.detail + repr(info.value)
    return info.value


def ids(server: Any) -> tuple[int, int]:
    state = server.state
    customer = state.add_customer("DST Ltd")
    project = state.add_project("DST project", customer.id)
    activity = state.add_activity("DST work", project.id)
    return project.id, activity.id


def test_round_trip_to_the_second_without_rounding(sim: Any) -> None:
    project, activity = ids(sim)
    draft = TimesheetDraft(project, activity, begin=BEGIN, end=END, description="dst")
    ts = use(sim, lambda c: c.create_timesheet(draft))
    assert ts.begin == BEGIN and ts.end == END
    assert ts.duration == int((END - BEGIN).total_seconds())
    assert ts.begin.utcoffset() == timedelta(hours=13) and ts.end.utcoffset() == timedelta(hours=12)
    listed = use(sim, lambda c: c.timesheets(begin=BEGIN - timedelta(minutes=1)))
    assert any(t.id == ts.id and t.begin == BEGIN and t.end == END for t in listed)


def test_rounding_on_floors_begin_and_ceils_end(sim: Any) -> None:
    sim.state.config.rounding = True
    project, activity = ids(sim)
    ts = use(sim, lambda c: c.create_timesheet(TimesheetDraft(project, activity, BEGIN, END)))
    assert ts.begin == BEGIN.replace(second=0)
    assert ts.end == END.replace(second=0) + timedelta(minutes=1)


def test_start_stop_at_and_reads(sim: Any) -> None:
    project, activity = ids(sim)

    async def scenario(c: Kimai2Client) -> Any:
        started = await c.start_timesheet(TimesheetDraft(project, activity, begin=BEGIN))
        active = await c.active_timesheets()
        stopped = await c.stop_timesheet_at(started.id, END)
        return started, active, stopped, await c.me(), await c.projects()

    started, active, stopped, me, projects = use(sim, scenario)
    assert started.is_running and started.begin == BEGIN
    assert [t.id for t in active] == [started.id]
    assert stopped.end == END
    assert me.timezone == TZ
    assert len(projects) == len(sim.state.projects)  # ignoreDates=1 keeps ended projects


def test_paging_1234_in_three_requests() -> None:
    state = SimulatorState(seed="empty", timezone=TZ, token=TOKEN, rounding=False)
    customer = state.add_customer("C")
    project = state.add_project("P", customer.id)
    activity = state.add_activity("A", project.id)
    for i in range(1234):
        begin = BEGIN - timedelta(hours=i + 1)
        state.insert_timesheet(
            user=state.admin.id,
            begin=begin,
            end=begin + timedelta(minutes=30),
            timezone=TZ,
            project=project.id,
            activity=activity.id,
        )
    server = server_mod.SimulatorServer(state)
    server.start()
    try:
        rows = use(server, lambda c: c.timesheets())
    finally:
        server.stop()
    assert len({t.id for t in rows}) == 1234
    pages = [r for r in state.requests if r.path.endswith("/timesheets") and r.method == "GET"]
    assert len(pages) == 3


def test_auth_errors(sim: Any) -> None:
    fails(
        sim,
        errors.AuthenticationError,
        lambda c: c.me(),
        credentials=Credentials("token", "x" * 40),
    )
    fails(
        sim,
        errors.LegacyPasswordAsTokenError,
        lambda c: c.me(),
        credentials=Credentials("token", "admin-api-pass"),
    )
    fails(
        sim,
        errors.TokenAsLegacyPasswordError,
        lambda c: c.me(),
        credentials=Credentials("legacy", TOKEN, "admin"),
    )
    fails(
        sim,
        errors.AuthenticationError,
        lambda c: c.me(),
        credentials=Credentials("legacy", "wrong-pass", "admin"),
    )
    no_api = "noapi_token_0123456789abcdef0123456789abcd"
    sim.state.add_user("noapi", token=no_api, timezone=TZ, permissions=set())
    exc = fails(
        sim,
        errors.PermissionDeniedError,
        lambda c: c.me(),
        credentials=Credentials("token", no_api),
    )
    assert "API access" in exc.user_message


def test_not_found_and_validation(sim: Any) -> None:
    fails(sim, errors.NotFoundError, lambda c: c.stop_timesheet(999_999))
    exc = fails(
        sim,
        errors.ValidationError,
        lambda c: c.create_timesheet(TimesheetDraft(999_999, 1, BEGIN, END)),
    )
    assert "project" in exc.fields  # type: ignore[attr-defined]


def test_transport_faults(sim: Any) -> None:
    project, activity = ids(sim)
    draft = TimesheetDraft(project, activity, begin=BEGIN, end=END)
    faults = sim.state.faults
    faults.add("delay", path="/api/ping", delay=2.0)
    fails(
        sim, errors.RequestTimeoutError, lambda c: c.ping(), timeout=httpx.Timeout(0.5, connect=2.0)
    )
    faults.add("status", path="/api/ping", status=500)
    fails(sim, errors.ServerError, lambda c: c.ping())
    faults.add("html_200", path="/api/version")
    fails(sim, errors.NotKimaiError, lambda c: c.version())
    faults.add("truncated_json", method="POST", path="/api/timesheets")
    fails(sim, errors.GarbledResponseError, lambda c: c.create_timesheet(draft))
    before = len(sim.state.timesheets)
    faults.add("drop_after", method="POST", path="/api/timesheets")
    exc = fails(sim, errors.AmbiguousRequestError, lambda c: c.create_timesheet(draft))
    assert exc.ambiguous and len(sim.state.timesheets) == before + 1  # it was applied


def test_wrong_urls_and_server_down(sim: Any) -> None:
    fails(sim, errors.NotKimaiError, lambda c: c.version(), url=sim.url + "/api/api")
    fails(sim, errors.NotKimaiError, lambda c: c.version(), url=sim.url + "/index.php")
    other = server_mod.SimulatorServer(SimulatorState(seed="empty", token=TOKEN))
    other.start()
    url = other.url
    other.stop()  # now nothing listens there: connection refused
    fails(sim, errors.ServerUnreachableError, lambda c: c.ping(), url=url)


def test_punch_mode_omits_times_for_a_plain_user(sim: Any) -> None:
    project, activity = ids(sim)
    sim.state.set_tracking_mode("punch")
    plain = Credentials("token", "plain-token")
    # With begin/end in the body Kimai answers 400 "extra fields"; the client must leave them out.
    ts = use(
        sim,
        lambda c: c.start_timesheet(TimesheetDraft(project, activity, begin=BEGIN)),
        credentials=plain,
    )
    assert ts.is_running and ts.begin != BEGIN  # the server's "now", not ours
    posted = [r.json for r in sim.state.requests if r.method == "POST"]
    assert posted and "begin" not in posted[-1] and "end" not in posted[-1]
