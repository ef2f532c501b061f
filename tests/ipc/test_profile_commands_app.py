"""`kimai-tray --profile b COMMAND` while the real app runs on profile A (issue: one writer).

Everything is real: the app is a subprocess (offscreen Qt) logged in to two Kimai 2
simulators over HTTP, the CLI is a second process, the socket is a real Unix socket; the
keyring is the test-only file backend (no Secret Service on CI).
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from helpers.simulator_fixtures import SIMULATOR_TOKEN, SimulatorFactory
from ipc.app_process import AppProcess, base_env, run_cli
from kimai_tray.context import AppContext
from kimai_tray.platform.profiles import Profile
from kimai_tray.simulator.server import SimulatorServer

pytestmark = pytest.mark.slow

B = ("--profile", "b")


def _login(env: dict[str, str], url: str, *profile: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kimai_tray", *profile, "login", "--url", url, "--api", "kimai2"],
        env=env,
        input=SIMULATOR_TOKEN + "\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def _running(sim: SimulatorServer) -> list[str]:
    with sim.state.lock:
        return [t.description for t in sim.state.timesheets.values() if t.end is None]


def test_profile_commands_go_through_the_app_and_its_one_tracker(
    short_home: Path, simulator_factory: SimulatorFactory
) -> None:
    sim_a, sim_b = simulator_factory(seed="demo"), simulator_factory(seed="demo")
    env = base_env(short_home)
    ctx = AppContext.build({"KIMAI_TRAY_HOME": str(short_home)}, log_to_file=False)
    ctx.save_config(replace(ctx.config, profiles=(Profile("b"),)))
    ctx.close()
    _login(env, sim_a.url)
    _login(env, sim_b.url, *B)
    before_a = _running(sim_a)

    app = AppProcess(env)  # on profile A (the default)
    try:
        app.wait_line(r"single-instance socket listening")
        app.wait_line(r"first state rendered")
        # B refuses new entries for now: the entry waits in B's outbox, in the app.
        sim_b.state.faults.add("status", method="POST", path="/api/timesheets", times=-1)
        mark = app.mark()
        started = run_cli(
            env, *B, "start", "--project", "1", "--activity", "6", "--description", "on B"
        )
        assert started.returncode == 0, started.stderr
        assert "(queued: server offline)" in started.stdout
        app.wait_line(r"command start on profile b from the command line: exit 0", after=mark)
        app.wait_line(r"profile b: 1 pending, syncing in the background", after=mark)

        mark = app.mark()
        status = run_cli(env, *B, "status", "--json")
        assert status.returncode == 0, status.stderr
        data = json.loads(status.stdout)
        assert (data["state"], data["pending"], data["server"]) == ("running", 1, sim_b.url)
        # The app's background tracker for B answered: no second Tracker on B's outbox.
        app.wait_line(r"profile b: command runs on its background tracker", after=mark)
        app.wait_line(r"command status on profile b from the command line: exit 0", after=mark)

        sim_b.state.faults.clear()
        mark = app.mark()
        synced = run_cli(env, *B, "sync", "--timeout", "10")
        assert synced.returncode == 0, synced.stderr
        app.wait_line(r"profile b: nothing pending, closed", after=mark)
        assert _running(sim_b) == ["on B"] and _running(sim_a) == before_a

        data = json.loads(run_cli(env, *B, "status", "--json").stdout)
        assert (data["state"], data["pending"], data["online"]) == ("running", 0, True)
        # B's outbox was opened once for the first command and once for the last: never twice
        # at the same time (every command in between used the syncer's tracker).
        assert app.text().count("profile b: opened for a command") == 2
        assert "profile b: opened for a command" not in started.stderr  # not the CLI
    finally:
        app.stop()
