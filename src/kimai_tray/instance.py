"""Single running instance: the CLI side (forward a command, ask for the popup) and the app side.

The socket and lock come from `platform/ipc.py`; this module decides what travels over it.
A forwarded command runs the CLI's own code (`cli.execute`) on the app's context, so the
results are the same as with no app running, and the tray sees the change at once.
The CLI side imports no Qt: it is a plain Unix-socket client.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from kimai_tray.command_output import CommandResult
from kimai_tray.platform.ipc import IpcRequest, IpcResponse, send_request, socket_location
from kimai_tray.platform.paths import AppPaths, resolve_paths

if TYPE_CHECKING:
    from kimai_tray.context import AppContext

log = logging.getLogger(__name__)

SHOW_POPUP = "show-popup"
FORWARD_TIMEOUT_S = 60.0  # the app answers after its quick sync (a few seconds at most)
SHOW_TIMEOUT_S = 5.0


def instance_socket(paths: AppPaths) -> tuple[str, Path]:
    """The socket name and lock file of the app that owns this home."""
    return socket_location(paths.config_dir, paths.runtime_dir)


def _request(paths: AppPaths, request: IpcRequest, timeout: float) -> IpcResponse | None:
    name, _lock = instance_socket(paths)
    try:
        return send_request(name, request, timeout=timeout)
    except (OSError, ValueError) as exc:  # a dying app or a garbled reply: act without it
        log.warning("the running app did not answer %s: %r", request.command, exc)
        return None


def forward_to_app(
    args: argparse.Namespace, env: Mapping[str, str] | None = None
) -> CommandResult | None:
    """Run `args` in the running app; None when no app owns this home."""
    paths = resolve_paths(dict(env) if env is not None else None)
    payload = {k: v for k, v in vars(args).items() if k != "command"}
    timeout = FORWARD_TIMEOUT_S + float(getattr(args, "timeout", 0.0) or 0.0)
    response = _request(paths, IpcRequest(args.command, payload), timeout)
    if response is None:
        return None
    return CommandResult(response.exit_code, response.stdout, response.stderr)


def show_running_app(paths: AppPaths) -> bool:
    """Ask the running app to show its popup; False when none is running."""
    response = _request(paths, IpcRequest(SHOW_POPUP), SHOW_TIMEOUT_S)
    return response is not None and response.exit_code == 0


class CommandHost:
    """Answers requests inside the running app with the CLI's command code."""

    def __init__(self, ctx: AppContext, show_popup: Callable[[], None]) -> None:
        self._ctx = ctx
        self._show_popup = show_popup

    async def handle(self, request: IpcRequest) -> IpcResponse:
        from kimai_tray.cli import APP_COMMANDS, execute

        if request.command == SHOW_POPUP:
            log.info("kimai-tray: popup requested by another launch")
            self._show_popup()
            return IpcResponse(0)
        if request.command not in APP_COMMANDS:
            return IpcResponse(
                2, "", f"kimai-tray: '{request.command}' cannot be sent to the running app.\n"
            )
        args = argparse.Namespace(**request.args)
        args.command = request.command
        result = await execute(self._ctx, args)
        log.info(
            "kimai-tray: command %s from the command line: exit %d",
            request.command,
            result.exit_code,
        )
        return IpcResponse(result.exit_code, result.stdout, result.stderr)
