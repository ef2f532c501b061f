"""The CLI against `kimai-tray simulator --kimai1` (a subprocess, JSON-RPC over real HTTP).

Login detects the API, then start/status/stop work exactly as against Kimai 2.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from cli.cli_support import Cli, SimulatorProcess

PASSWORD = "cli-kimai1-Pa55"


@pytest.fixture
def kimai1_proc() -> Iterator[SimulatorProcess]:
    sim = SimulatorProcess("--kimai1", token=PASSWORD)
    try:
        yield sim
    finally:
        sim.stop()


def test_login_detects_kimai1_and_tracks(cli: Cli, kimai1_proc: SimulatorProcess) -> None:
    url = kimai1_proc.url
    login = cli.run("login", "--url", url, "--user", "admin", stdin=PASSWORD + "\n")
    assert login.returncode == 0, login.stderr
    assert login.stdout.startswith(f"Logged in to {url} as admin.")
    assert "Kimai 1 JSON-RPC API (detected)" in login.stdout
    config = (cli.home / "config" / "config.toml").read_text(encoding="utf-8")
    assert 'api = "kimai1"' in config
    assert PASSWORD not in cli.all_files_text()

    projects = json.loads(cli.run("projects", "--json").stdout)
    assert "Website relaunch" in [p["name"] for p in projects]
    started = cli.run(
        "start", "--project", "Website relaunch", "--activity", "Development", "--description", "k1"
    )
    assert started.returncode == 0, started.stderr
    assert started.stdout.startswith("Started Acme Corp · Website relaunch · Development")
    assert "queued" not in started.stdout

    status = json.loads(cli.run("status", "--json").stdout)
    assert status["state"] == "running" and status["online"] is True
    assert status["pending"] == 0 and status["timesheet"]["project"]["name"] == "Website relaunch"

    stopped = cli.run("stop")
    assert stopped.returncode == 0 and "queued" not in stopped.stdout
    after = json.loads(cli.run("status", "--json").stdout)
    assert (after["state"], after["pending"], after["online"]) == ("idle", 0, True)
    for result in (login, started, stopped):
        assert PASSWORD not in result.stdout + result.stderr


def test_wrong_password_and_missing_user_are_refused(
    cli: Cli, kimai1_proc: SimulatorProcess
) -> None:
    url = kimai1_proc.url
    wrong = cli.run("login", "--url", url, "--user", "admin", stdin="wrong-pass-42\n")
    assert wrong.returncode == 1 and wrong.stderr.count("\n") == 1
    assert not (cli.home / "config" / "config.toml").exists()
    no_user = cli.run("login", "--url", url, stdin=PASSWORD + "\n")
    assert no_user.returncode == 1
    assert "Kimai 1 server: add --user" in no_user.stderr


def test_forced_api_skips_detection(cli: Cli, kimai1_proc: SimulatorProcess) -> None:
    url = kimai1_proc.url
    forced = cli.run(
        "login", "--url", url, "--user", "admin", "--api", "kimai1", stdin=PASSWORD + "\n"
    )
    assert forced.returncode == 0, forced.stderr
    assert "Kimai 1 JSON-RPC API (forced)" in forced.stdout
    # Forcing the wrong API fails on the login check instead of guessing.
    wrong = cli.run("login", "--url", url, "--api", "kimai2", stdin="some-token\n")
    assert wrong.returncode == 1 and wrong.stderr.count("\n") == 1
