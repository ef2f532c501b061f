"""Acceptance for issue 6: one app per home, driven by the command line over its socket.

Everything is real: the app is a subprocess (offscreen Qt, `--demo` with its in-process
simulator over HTTP), the CLI is a second process, and the socket is a real Unix socket.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ipc.app_process import (
    AppProcess,
    active_timesheets,
    base_env,
    project_and_activity,
    run_cli,
    wait_for,
)
from ipc.fake_app import FakeApp
from kimai_tray.platform.ipc import IpcRequest, send_request, socket_location

pytestmark = pytest.mark.slow

TOGGLE_BOUND_S = 0.5  # the bound: CLI call -> tray state changed


@pytest.fixture
def demo_app(short_home: Path) -> Iterator[tuple[AppProcess, str, dict[str, str]]]:
    """The demo app, its simulator URL, and a CLI environment aimed at the demo's home."""
    app = AppProcess(base_env(short_home), "--demo")
    try:
        url = app.wait_line(r"demo simulator on (http://127\.0\.0\.1:\d+)")[1].group(1)
        demo_home = app.wait_line(r"demo home (\S+)")[1].group(1)
        app.wait_line(r"single-instance socket listening")
        yield app, url, base_env(Path(demo_home))
    finally:
        app.stop()


def timed_cli(
    app: AppProcess, env: dict[str, str], *args: str
) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Run a CLI command; return the monotonic time just before it started, and its result."""
    started = time.monotonic()
    result = run_cli(env, *args)
    assert result.returncode == 0, result.stderr
    return started, result


def status_json(app: AppProcess, env: dict[str, str]) -> dict[str, object]:
    mark = app.mark()
    result = run_cli(env, "status", "--json")
    assert result.returncode == 0, result.stderr
    # It was the app that answered, not a CLI reading the outbox on its own.
    app.wait_line(r"command status from the command line: exit 0", after=mark)
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


def test_toggle_and_status_go_through_the_running_app(
    demo_app: tuple[AppProcess, str, dict[str, str]],
) -> None:
    app, url, env = demo_app
    project_id, activity_id = project_and_activity(url)
    result = run_cli(env, "start", "--project", str(project_id), "--activity", str(activity_id))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Started ")
    app.wait_line(r"command start from the command line: exit 0")
    wait_for("the timer on the simulator", lambda: active_timesheets(url))

    # Stop by toggle: the tray leaves "running" within the bound.
    mark = app.mark()
    started, result = timed_cli(app, env, "toggle")
    changed_at, _ = app.wait_line(r"tray state (?!running)(\w+)", after=mark)
    assert changed_at - started < TOGGLE_BOUND_S, f"tray changed after {changed_at - started:.3f}s"
    assert "Stopped " in result.stdout
    wait_for("no timer on the simulator", lambda: not active_timesheets(url))
    data = status_json(app, env)
    assert data["state"] == "idle"
    assert data["online"] is True
    assert data["pending"] == 0
    assert data["server"] == url

    # Start again by toggle (the last entry): the tray shows "running" within the bound.
    mark = app.mark()
    started, result = timed_cli(app, env, "toggle")
    changed_at, _ = app.wait_line(r"tray state running", after=mark)
    assert changed_at - started < TOGGLE_BOUND_S, f"tray changed after {changed_at - started:.3f}s"
    active = wait_for("the restarted timer", lambda: active_timesheets(url))
    assert isinstance(active, list) and len(active) == 1
    data = status_json(app, env)
    assert data["state"] == "running"
    timesheet = data["timesheet"]
    assert isinstance(timesheet, dict)
    assert timesheet["id"] == active[0]["id"]
    server_project = active[0]["project"]
    server_project_id = server_project["id"] if isinstance(server_project, dict) else server_project
    assert timesheet["project"]["id"] == server_project_id == project_id

    # `pending` goes through the app too, and agrees: nothing is queued.
    mark = app.mark()
    result = run_cli(env, "pending", "--json")
    assert result.returncode == 0 and json.loads(result.stdout) == []
    app.wait_line(r"command pending from the command line: exit 0", after=mark)


def test_second_launch_shows_the_running_app_and_exits(
    demo_app: tuple[AppProcess, str, dict[str, str]],
) -> None:
    app, _url, env = demo_app
    mark = app.mark()
    started = time.monotonic()
    second = run_cli(env, timeout=30)  # `kimai-tray` with no command, same home
    elapsed = time.monotonic() - started
    assert second.returncode == 0, second.stderr
    assert elapsed < 5.0, f"the second launch took {elapsed:.1f}s"
    assert "already running" in second.stderr
    # It never built an app of its own (no tray, no outbox writer) ...
    assert "first state rendered" not in second.stderr
    assert "single-instance socket listening" not in second.stderr
    # ... and the first one was asked to show its popup, and still runs.
    app.wait_line(r"popup requested by another launch", after=mark)
    assert app.proc.poll() is None


def test_a_killed_app_leaves_a_stale_socket_that_the_next_app_takes_over(
    short_home: Path,
) -> None:
    env = base_env(short_home)  # a real (not demo) home: nothing configured, no network
    name, _lock = socket_location(short_home / "config", short_home / "run")
    first = AppProcess(env)
    try:
        first.wait_line(r"single-instance socket listening")
        assert send_request(name, IpcRequest("ping"), timeout=10) is not None
        first.proc.send_signal(signal.SIGKILL)
        first.proc.wait(timeout=20)
    finally:
        first.stop()
    # SIGKILL leaves the socket file behind, and nobody answers on it any more.
    assert os.path.exists(name)
    assert send_request(name, IpcRequest("ping"), timeout=10) is None

    second = AppProcess(env)
    try:
        second.wait_line(r"single-instance socket listening")
        mark = second.mark()
        result = run_cli(env, "status")
        assert result.returncode == 0, result.stderr
        assert "Idle." in result.stdout
        second.wait_line(r"command status from the command line: exit 0", after=mark)
        assert second.proc.poll() is None
    finally:
        second.stop()


# -- an app that does not finish a command: the CLI must never act a second time --------


def _cli_home(short_home: Path) -> tuple[dict[str, str], str]:
    """A home with one queued (offline) timer, and the path its app's socket would have."""
    env = base_env(short_home)
    result = run_cli(env, "start", "--project", "1", "--activity", "1")  # no app: acts itself
    assert result.returncode == 0, result.stderr
    name, _lock = socket_location(short_home / "config", short_home / "run")
    return env, name


