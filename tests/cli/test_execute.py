"""`cli.execute`: the command code shared by the CLI and the running app (IPC)."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from kimai_tray.cli import execute
from kimai_tray.context import AppContext
from kimai_tray.instance import SHOW_POPUP, CommandHost, forward_to_app
from kimai_tray.platform.ipc import IpcRequest


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[AppContext]:
    context = AppContext.build({"KIMAI_TRAY_HOME": str(tmp_path)}, log_to_file=False)
    try:
        yield context
    finally:
        context.close()


def test_concurrent_commands_keep_their_own_output(ctx: AppContext) -> None:
    # The app may answer two CLI calls at once: each must get only its own lines.
    async def both() -> list[tuple[int, str, str]]:
        results = await asyncio.gather(
            execute(ctx, argparse.Namespace(command="status", json=False)),
            execute(ctx, argparse.Namespace(command="pending", json=False)),
            execute(ctx, argparse.Namespace(command="toggle")),
        )
        return [(r.exit_code, r.stdout, r.stderr) for r in results]

    status, pending, toggle = asyncio.run(both())
    assert status[0] == 0 and status[1].startswith("Idle.\n") and status[2] == ""
    assert pending == (0, "Nothing pending.\n", "")
    assert toggle[0] == 1 and toggle[1] == ""
    assert toggle[2].startswith("kimai-tray: Nothing was tracked yet")


def test_command_host_runs_cli_commands_and_shows_the_popup(ctx: AppContext) -> None:
    shown: list[bool] = []
    host = CommandHost(ctx, lambda: shown.append(True))

    async def ask(request: IpcRequest) -> tuple[int, str, str]:
        response = await host.handle(request)
        return response.exit_code, response.stdout, response.stderr

    assert asyncio.run(ask(IpcRequest("pending", {"json": True}))) == (0, "[]\n", "")
    assert asyncio.run(ask(IpcRequest(SHOW_POPUP))) == (0, "", "")
    assert shown == [True]
    # Only the commands the app is meant to answer: never login/logout over the socket.
    code, _out, err = asyncio.run(ask(IpcRequest("logout")))
    assert code == 2 and "cannot be sent" in err


def test_forward_returns_none_when_no_app_owns_the_home(tmp_path: Path) -> None:
    args = argparse.Namespace(command="status", json=True)
    assert forward_to_app(args, {"KIMAI_TRAY_HOME": str(tmp_path)}) is None
