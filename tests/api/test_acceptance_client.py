"""Issue 3 acceptance, over real HTTP against the Kimai 2 simulator (no mocks).

- every client call in Pacific/Auckland across the end of NZ daylight time
  (2026-04-05 03:00 NZDT -> 02:00 NZST): round trip to the second with rounding off, and
  exactly Kimai's rounding (begin floored, end ceiled to the minute) with it on;
- every error class triggered for real gives its one sentence, and neither the token nor the
  API password appears in that sentence, the exception or any log line (DEBUG captured).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from kimai_tray.api.credentials import Credentials
from kimai_tray.api.kimai2 import Kimai2Client
from kimai_tray.core import errors
from kimai_tray.core.models import TimesheetChanges, TimesheetDraft
from kimai_tray.simulator.kimai2 import SimulatorState
from kimai_tray.simulator.server import SimulatorServer

TZ = "Pacific/Auckland"
TOKEN = "acc_token_0123456789abcdef0123456789abcdef"  # token-shaped (see looks_like_api_token)
API_PASSWORD = "admin-api-pass"  # the seeded admin's legacy API password
BEGIN = datetime(2026, 4, 4, 12, 10, 7, tzinfo=UTC)  # 01:10:07 NZDT (+13)
END = datetime(2026, 4, 4, 15, 20, 9, tzinfo=UTC)  # 03:20:09 NZST (+12), after the change
LATER_END = datetime(2026, 4, 4, 16, 45, 31, tzinfo=UTC)  # 04:45:31 NZST

Scenario = Callable[[Kimai2Client], Awaitable[Any]]


@pytest.fixture
def sim() -> Iterator[SimulatorServer]:
    server = SimulatorServer(SimulatorState(seed="demo", timezone=TZ, token=TOKEN, rounding=False))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def run(url: str, scenario: Scenario, credentials: Credentials | None = None, **kw: Any) -> Any:
    async def main() -> Any:
        client = Kimai2Client(url, credentials or Credentials("token", TOKEN), timezone=TZ, **kw)
        try:
            return await scenario(client)
        finally:
            await client.aclose()

    return asyncio.run(main())


def _ids(sim: SimulatorServer) -> tuple[int, int]:
    customer = sim.state.add_customer("DST Ltd")
    project = sim.state.add_project("DST project", customer.id)
    activity = sim.state.add_activity("DST work", project.id)
    return project.id, activity.id


def test_every_call_round_trips_to_the_second_across_dst(sim: SimulatorServer) -> None:
    project, activity = _ids(sim)
    sim.state.add_tag("dst")

    async def scenario(c: Kimai2Client) -> dict[str, Any]:
        out: dict[str, Any] = {"version": await c.version()}
        await c.ping()
        out["me"] = await c.me()
        out["config"] = await c.timesheet_config()
        out["customers"] = await c.customers()
        out["projects"] = await c.projects()
        out["activities"] = await c.activities()
        out["tags"] = await c.tags()
        draft = TimesheetDraft(project, activity, BEGIN, END, "finished", ("dst",))
        out["created"] = await c.create_timesheet(draft)
        out["updated"] = await c.update_timesheet(
            out["created"].id, TimesheetChanges.of(end=LATER_END, description="moved")
        )
        out["started"] = await c.start_timesheet(TimesheetDraft(project, activity, BEGIN))
        out["active"] = await c.active_timesheets()
        out["stopped_at"] = await c.stop_timesheet_at(out["started"].id, END)
        out["recent"] = await c.recent_timesheets()
        out["listed"] = await c.timesheets(begin=BEGIN - timedelta(minutes=1))
        out["running"] = await c.start_timesheet(TimesheetDraft(project, activity, BEGIN))
        out["stopped"] = await c.stop_timesheet(out["running"].id)
        await c.delete_timesheet(out["stopped"].id)
        out["after_delete"] = await c.timesheets(begin=BEGIN - timedelta(minutes=1))
        return out

    out = run(sim.url, scenario)
    assert out["version"].version == sim.state.version.version
    assert out["me"].timezone == TZ
    assert {c.name for c in out["customers"]} >= {"DST Ltd"}
    assert len(out["projects"]) == len(sim.state.projects)  # ignoreDates=1: ended ones too
    assert any(a.id == activity for a in out["activities"])
    assert "dst" in {t.name for t in out["tags"]}

    created = out["created"]
    assert (created.begin, created.end, created.tags) == (BEGIN, END, ("dst",))
    # Read back with the offsets Kimai uses: +13 before the change, +12 after.
    assert created.begin.utcoffset() == timedelta(hours=13)
    assert created.end.utcoffset() == timedelta(hours=12)
    assert (out["updated"].begin, out["updated"].end) == (BEGIN, LATER_END)
    assert out["updated"].description == "moved"
    assert out["started"].begin == BEGIN and out["started"].is_running
    assert [t.id for t in out["active"]] == [out["started"].id]
    assert out["stopped_at"].end == END
    # /recent lists the latest seeded work (November): each read with Auckland's offset then.
    assert out["recent"]
    for sheet in out["recent"]:
        assert sheet.begin.utcoffset() == sheet.begin.astimezone(ZoneInfo(TZ)).utcoffset()
    listed = {t.id: t for t in out["listed"]}
    assert (listed[created.id].begin, listed[created.id].end) == (BEGIN, LATER_END)
    assert (listed[out["started"].id].begin, listed[out["started"].id].end) == (BEGIN, END)
    assert out["stopped"].end is not None  # PATCH /stop: the server's now
    assert out["stopped"].id not in {t.id for t in out["after_delete"]}
    # What went over the wire: local wall-clock times in the user's Kimai timezone.
    posted = [r.json for r in sim.state.requests if r.method == "POST" and r.json]
    assert posted[0]["begin"] == "2026-04-05T01:10:07" and posted[0]["end"] == "2026-04-05T03:20:09"
    assert posted[0]["tags"] == "dst"  # one comma-separated string


def test_rounding_on_is_exactly_kimais_floor_begin_ceil_end(sim: SimulatorServer) -> None:
    sim.state.config.rounding = True
    project, activity = _ids(sim)

    async def scenario(c: Kimai2Client) -> list[Any]:
        created = await c.create_timesheet(TimesheetDraft(project, activity, BEGIN, END))
        started = await c.start_timesheet(TimesheetDraft(project, activity, BEGIN))
        stopped = await c.stop_timesheet_at(started.id, END)
        updated = await c.update_timesheet(created.id, TimesheetChanges.of(end=LATER_END))
        return [created, stopped, updated]

    created, stopped, updated = run(sim.url, scenario)
    floor_begin = BEGIN.replace(second=0)
    ceil_end = END.replace(second=0) + timedelta(minutes=1)
    assert (created.begin, created.end) == (floor_begin, ceil_end)
    assert (stopped.begin, stopped.end) == (floor_begin, ceil_end)
    assert updated.end == LATER_END.replace(second=0) + timedelta(minutes=1)


def _error_cases(
    sim: SimulatorServer,
) -> list[tuple[type[errors.BackendError], Scenario, dict[str, Any]]]:
    project, activity = _ids(sim)
    draft = TimesheetDraft(project, activity, BEGIN, END)
    down = SimulatorServer(SimulatorState(seed="empty", token=TOKEN))
    down.start()
    down_url = down.url
    down.stop()  # nothing listens there any more: connection refused
    no_api = "noapi_token_0123456789abcdef0123456789abcd"
    sim.state.add_user("noapi", token=no_api, timezone=TZ, permissions=set())

    def me(c: Kimai2Client) -> Awaitable[Any]:
        return c.me()

    host = sim.url.removeprefix("http://")
    return [
        (errors.AuthenticationError, me, {"credentials": Credentials("token", "x" * 40)}),
        (
            errors.LegacyPasswordAsTokenError,
            me,
            {"credentials": Credentials("token", API_PASSWORD)},
        ),
        (
            errors.TokenAsLegacyPasswordError,
            me,
            {"credentials": Credentials("legacy", TOKEN, "admin")},
        ),
        (errors.PermissionDeniedError, me, {"credentials": Credentials("token", no_api)}),
        (errors.NotFoundError, lambda c: c.stop_timesheet(999_999), {}),
        (
            errors.ValidationError,
            lambda c: c.create_timesheet(TimesheetDraft(project, activity, END, BEGIN)),
            {},
        ),
        (errors.ServerUnreachableError, lambda c: c.ping(), {"url": down_url}),
        (errors.RequestTimeoutError, lambda c: c.ping(), {"fault": ("delay", 3.0)}),
        (errors.TLSError, lambda c: c.ping(), {"url": f"https://{host}"}),
        (errors.NotKimaiError, lambda c: c.version(), {"url": sim.url + "/en/login"}),
        (errors.NotKimaiError, lambda c: c.version(), {"fault": ("html_200", 0.0)}),
        (errors.ServerError, lambda c: c.ping(), {"fault": ("status", 0.0)}),
        (
            errors.AmbiguousRequestError,
            lambda c: c.create_timesheet(draft),
            {"fault": ("drop_after", 0.0)},
        ),
    ]


def test_every_error_class_gives_its_sentence_and_no_secret_anywhere(
    sim: SimulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    seen: set[type[errors.BackendError]] = set()
    for cls, scenario, opts in _error_cases(sim):
        fault = opts.pop("fault", None)
        if fault is not None:
            sim.state.faults.add(fault[0], delay=fault[1], status=500)
        kw: dict[str, Any] = {"timeout": httpx.Timeout(1.0, connect=3.0)}
        with pytest.raises(errors.BackendError) as info:
            run(opts.pop("url", sim.url), scenario, opts.pop("credentials", None), **kw)
        sim.state.faults.clear()
        exc = info.value
        assert isinstance(exc, cls), (cls, type(exc), exc.detail)
        sentence = exc.user_message
        if cls is errors.ValidationError:
            assert "End date" in sentence, sentence  # carries Kimai's own reason
        elif cls is errors.PermissionDeniedError:
            assert "API access" in sentence, sentence  # /users/me: says which permission
        else:
            assert sentence == type(exc).default_message, (cls, sentence)
        assert sentence.count(".") + sentence.count("?") >= 1 and "\n" not in sentence
        for secret in (TOKEN, API_PASSWORD, "x" * 40):
            assert secret not in sentence + exc.detail + repr(exc) + str(exc), cls
        seen.add(cls)
    for secret in (TOKEN, API_PASSWORD, "x" * 40):
        assert secret not in caplog.text
    assert len(seen) == 12