def _local_status(env: dict[str, str]) -> dict[str, object]:
    result = run_cli(env, "status", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


def test_cli_does_not_act_when_the_app_does_not_take_the_command(short_home: Path) -> None:
    env, name = _cli_home(short_home)
    with FakeApp(name, "silent") as app:
        result = run_cli(env, "toggle")
        assert result.returncode == 1
        assert "not responding; nothing was changed" in result.stderr
        assert app.seen() == ["toggle"]
        # Read-only: `pending` reads the outbox here, and says why.
        pending = run_cli(env, "pending", "--json")
        assert pending.returncode == 0, pending.stderr
        assert "not responding" in pending.stderr
        assert [op["kind"] for op in json.loads(pending.stdout)] == ["start"]
    # The socket file is left behind, nobody listens: the CLI acts itself again.
    data = _local_status(env)
    assert data["state"] == "running"  # the toggle (a stop) was not applied by the CLI
    assert data["pending"] == 1


def test_cli_does_not_act_again_when_the_app_took_the_command_and_died(
    short_home: Path,
) -> None:
    env, name = _cli_home(short_home)
    with FakeApp(name, "ack_then_close") as app:
        result = run_cli(env, "toggle")
        assert result.returncode == 1
        assert "stopped answering while running 'toggle'" in result.stderr
        assert "kimai-tray status" in result.stderr
        assert app.confirmations == 1
    data = _local_status(env)
    assert data["state"] == "running" and data["pending"] == 1


def test_cli_gets_the_answer_of_an_app_that_answers(short_home: Path) -> None:
    env, name = _cli_home(short_home)
    with FakeApp(name, "answer"):
        result = run_cli(env, "toggle")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "answer:toggle\n"
    assert _local_status(env)["state"] == "running"  # only the (fake) app acted


def test_cli_acts_itself_on_a_stale_socket(short_home: Path) -> None:
    env, name = _cli_home(short_home)
    FakeApp(name, "answer").close()  # leaves the socket file; nobody listens
    assert os.path.exists(name)
    result = run_cli(env, "toggle")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Stopped ")
    assert _local_status(env)["state"] == "idle"


def test_frozen_app_makes_the_cli_refuse_and_no_second_app_starts(
    demo_app: tuple[AppProcess, str, dict[str, str]],
) -> None:
    app, url, env = demo_app
    project_id, activity_id = project_and_activity(url)
    result = run_cli(env, "start", "--project", str(project_id), "--activity", str(activity_id))
    assert result.returncode == 0, result.stderr
    running = wait_for("the timer on the simulator", lambda: active_timesheets(url))
    app.proc.send_signal(signal.SIGSTOP)
    try:
        toggled = run_cli(env, "toggle")
        second = run_cli(env, timeout=60)  # a second launch while the app is frozen
    finally:
        app.proc.send_signal(signal.SIGCONT)
    assert toggled.returncode == 1
    assert "not responding; nothing was changed" in toggled.stderr
    assert second.returncode == 1  # it could not show the window: a problem, said in a sentence
    assert "not responding" in second.stderr  # not "its window was opened": it was not
    assert "first state rendered" not in second.stderr  # no second app, no second outbox writer
    assert "single-instance socket listening" not in second.stderr
    # Resumed, the app never runs the toggle it finds in its socket buffer.
    data = status_json(app, env)
    assert data["state"] == "running"
    assert active_timesheets(url) == running
    assert "command toggle from the command line" not in app.text()
