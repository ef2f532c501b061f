"""CLI behaviour that needs no server: exit codes, fast start, config errors, offline queueing."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from cli.cli_support import Cli


def test_version_is_fast_and_imports_no_qt_or_keyring() -> None:
    code = (
        "import sys\nfrom kimai_tray.cli import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit as e:\n    assert e.code == 0\n"
        "heavy = [m for m in ('PySide6', 'keyring', 'httpx', 'sqlite3') if m in sys.modules]\n"
        "print('heavy:', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.startswith("kimai-tray ")
    assert "heavy: []" in out.stdout


def test_usage_error_exits_2(cli: Cli) -> None:
    result = cli.run("start", "--activity", "x")
    assert result.returncode == 2
    assert "usage:" in result.stderr


def test_project_without_activity_exits_2(cli: Cli) -> None:
    assert cli.run("start", "--project", "1").returncode == 2


def test_corrupt_config_is_one_sentence_with_path_and_line(cli: Cli) -> None:
    config = cli.home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[server]\nurl = "https://k.example"\nuser = ???\n', encoding="utf-8")
    result = cli.run("status")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert f"{config} line 3:" in lines[0]
    assert "???" in config.read_text(encoding="utf-8")  # left for the user to fix


def test_no_keyring_is_one_sentence(cli: Cli) -> None:
    env = {**cli.env, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    result = subprocess.run(
        [sys.executable, "-m", "kimai_tray.cli", "login", "--url", "https://k.example"],
        env=env,
        input="secret\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "No usable password store" in result.stderr
    assert not (cli.home / "config" / "config.toml").exists()


def test_status_idle_when_never_configured(cli: Cli) -> None:
    result = cli.run("status", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data == {
        "state": "idle",
        "pending": 0,
        "online": False,
        "server": None,
        "today": 0,
        "week": 0,
    }


def test_start_and_stop_offline_are_queued(cli: Cli) -> None:
    started = cli.run("start", "--project", "1", "--activity", "2", "--description", "offline")
    assert started.returncode == 0, started.stderr
    assert started.stdout.startswith("Started ") and "(queued:" in started.stdout

    status = json.loads(cli.run("status", "--json").stdout)
    assert status["state"] == "running"
    assert status["timesheet"]["project"]["id"] == 1
    assert status["timesheet"]["activity"]["id"] == 2
    assert status["timesheet"]["description"] == "offline"
    assert status["timesheet"]["id"] is None
    assert status["timesheet"]["begin"][-6] in "+-"  # ISO 8601 with an offset
    assert status["pending"] >= 1
    # Totals count the running, not yet synced entry (whole seconds).
    assert isinstance(status["today"], int) and isinstance(status["week"], int)
    assert status["week"] >= status["today"] >= 0

    stopped = cli.run("stop")
    assert stopped.returncode == 0 and stopped.stdout.startswith("Stopped ")
    pending = json.loads(cli.run("pending", "--json").stdout)
    assert {op["kind"] for op in pending} >= {"start"}


def test_toggle_restarts_last_entry_offline(cli: Cli) -> None:
    assert cli.run("start", "--project", "3", "--activity", "4").returncode == 0
    assert cli.run("toggle").stdout.startswith("Stopped ")
    toggled = cli.run("toggle")
    assert toggled.stdout.startswith("Started ")
    status = json.loads(cli.run("status", "--json").stdout)
    assert status["state"] == "running" and status["timesheet"]["project"]["id"] == 3


def test_names_need_a_catalog_offline(cli: Cli) -> None:
    result = cli.run("start", "--project", "Website", "--activity", "Design")
    assert result.returncode == 1
    assert "numeric ids" in result.stderr


def test_sync_without_login_fails(cli: Cli) -> None:
    result = cli.run("sync", "--timeout", "1")
    assert result.returncode == 1
    assert "Not logged in" in result.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_home_is_private(cli: Cli) -> None:
    cli.run("status")
    for sub in ("config", "data"):
        assert (cli.home / sub).stat().st_mode & 0o077 == 0
    log_file = cli.home / "data" / "kimai-tray.log"
    assert log_file.stat().st_mode & 0o077 == 0


def seed_catalog(cli: Cli) -> None:
    """Fill the catalog cache as a past sync would have (the CLI reads it offline)."""
    from kimai_tray.core.catalog import Catalog
    from kimai_tray.core.models import Activity, Customer, Project

    (cli.home / "data").mkdir(parents=True, exist_ok=True)
    catalog = Catalog(cli.home / "data" / "catalog.sqlite3")
    try:
        catalog.replace_all(
            [Customer(1, "ACME"), Customer(2, "Globex")],
            [
                Project(10, "Website", 1, "ACME"),
                Project(11, "Website Relaunch", 2, "Globex"),
                Project(12, "Mobile App", 2, "Globex"),
            ],
            [Activity(20, "Design"), Activity(21, "Development")],
            [],
        )
    finally:
        catalog.close()


def test_start_by_name_offline_uses_cached_catalog(cli: Cli) -> None:
    seed_catalog(cli)
    result = cli.run("start", "--project", "mobile", "--activity", "design")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Started Globex · Mobile App · Design")


def test_ambiguous_name_lists_candidates(cli: Cli) -> None:
    seed_catalog(cli)
    result = cli.run("start", "--project", "web", "--activity", "design")
    assert result.returncode == 1
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1
    assert "ACME / Website" in message and "Globex / Website Relaunch" in message


def test_list_commands_list_and_search_the_cache_offline(cli: Cli) -> None:
    seed_catalog(cli)
    projects = json.loads(cli.run("projects", "--json", "--search", "website").stdout)
    assert sorted(p["name"] for p in projects) == ["Website", "Website Relaunch"]
    customers = json.loads(cli.run("customers", "--json", "--search", "globex").stdout)
    assert [c["name"] for c in customers] == ["Globex"]
    unfiltered = cli.run("activities")  # the whole cached list, like the server's
    assert unfiltered.returncode == 0, unfiltered.stderr
    assert [line.split()[-1] for line in unfiltered.stdout.splitlines()] == [
        "Design",
        "Development",
    ]
    assert "offline" in unfiltered.stderr
    all_projects = json.loads(cli.run("projects", "--json").stdout)
    assert [(p["name"], p["customer"]) for p in all_projects] == [
        ("Mobile App", "Globex"),
        ("Website", "ACME"),
        ("Website Relaunch", "Globex"),
    ]


def test_listing_offline_with_nothing_cached_says_what_to_do(cli: Cli) -> None:
    result = cli.run("projects")
    assert result.returncode == 1
    assert result.stderr.strip().endswith("connect once to list them.")


def test_login_refuses_empty_secret_and_bad_url(cli: Cli) -> None:
    empty = cli.run("login", "--url", "https://k.example", stdin="\n")
    assert empty.returncode == 1 and "No secret given" in empty.stderr
    bad = cli.run("login", "--url", "k.example", stdin="tok\n")
    assert bad.returncode == 1 and "https://" in bad.stderr
    legacy = cli.run("login", "--url", "https://k.example", "--legacy", stdin="pw\n")
    assert legacy.returncode == 1 and "--user" in legacy.stderr
    assert not (cli.home / "config" / "config.toml").exists()


def test_plain_http_to_remote_host_warns(cli: Cli) -> None:
    config = cli.home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[server]\nurl = "http://kimai.example.org"\n', encoding="utf-8")
    result = cli.run("status")  # no secret stored: nothing is sent, only the warning
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("warning: http://") == 1
