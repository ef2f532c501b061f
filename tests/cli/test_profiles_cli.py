"""`--profile NAME` and `kimai-tray profiles` against two Kimai 2 simulators over real HTTP.

The keyring is the in-memory stand-in (no Secret Service on CI); everything else is real:
config.toml, the per-profile SQLite outboxes and the simulators.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from helpers.keyring_fixtures import MemoryKeyring
from helpers.simulator_fixtures import SIMULATOR_TOKEN, SimulatorFactory
from kimai_tray import cli
from kimai_tray.context import AppContext
from kimai_tray.platform.profiles import Profile, config_for
from kimai_tray.simulator.server import SimulatorServer

PROJECT, TASK = "1", "6"  # demo seed ids


@pytest.fixture
def two_servers(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    memory_keyring: MemoryKeyring,
    simulator_factory: SimulatorFactory,
) -> Iterator[tuple[SimulatorServer, SimulatorServer]]:
    sim_a, sim_b = simulator_factory(seed="demo"), simulator_factory(seed="demo")
    monkeypatch.setenv("KIMAI_TRAY_HOME", str(tmp_path))
    ctx = AppContext.build(log_to_file=False)
    ctx.save_config(replace(ctx.config, server_url=sim_a.url, profiles=(Profile("b", sim_b.url),)))
    for name in ("default", "b"):
        ctx.store_secret(config_for(ctx.file_config or ctx.config, name), SIMULATOR_TOKEN)
    ctx.close()
    yield sim_a, sim_b
    for handler in list(logging.getLogger().handlers):
        if getattr(handler, "_kimai_tray", False):
            logging.getLogger().removeHandler(handler)
            handler.close()


def _run(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    return cli.main(list(args))


def _running(sim: SimulatorServer) -> list[int]:
    with sim.state.lock:
        return [t.id for t in sim.state.timesheets.values() if t.end is None]


def test_profile_option_sends_to_that_server_only(
    two_servers: tuple[SimulatorServer, SimulatorServer],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sim_a, sim_b = two_servers
    before_a = _running(sim_a)
    code = _run(monkeypatch, "--profile", "b", "start", "--project", PROJECT, "--activity", TASK)
    assert code == 0, capsys.readouterr().err
    assert len(_running(sim_b)) == 1 and _running(sim_a) == before_a

    capsys.readouterr()
    assert _run(monkeypatch, "profiles", "--json") == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["name"], r["active"], r["server"]) for r in rows] == [
        ("default", True, sim_a.url),
        ("b", False, sim_b.url),
    ]
    assert all(r["pending"] == 0 for r in rows)


def test_unknown_profile_is_one_sentence(
    two_servers: object, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(monkeypatch, "--profile", "nope", "status") == 1
    err = capsys.readouterr().err
    assert "no profile 'nope'" in err and "default, b" in err


def test_pending_shows_rounded_times_and_warns_about_a_locked_period(
    two_servers: tuple[SimulatorServer, SimulatorServer],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from datetime import UTC, datetime, timedelta

    ctx = AppContext.build(log_to_file=False)
    base = ctx.file_config or ctx.config
    # Profile b's server locks last month right away (grace 0 days).
    profiles = (replace(base.profiles[0], lockdown_grace_days=0),)
    ctx.save_config(replace(ctx.config, profiles=profiles))
    ctx.select_profile("b")
    begin = datetime.now(UTC).replace(day=1, second=30) - timedelta(days=40)
    ctx.tracker.start(int(PROJECT), int(TASK), "old", begin=begin)
    ctx.tracker.stop()
    ctx.close()
    two_servers[1].state.set_offline(True)  # stays queued: pending lists it
    capsys.readouterr()
    assert _run(monkeypatch, "--profile", "b", "pending") == 0
    out = capsys.readouterr().out
    assert "(rounded)" in out and "in a locked period" in out
