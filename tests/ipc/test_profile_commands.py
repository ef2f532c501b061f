"""`kimai-tray --profile B COMMAND` answered by the app while it runs on profile A.

In process (asyncio, no Qt needed): the app's CommandHost with a real ProfileSwitcher, two
Kimai 2 simulators over real HTTP and real SQLite outboxes; only the keyring is the in-memory
stand-in (no Secret Service on CI). The point: B's outbox has one Tracker in the app at any
time (the background syncer's, lent to commands), never a second writer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from helpers.keyring_fixtures import MemoryKeyring
from helpers.simulator_fixtures import SIMULATOR_TOKEN, SimulatorFactory
from kimai_tray.cli import build_parser
from kimai_tray.context import AppContext
from kimai_tray.instance import CommandHost
from kimai_tray.platform.ipc import IpcRequest, IpcResponse
from kimai_tray.platform.profiles import Profile, config_for
from kimai_tray.profile_switch import ProfileSwitcher
from kimai_tray.simulator.server import SimulatorServer

PROJECT, TASK = "1", "6"  # demo seed: project 1 and its "Task 1"
B = ("--profile", "b")
OPENED = "profile b: opened for a command"
REUSED = "profile b: command runs on its background tracker"


@pytest.fixture
def two_profiles(
    tmp_path: Path, simulator_factory: SimulatorFactory, memory_keyring: MemoryKeyring
) -> Iterator[tuple[AppContext, SimulatorServer, SimulatorServer]]:
    sim_a, sim_b = simulator_factory(seed="demo"), simulator_factory(seed="demo")
    ctx = AppContext.build({"KIMAI_TRAY_HOME": str(tmp_path)}, log_to_file=False)
    ctx.save_config(replace(ctx.config, server_url=sim_a.url, profiles=(Profile("b", sim_b.url),)))
    for name in ("default", "b"):
        ctx.store_secret(config_for(ctx.file_config or ctx.config, name), SIMULATOR_TOKEN)
    try:
        yield ctx, sim_a, sim_b
    finally:
        ctx.close()


def _request(*argv: str) -> IpcRequest:
    """What `kimai-tray ARGV` sends to the app (as forward_to_app builds it)."""
    args = vars(build_parser().parse_args(list(argv)))
    command = args.pop("command")
    return IpcRequest(command, args)


def _running(sim: SimulatorServer) -> list[str]:
    with sim.state.lock:
        return [t.description for t in sim.state.timesheets.values() if t.end is None]


def test_another_profile_runs_on_its_one_tracker_in_the_app(
    two_profiles: tuple[AppContext, SimulatorServer, SimulatorServer],
    caplog: pytest.LogCaptureFixture,
) -> None:
    ctx, sim_a, sim_b = two_profiles
    caplog.set_level(logging.INFO)
    before_a = _running(sim_a)

    async def run() -> list[IpcResponse]:
        switcher = ProfileSwitcher(ctx, retry_s=0.2)
        host = CommandHost(ctx, lambda: None, lambda: switcher)
        switcher.attach(ctx.make_backend())  # the app runs on profile A ("default")
        try:
            # B refuses new entries for now (a definite failure: nothing to reconcile later).
            sim_b.state.faults.add("status", method="POST", path="/api/timesheets", times=-1)
            start = await host.handle(
                _request(
                    *B, "start", "--project", PROJECT, "--activity", TASK, "--description", "on B"
                )
            )
            # Offline: the entry waits in B's outbox, delivered by the app's background syncer.
            assert switcher.background_pending() == {"b": 1}
            # Two commands at once on B share B's one tracker (lent by the syncer).
            status, pending = await asyncio.gather(
                host.handle(_request(*B, "status", "--json")),
                host.handle(_request(*B, "pending", "--json")),
            )
            assert switcher.background_pending() == {"b": 1}
            sim_b.state.faults.clear()
            sync = await host.handle(_request(*B, "sync", "--timeout", "10"))
            assert switcher.background_pending() == {}  # delivered, so closed
            after = await host.handle(_request(*B, "status", "--json"))
            return [start, status, pending, sync, after]
        finally:
            await switcher.aclose()

    start, status, pending, sync, after = asyncio.run(run())
    assert start.exit_code == 0 and "(queued: server offline)" in start.stdout, start.stderr
    assert status.exit_code == 0 and '"state": "running"' in status.stdout
    assert pending.exit_code == 0 and '"kind": "start"' in pending.stdout
    assert sync.exit_code == 0, sync.stderr
    assert after.exit_code == 0 and '"pending": 0' in after.stdout
    assert f'"server": "{sim_b.url}"' in after.stdout
    assert _running(sim_b) == ["on B"] and _running(sim_a) == before_a
    assert ctx.profile == "default"  # the app stayed on A
    # B's outbox had one Tracker at a time: opened for the start, then lent by the background
    # syncer to the concurrent pair and to the sync (which delivered it, so it was closed);
    # opened anew for the last status.
    assert caplog.text.count(OPENED) == 2
    assert caplog.text.count(REUSED) == 2


def test_active_profile_by_name_is_the_apps_own_context(
    two_profiles: tuple[AppContext, SimulatorServer, SimulatorServer],
    caplog: pytest.LogCaptureFixture,
) -> None:
    ctx, sim_a, _sim_b = two_profiles
    caplog.set_level(logging.INFO)

    async def run() -> IpcResponse:
        switcher = ProfileSwitcher(ctx)
        host = CommandHost(ctx, lambda: None, lambda: switcher)
        try:
            return await host.handle(_request("--profile", "default", "status", "--json"))
        finally:
            await switcher.aclose()

    response = asyncio.run(run())
    assert response.exit_code == 0 and f'"server": "{sim_a.url}"' in response.stdout
    assert "opened for a command" not in caplog.text


def test_unknown_profile_is_one_sentence(
    two_profiles: tuple[AppContext, SimulatorServer, SimulatorServer],
) -> None:
    ctx, _sim_a, _sim_b = two_profiles

    async def run() -> IpcResponse:
        switcher = ProfileSwitcher(ctx)
        try:
            return await CommandHost(ctx, lambda: None, lambda: switcher).handle(
                _request("--profile", "nope", "status")
            )
        finally:
            await switcher.aclose()

    response = asyncio.run(run())
    assert response.exit_code == 1
    assert response.stderr == "kimai-tray: There is no profile 'nope' (known: default, b).\n"


def test_without_the_switcher_another_profile_is_refused_not_opened(
    two_profiles: tuple[AppContext, SimulatorServer, SimulatorServer],
) -> None:
    ctx, _sim_a, sim_b = two_profiles
    host = CommandHost(ctx, lambda: None)
    response = asyncio.run(
        host.handle(_request(*B, "start", "--project", PROJECT, "--activity", TASK))
    )
    assert response.exit_code == 1
    assert "cannot run commands for profile 'b'" in response.stderr
    assert _running(sim_b) == []
