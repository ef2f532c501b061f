"""Issue 4 acceptance through the CLI as a black box (subprocess) over real HTTP.

The simulator runs in-process (SimulatorServer: the same server `kimai-tray simulator` runs)
so the test can act as "the web UI" and as an admin deleting an activity directly on it.
KIMAI_TRAY_HOME is a temp dir and the keyring a file backend (tests/cli/conftest.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cli.cli_support import TOKEN, Cli
from helpers.simulator_fixtures import SimulatorFactory
from kimai_tray.simulator.server import SimulatorServer

PROJECT, TASK, MEETING = 1, 6, 1  # demo seed: project 1, its "Task 1", the global "Meeting"


@pytest.fixture
def sim(simulator_factory: SimulatorFactory) -> Iterator[SimulatorServer]:
    # Rounding off: times must come back exactly as clicked (to the second).
    yield simulator_factory(seed="demo", token=TOKEN, rounding=False)


def _ok(cli: Cli, *args: str, stdin: str | None = None) -> str:
    result = cli.run(*args, stdin=stdin)
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    assert TOKEN not in result.stdout + result.stderr
    return result.stdout


def _status(cli: Cli) -> dict[str, Any]:
    data = json.loads(_ok(cli, "status", "--json"))
    assert isinstance(data, dict)
    return data


def test_web_ui_timer_shows_in_status_and_a_stopped_one_stays_stopped(
    cli: Cli, sim: SimulatorServer
) -> None:
    _ok(cli, "login", "--url", sim.url, stdin=TOKEN + "\n")
    _ok(cli, "activities", "--json")  # names come from the cached catalog
    assert _status(cli)["state"] == "idle"

    web = sim.state.start_timer(PROJECT, MEETING, description="from the browser")
    status = _status(cli)
    assert status["state"] == "running" and status["online"] is True
    assert status["timesheet"]["id"] == web.id
    assert status["timesheet"]["activity"]["name"] == "Meeting"
    assert status["timesheet"]["description"] == "from the browser"

    sim.state.stop_timer()
    assert _status(cli)["state"] == "idle"
    _ok(cli, "sync")
    assert _status(cli)["state"] == "idle"
    assert sim.state.timesheets[web.id].end is not None
    assert not sim.state.running(sim.state.admin.id)
    assert TOKEN not in cli.all_files_text()


def test_rejected_entry_shows_in_pending_json_with_kimais_reason_and_blocks_nothing(
    cli: Cli, sim: SimulatorServer
) -> None:
    _ok(cli, "login", "--url", sim.url, stdin=TOKEN + "\n")
    _ok(cli, "activities", "--json")  # catalog cached while online
    sim.stop()  # offline: both entries are queued
    queued = _ok(
        cli, "start", "--project", str(PROJECT), "--activity", str(TASK), "--description", "doomed"
    )
    assert "queued" in queued.lower()
    _ok(
        cli,
        "start",
        "--project",
        str(PROJECT),
        "--activity",
        str(MEETING),
        "--description",
        "independent",
    )
    _ok(cli, "stop")
    sim.state.delete_activity(TASK)  # meanwhile an admin deletes the activity in Kimai
    sim.start()

    result = cli.run("sync")
    assert result.returncode == 1  # something is still pending: the rejected entry
    assert TOKEN not in result.stdout + result.stderr
    ops = json.loads(_ok(cli, "pending", "--json"))
    # Only the doomed entry's own ops wait (its stop waits behind its rejected start).
    assert ops and {op["entry"]["description"] for op in ops} == {"doomed"}, ops
    (failed,) = [op for op in ops if op["status"] == "failed"]
    assert failed["kind"] == "start"
    assert failed["reason"].startswith("Kimai rejected"), failed["reason"]
    assert "activity" in failed["reason"], failed["reason"]  # Kimai's own field and message
    descriptions = [t.description for t in sim.state.timesheets.values()]
    assert descriptions.count("independent") == 1 and "doomed" not in descriptions
    (independent,) = [t for t in sim.state.timesheets.values() if t.description == "independent"]
    assert independent.end is not None
    assert TOKEN not in cli.all_files_text()


def test_offline_start_and_stop_sync_to_one_exact_timesheet(cli: Cli, sim: SimulatorServer) -> None:
    _ok(cli, "login", "--url", sim.url, stdin=TOKEN + "\n")
    _ok(cli, "activities", "--json")
    tag = next(iter(sim.state.tags.values())).name
    seeded = set(sim.state.timesheets)
    sim.stop()

    def clicked(*args: str) -> tuple[datetime, datetime]:
        before = datetime.now(UTC).replace(microsecond=0)
        out = _ok(cli, *args)
        assert "queued" in out.lower(), out
        return before, datetime.now(UTC) + timedelta(seconds=1)

    start_window = clicked(
        "start", "--project", str(PROJECT), "--activity", str(TASK),
        "--description", "on the train", "--tag", tag,
    )  # fmt: skip
    stop_window = clicked("stop")
    sim.start()
    _ok(cli, "sync")
    assert json.loads(_ok(cli, "pending", "--json")) == []

    (sheet,) = [t for i, t in sim.state.timesheets.items() if i not in seeded]
    assert start_window[0] <= sheet.begin <= start_window[1]
    assert sheet.end is not None and stop_window[0] <= sheet.end <= stop_window[1]
    assert (sheet.project, sheet.activity) == (PROJECT, TASK)
    assert (sheet.description, sheet.tags) == ("on the train", [tag])
    # One POST with begin and end: the clicked times, not the time the server came back.
    posts = [r for r in sim.state.requests if r.method == "POST" and r.status == 200]
    assert len(posts) == 1 and "end" in posts[0].json
