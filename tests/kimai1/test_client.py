"""Kimai1Client against the Kimai 1 simulator over real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest

from helpers.fake_clock import FakeClock
from kimai1.conftest import PASSWORD, MakeServer, SteppedClock
from kimai_tray.api.kimai1 import Kimai1Client, Kimai1UnsupportedError
from kimai_tray.core import errors
from kimai_tray.core.diagnostics import format_report, run_doctor
from kimai_tray.core.models import TimesheetChanges, TimesheetDraft
from kimai_tray.simulator.kimai1 import Kimai1SimulatorServer

T = TypeVar("T")


def use(
    server: Kimai1SimulatorServer,
    scenario: Callable[[Kimai1Client], Awaitable[T]],
    **kwargs: Any,
) -> T:
    """Run `scenario` with a fresh client on its own event loop, closing the client after."""

    async def main() -> T:
        client = Kimai1Client(server.url, kwargs.pop("username", "admin"), PASSWORD, **kwargs)
        try:
            return await scenario(client)
        finally:
            await client.aclose()

    return asyncio.run(main())


def calls(server: Kimai1SimulatorServer) -> list[str]:
    return [c.method for c in server.state.request_log]


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def test_version_ping_me_config(server: Kimai1SimulatorServer) -> None:
    async def scenario(client: Kimai1Client) -> None:
        version = await client.version()
        assert (version.version, version.version_id) == ("1.3.5", 10305)
        await client.ping()
        me = await client.me()
        assert (me.id, me.username, me.timezone) == (1, "admin", "UTC")
        assert (await client.timesheet_config()).active_entries_hard_limit == 1

    use(server, scenario)


def test_catalog_maps_tasks_projects_customers(server: Kimai1SimulatorServer) -> None:
    async def scenario(client: Kimai1Client) -> None:
        customers = {c.id: c for c in await client.customers()}
        assert customers[1].name == "Test-Customer"
        assert customers[3].visible is False
        projects = {p.id: p for p in await client.projects()}
        assert (projects[2].name, projects[2].customer_id, projects[2].customer_name) == (
            "Website relaunch",
            2,
            "Acme Corp",
        )
        assert projects[4].visible is False
        activities = {a.id: a for a in await client.activities()}
        assert activities[1].is_global and activities[1].name == "testing"
        assert activities[4].project_id == 3  # bound to "Hotline" only
        assert await client.tags() == []

    use(server, scenario)


def test_empty_server_gives_empty_lists(make_server: MakeServer) -> None:
    server = make_server(seed="empty")

    async def scenario(client: Kimai1Client) -> None:
        assert await client.projects() == []
        assert await client.activities() == []
        assert await client.customers() == []
        assert await client.active_timesheets() == []
        assert await client.timesheets() == []

    use(server, scenario)


@pytest.mark.parametrize("version", ["1.1.0", "1.3.5"])
def test_start_learns_the_id_on_both_versions(
    make_server: MakeServer, clock: SteppedClock, version: str
) -> None:
    server = make_server(version=version)

    async def scenario(client: Kimai1Client) -> None:
        sheet = await client.start_timesheet(TimesheetDraft(project_id=2, activity_id=3))
        assert sheet.id == 1 and sheet.is_running
        assert (sheet.project_id, sheet.activity_id) == (2, 3)
        assert sheet.begin == at(clock.now) and sheet.begin.tzinfo is not None
        assert [s.id for s in await client.active_timesheets()] == [1]

    use(server, scenario)
    assert "getActiveRecording" in calls(server)


def test_start_rejected_for_unknown_project(server: Kimai1SimulatorServer) -> None:
    async def scenario(client: Kimai1Client) -> None:
        with pytest.raises(errors.ValidationError) as caught:
            await client.start_timesheet(TimesheetDraft(project_id=99, activity_id=1))
        assert "Invalid project or task" in caught.value.user_message

    use(server, scenario)


@pytest.mark.parametrize(("version", "duration"), [("1.3.5", 60), ("1.1.0", 90)])
def test_stop_uses_server_now_and_rounds_on_135(
    make_server: MakeServer, clock: SteppedClock, version: str, duration: int
) -> None:
    server = make_server(version=version)

    async def scenario(client: Kimai1Client) -> None:
        started = await client.start_timesheet(TimesheetDraft(project_id=1, activity_id=1))
        clock.now += 90
        stopped = await client.stop_timesheet(started.id)
        assert stopped.end is not None and not stopped.is_running
        assert stopped.duration == duration
        assert (stopped.end - stopped.begin).total_seconds() == duration

    use(server, scenario)


def test_stop_at_keeps_the_offline_end_and_is_idempotent(
    server: Kimai1SimulatorServer, clock: SteppedClock
) -> None:
    async def scenario(client: Kimai1Client) -> None:
        started = await client.start_timesheet(TimesheetDraft(project_id=1, activity_id=2))
        end = at(clock.now + 1234)
        stopped = await client.stop_timesheet_at(started.id, end)
        assert (stopped.begin, stopped.end) == (started.begin, end)
        again = await client.stop_timesheet_at(started.id, end)
        assert again == stopped
        assert await client.active_timesheets() == []

    use(server, scenario)


def test_create_sends_comment_type_and_reads_back(server: Kimai1SimulatorServer) -> None:
    begin = datetime(2026, 11, 20, 9, 15, tzinfo=UTC) + timedelta(hours=0)
    end = begin + timedelta(minutes=45)

    async def scenario(client: Kimai1Client) -> None:
        draft = TimesheetDraft(2, 2, begin=begin, end=end, description="Offline work")
        sheet = await client.create_timesheet(draft)
        assert (sheet.begin, sheet.end, sheet.description) == (begin, end, "Offline work")
        assert sheet.duration == 45 * 60
        assert (sheet.project_id, sheet.activity_id) == (2, 2)

    use(server, scenario)
    record = next(c for c in server.state.request_log if c.method == "setTimesheetRecord")
    assert record.params[1]["commentType"] == 0


def test_create_needs_begin_and_end(server: Kimai1SimulatorServer) -> None:
    async def scenario(client: Kimai1Client) -> None:
        with pytest.raises(errors.ValidationError):
            await client.create_timesheet(TimesheetDraft(1, 1, begin=at(1_795_000_000)))

    use(server, scenario)


def test_update_finished_entry_and_refuse_running(server: Kimai1SimulatorServer) -> None:
    done = server.state.add_entry(1, 1, 1_795_000_000, 1_795_003_600)
    running = server.state.add_entry(2, 2, 1_795_010_000)

    async def scenario(client: Kimai1Client) -> None:
        changes = TimesheetChanges.of(description="Fixed bug", activity_id=2)
        sheet = await client.update_timesheet(done, changes)
        assert (sheet.description, sheet.activity_id, sheet.project_id) == ("Fixed bug", 2, 1)
        assert sheet.end == at(1_795_003_600)
        with pytest.raises(Kimai1UnsupportedError) as caught:
            await client.update_timesheet(running, TimesheetChanges.of(project_id=1))
        # A rejection of this request (the sync engine's "permanent"), never retried.
        assert isinstance(caught.value, errors.ValidationError)
        assert not caught.value.retryable
        assert server.state.entries[running].project_id == 2

    use(server, scenario)


def test_delete_and_missing_entries(server: Kimai1SimulatorServer) -> None:
    entry = server.state.add_entry(1, 1, 1_795_000_000, 1_795_003_600)

    async def scenario(client: Kimai1Client) -> None:
        await client.delete_timesheet(entry)
        with pytest.raises(errors.NotFoundError):
            await client.delete_timesheet(entry)
        with pytest.raises(errors.NotFoundError):
            await client.stop_timesheet_at(entry, at(1_795_009_000))

    use(server, scenario)
    assert server.state.entries == {}


def test_timesheets_range_and_recent(server: Kimai1SimulatorServer) -> None:
    state = server.state
    old = state.add_entry(1, 1, 1_790_000_000, 1_790_003_600)
    first = state.add_entry(1, 1, 1_795_000_000, 1_795_003_600)
    second = state.add_entry(2, 2, 1_795_004_000, 1_795_005_000)
    # Began before the range but overlaps it: Kimai 1 returns it, the protocol does not want it.
    state.add_entry(2, 3, 1_794_999_000, 1_795_000_500)

    async def scenario(client: Kimai1Client) -> None:
        sheets = await client.timesheets(begin=at(1_795_000_000), end=at(1_795_010_000))
        assert sorted(s.id for s in sheets) == [first, second]
        recent = await client.recent_timesheets(size=2)
        assert [s.id for s in recent] == [second, first]
        everything = await client.recent_timesheets(size=10)
        assert old not in [s.id for s in everything]  # same pair as `first`, older

    use(server, scenario)


def test_reauthenticates_once_when_api_key_expires(
    make_server: MakeServer, clock: SteppedClock
) -> None:
    server = make_server(api_key_ttl=300)

    async def scenario(client: Kimai1Client) -> None:
        await client.projects()
        clock.now += 301
        assert len(await client.projects()) == 4
        server.state.expire_api_keys()
        assert await client.active_timesheets() == []

    use(server, scenario)
    assert calls(server).count("authenticate") == 3
    assert calls(server)[:5] == [
        "authenticate",
        "getProjects",
        "getProjects",
        "authenticate",
        "getProjects",
    ]


def test_wrong_password_is_authentication_error_without_secret(
    server: Kimai1SimulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.state.set_password("something-else")
    caplog.set_level(logging.DEBUG)

    async def scenario(client: Kimai1Client) -> None:
        assert PASSWORD not in repr(client)
        with pytest.raises(errors.AuthenticationError) as caught:
            await client.projects()
        error = caught.value
        for text in (str(error), error.user_message, error.detail, repr(error)):
            assert PASSWORD not in text
        assert "user name or password" in error.user_message

    use(server, scenario)
    assert PASSWORD not in caplog.text
    assert calls(server) == ["authenticate"]


def test_api_key_never_logged(
    server: Kimai1SimulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    async def scenario(client: Kimai1Client) -> None:
        await client.projects()
        server.state.expire_api_keys()
        await client.projects()

    use(server, scenario)
    key = server.state.api_key
    assert key and key not in caplog.text
    assert PASSWORD not in caplog.text


def test_server_error_and_dropped_answer(server: Kimai1SimulatorServer) -> None:
    async def scenario(client: Kimai1Client) -> None:
        server.state.add_fault("500", "getProjects")
        with pytest.raises(errors.ServerError) as caught:
            await client.projects()
        assert caught.value.retryable
        server.state.add_fault("drop", "startRecord")
        with pytest.raises(errors.AmbiguousRequestError):
            await client.start_timesheet(TimesheetDraft(1, 1))
        # The drop came after Kimai applied the start: reading shows it.
        assert len(await client.active_timesheets()) == 1

    use(server, scenario)


def test_timeout_is_ambiguous(server: Kimai1SimulatorServer) -> None:
    server.state.add_fault("delay", "getUsers", seconds=1.0)

    async def scenario(client: Kimai1Client) -> None:
        with pytest.raises(errors.RequestTimeoutError):
            await client.ping()

    use(server, scenario, timeout=0.3)


def test_unreachable_server() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound but not listening: connection refused

        async def scenario() -> None:
            client = Kimai1Client(f"http://127.0.0.1:{port}", "admin", PASSWORD)
            try:
                with pytest.raises(errors.ServerUnreachableError):
                    await client.projects()
            finally:
                await client.aclose()

        asyncio.run(scenario())


def test_wrong_url_is_not_kimai(server: Kimai1SimulatorServer) -> None:
    async def scenario() -> None:
        client = Kimai1Client(server.url + "/index.php", "admin", PASSWORD)
        try:
            with pytest.raises(errors.NotKimaiError):
                await client.ping()
        finally:
            await client.aclose()

    asyncio.run(scenario())


@pytest.mark.parametrize("stop", ["now", "at"])
def test_running_description_is_written_at_stop(
    server: Kimai1SimulatorServer, clock: SteppedClock, stop: str
) -> None:
    async def scenario(client: Kimai1Client) -> None:
        draft = TimesheetDraft(project_id=1, activity_id=1, description="first idea")
        started = await client.start_timesheet(draft)
        assert started.description == "first idea"
        edited = await client.update_timesheet(
            started.id, TimesheetChanges.of(description="Write report", tags=("x",))
        )
        assert edited.description == "Write report" and edited.is_running
        assert [s.description for s in await client.active_timesheets()] == ["Write report"]
        # Kimai 1 cannot edit a running entry, so nothing was sent yet.
        assert server.state.entries[started.id].description is None
        clock.now += 600
        if stop == "now":
            stopped = await client.stop_timesheet(started.id)
        else:
            stopped = await client.stop_timesheet_at(started.id, at(clock.now))
        assert stopped.description == "Write report"
        assert not stopped.is_running

    use(server, scenario)
    assert server.state.entries[1].description == "Write report"


def test_version_without_get_version_method(make_server: MakeServer) -> None:
    server = make_server(has_get_version=False)

    async def scenario(client: Kimai1Client) -> None:
        version = await client.version()
        assert (version.version, version.version_id) == ("1", 10000)

    use(server, scenario)


def test_start_when_web_ui_stopped_it_meanwhile(server: Kimai1SimulatorServer) -> None:
    async def scenario(client: Kimai1Client) -> None:
        started = await client.start_timesheet(TimesheetDraft(1, 1))
        server.state.stop_entry(started.id, int(started.begin.timestamp()) + 60)
        assert await client.active_timesheets() == []
        stopped = await client.stop_timesheet_at(started.id, started.begin + timedelta(hours=1))
        assert stopped.end == started.begin + timedelta(hours=1)
        with pytest.raises(errors.ValidationError):
            await client.stop_timesheet(started.id)  # "Unable to stop, not recording?"

    use(server, scenario)


def test_offline_begin_is_written_at_stop(
    server: Kimai1SimulatorServer, clock: SteppedClock
) -> None:
    offline_begin = at(clock.now - 900)  # started while offline, synced 15 minutes later

    async def scenario(client: Kimai1Client) -> None:
        started = await client.start_timesheet(TimesheetDraft(1, 2, begin=offline_begin))
        # Kimai 1 stored its own clock; the client reports the begin it will write at stop.
        assert server.state.entries[started.id].start == int(clock.now)
        assert started.begin == offline_begin
        assert [s.begin for s in await client.active_timesheets()] == [offline_begin]
        stopped = await client.stop_timesheet_at(started.id, at(clock.now + 300))
        assert (stopped.begin, stopped.duration) == (offline_begin, 1200)

    use(server, scenario)


def test_doctor_reads_the_kimai1_servers_clock(server: Kimai1SimulatorServer) -> None:
    """The JSON-RPC answers carry the server's `Date`: doctor's clock check works on Kimai 1
    too. The local clock is shifted only through the injected clock, never the system's."""
    behind = FakeClock(datetime.now(UTC) - timedelta(minutes=7))
    in_step = format_report(use(server, run_doctor)).splitlines()[-1]
    skewed = format_report(use(server, lambda c: run_doctor(c, clock=behind))).splitlines()[-1]
    assert in_step == "ok   clock: in step with the server"
    assert skewed.startswith("WARN clock: This computer's clock is 7 minutes behind")
