"""The CLI against `kimai-tray simulator` over real HTTP on 127.0.0.1 (no mocks)."""

from __future__ import annotations

import json

from cli.cli_support import TOKEN, Cli, SimulatorProcess


def login(cli: Cli, url: str) -> None:
    result = cli.run("login", "--url", url, stdin=TOKEN + "\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Logged in to {url} as ")


def assert_token_nowhere(cli: Cli, *outputs: str) -> None:
    assert TOKEN not in cli.all_files_text()  # config, log, databases
    for text in outputs:
        assert TOKEN not in text


def test_login_stores_token_only_in_keyring(cli: Cli, simulator_proc: SimulatorProcess) -> None:
    result = cli.run("login", "--url", simulator_proc.url + "/", stdin=TOKEN + "\n")
    assert result.returncode == 0, result.stderr
    assert TOKEN in cli.keyring_file.read_text(encoding="utf-8")
    config = (cli.home / "config" / "config.toml").read_text(encoding="utf-8")
    assert f'url = "{simulator_proc.url}"' in config
    assert (cli.home / "config" / "config.toml").stat().st_mode & 0o777 == 0o600
    assert_token_nowhere(cli, result.stdout, result.stderr)


def test_wrong_token_is_not_saved(cli: Cli, simulator_proc: SimulatorProcess) -> None:
    result = cli.run("login", "--url", simulator_proc.url, stdin="wrong-token-123\n")
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (cli.home / "config" / "config.toml").exists()
    assert not cli.keyring_file.exists() or "wrong-token" not in cli.keyring_file.read_text()
    assert "wrong-token-123" not in cli.all_files_text()


def test_track_online_by_name(cli: Cli, simulator_proc: SimulatorProcess) -> None:
    login(cli, simulator_proc.url)
    projects = json.loads(cli.run("projects", "--json").stdout)
    assert projects, "demo seed has projects"
    project = projects[0]
    activities = json.loads(cli.run("activities", "--json").stdout)
    assert activities

    outputs = []
    started = cli.run(
        "start",
        "--project",
        str(project["id"]),
        "--activity",
        str(activities[0]["id"]),
        "--description",
        "cli test",
        "--tag",
        "remote",  # a tag the demo seed knows: Kimai drops unknown tag names
    )
    outputs += [started.stdout, started.stderr]
    if started.returncode == 1 and "activity" in started.stderr.lower():
        return  # that activity is not allowed in the first project: covered elsewhere
    assert started.returncode == 0, started.stderr
    assert started.stdout.startswith("Started ") and "queued" not in started.stdout

    status = json.loads(cli.run("status", "--json").stdout)
    assert status["state"] == "running" and status["online"] is True
    assert isinstance(status["timesheet"]["id"], int)  # the server has it
    assert status["timesheet"]["tags"] == ["remote"]
    assert status["pending"] == 0

    stopped = cli.run("stop")
    outputs += [stopped.stdout, stopped.stderr]
    assert stopped.returncode == 0 and "queued" not in stopped.stdout
    synced = cli.run("sync", "--timeout", "10")
    assert synced.returncode == 0, synced.stderr
    assert json.loads(cli.run("pending", "--json").stdout) == []
    assert_token_nowhere(cli, *outputs)


def test_start_queues_when_server_goes_away(cli: Cli, simulator_proc: SimulatorProcess) -> None:
    login(cli, simulator_proc.url)
    projects = json.loads(cli.run("projects", "--json").stdout)
    simulator_proc.stop()
    started = cli.run("start", "--project", str(projects[0]["id"]), "--activity", "1")
    if started.returncode == 1:
        assert "activity" in started.stderr.lower()
        return
    assert "(queued: server offline)" in started.stdout
    synced = cli.run("sync", "--timeout", "2")
    assert synced.returncode == 1  # something is still pending
    assert json.loads(cli.run("status", "--json").stdout)["online"] is False


def test_logout_removes_secret(cli: Cli, simulator_proc: SimulatorProcess) -> None:
    login(cli, simulator_proc.url)
    assert cli.run("logout").stdout.strip() == "Logged out."
    assert TOKEN not in cli.keyring_file.read_text(encoding="utf-8")
    assert cli.run("logout").stdout.strip() == "Not logged in."
