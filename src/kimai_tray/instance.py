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
from kimai_tray.platform.ipc import (
    AppStoppedAnsweringError,
    IpcError,
    IpcRequest,
    IpcResponse,
    send_request,
    socket_location,
)
from kimai_tray.platform.paths import AppPaths, resolve_paths

if TYPE_CHECKING:
    from kimai_tray.context import AppContext
    from kimai_tray.profile_switch import ProfileSwitcher

log = logging.getLogger(__name__)

SHOW_POPUP = "show-popup"
FORWARD_TIMEOUT_S = 60.0  # the app answers after its quick sync (a few seconds at most)
SHOW_TIMEOUT_S = 5.0


def instance_socket(paths: AppPaths) -> tuple[str, Path]:
    """The socket name and lock file of the app that owns this home."""
    return socket_location(paths.config_dir, paths.runtime_dir)


NOT_RESPONDING = (
    "The running kimai-tray is not responding; nothing was changed: "
    "quit it (or kill it) and try again."
)


def problem_sentence(exc: IpcError) -> str:
    """The one sentence for a command the running app did not finish (see ipc.send_request)."""
    if isinstance(exc, AppStoppedAnsweringError):
        return (
            f"The running kimai-tray stopped answering while running '{exc.command}': "
            "run 'kimai-tray status' to see whether it took effect."
        )
    return NOT_RESPONDING


def forward_to_app(
    args: argparse.Namespace, env: Mapping[str, str] | None = None
) -> CommandResult | None:
    """Run `args` in the running app; None when no app owns this home (act directly then).

    Raises AppNotRespondingError (an app is alive but did not take the command) and
    AppStoppedAnsweringError (it took it, then gave no result): never act directly after
    those, or the command could run twice or the outbox get a second writer.
    """
    paths = resolve_paths(dict(env) if env is not None else None)
    payload = {k: v for k, v in vars(args).items() if k != "command"}
    timeout = FORWARD_TIMEOUT_S + float(getattr(args, "timeout", 0.0) or 0.0)
    name, _lock = instance_socket(paths)
    response = send_request(name, IpcRequest(args.command, payload), timeout=timeout)
    if response is None:
        return None
    return CommandResult(response.exit_code, response.stdout, response.stderr)


def show_running_app(paths: AppPaths) -> str | None:
    """Ask the running app to show its popup; what to tell the user, or None when no app
    owns this home.

    A frozen app counts as running (it holds the lock): starting a second app beside it
    would give the outbox two writers.
    """
    name, _lock = instance_socket(paths)
    try:
        response = send_request(name, IpcRequest(SHOW_POPUP), timeout=SHOW_TIMEOUT_S)
    except IpcError as exc:
        log.warning("kimai-tray: the running app did not show its window: %r", exc)
        return NOT_RESPONDING
    if response is None:
        return None
    return "kimai-tray is already running: its window was opened."


class CommandHost:
    """Answers requests inside the running app with the CLI's command code.

    `profiles` returns the app's ProfileSwitcher (it is created after the socket listens):
    a command for another profile runs on that profile's one Tracker in this app.
    """

    def __init__(
        self,
        ctx: AppContext,
        show_popup: Callable[[], None],
        profiles: Callable[[], ProfileSwitcher | None] | None = None,
    ) -> None:
        self._ctx = ctx
        self._show_popup = show_popup
        self._profiles = profiles

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
        profile = getattr(args, "profile", None) or self._ctx.profile
        if profile == self._ctx.profile:
            result = await execute(self._ctx, args)
            log.info(
                "kimai-tray: command %s from the command line: exit %d",
                request.command,
                result.exit_code,
            )
        else:
            result = await self._on_profile(profile, args)
            log.info(
                "kimai-tray: command %s on profile %s from the command line: exit %d",
                request.command,
                profile,
                result.exit_code,
            )
        return IpcResponse(result.exit_code, result.stdout, result.stderr)

    async def _on_profile(self, name: str, args: argparse.Namespace) -> CommandResult:
        from kimai_tray.cli import execute
        from kimai_tray.core.errors import KimaiTrayError

        switcher = self._profiles() if self._profiles is not None else None
        if switcher is None:
            # Without the switcher this app cannot know whether the profile's outbox is open
            # in its background syncer: refuse rather than risk a second writer.
            return CommandResult(
                1,
                "",
                f"kimai-tray: The running kimai-tray cannot run commands for profile '{name}': "
                "switch to it in the tray menu, or quit the app and try again.\n",
            )
        try:
            async with switcher.borrow(name) as ctx:
                return await execute(ctx, args)
        except KimaiTrayError as exc:  # e.g. an unknown profile
            log.warning("%s on profile %s failed: %s", args.command, name, exc.user_message)
            return CommandResult(1, "", f"kimai-tray: {exc.user_message}\n")
