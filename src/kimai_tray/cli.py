"""The `kimai-tray` command line: a thin layer from arguments to Tracker calls and exit codes.

Exit codes: 0 success, 1 a user-facing error (one sentence on stderr, details in the log),
2 usage. Only argparse is imported at start-up; everything else loads inside the command,
so `--version` stays fast and never imports Qt.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from kimai_tray.command_output import CommandResult, capture, say, warn

if TYPE_CHECKING:
    import httpx

    from kimai_tray.context import AppContext
    from kimai_tray.core.backend import KimaiBackend
    from kimai_tray.core.outbox import PendingOp
    from kimai_tray.core.state import RunningEntry
    from kimai_tray.platform.config import Config

log = logging.getLogger("kimai_tray.cli")

QUICK_SYNC_S = 3.0  # after a change: long enough for a LAN round trip, short enough offline
T = TypeVar("T")


class UserError(Exception):
    """A one-sentence problem to show on stderr with exit code 1."""


class _VersionAction(argparse.Action):
    """`--version`, reading the version only when asked (importlib.metadata slows app start)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        kwargs.update(nargs=0, default=argparse.SUPPRESS)
        super().__init__(option_strings, argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_args: object) -> None:
        from kimai_tray import __version__

        print(f"kimai-tray {__version__}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kimai-tray",
        description="System-tray time tracker for Kimai. Without a command, starts the tray app.",
    )
    parser.add_argument("--version", action=_VersionAction, help="show the version and exit")
    parser.add_argument("--demo", action="store_true", help="run the app against a built-in demo")
    parser.add_argument("--self-test", action="store_true", help="check the installation and exit")
    parser.add_argument(
        "--profile", metavar="NAME", help="use this server/account (see 'kimai-tray profiles')"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    sim = sub.add_parser("simulator", help="run a local Kimai 2 simulator")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=0)
    sim.add_argument("--token")
    sim.add_argument("--seed", choices=("demo", "large", "empty"), default="demo")
    sim.add_argument("--timezone")
    # Kimai 1 simulator options (kimai_tray.simulator.kimai1 parses them itself).
    sim.add_argument("--kimai1", action="store_true", help="simulate Kimai 1 (JSON-RPC) instead")
    sim.add_argument("--kimai1-version")
    sim.add_argument("--api-key-ttl")

    def server_options(p: argparse.ArgumentParser, *, url_required: bool) -> None:
        p.add_argument("--url", required=url_required, help="Kimai start page URL")
        p.add_argument("--user", help="Kimai user name (needed with --legacy)")
        p.add_argument("--legacy", action="store_true", help="API password (Kimai < 2.14)")
        p.add_argument("--ca-bundle", help="CA file for a self-signed server certificate")
        p.add_argument(
            "--api", choices=("kimai2", "kimai1"), help="skip detection: the API the server speaks"
        )

    server_options(
        sub.add_parser("doctor", help="diagnose the connection (secret from stdin with --url)"),
        url_required=False,
    )
    server_options(
        sub.add_parser("login", help="verify and save the server and secret"), url_required=True
    )
    sub.add_parser("logout", help="remove the stored secret")
    profiles = sub.add_parser("profiles", help="list the configured servers/accounts")
    profiles.add_argument("--json", action="store_true")
    status = sub.add_parser("status", help="show the running timer and pending changes")
    status.add_argument("--json", action="store_true")

    start = sub.add_parser("start", help="start a timer")
    what = start.add_mutually_exclusive_group(required=True)
    what.add_argument("--project", help="project id or unambiguous name")
    what.add_argument("--last", action="store_true", help="restart the last entry")
    start.add_argument("--activity", help="activity id or unambiguous name")
    start.add_argument("--description", default="")
    start.add_argument("--tag", action="append", default=[], dest="tags")

    sub.add_parser("stop", help="stop the running timer")
    sub.add_parser("toggle", help="stop if running, else restart the last entry")
    sync = sub.add_parser("sync", help="send queued changes; exit 0 only when none remain")
    sync.add_argument("--timeout", type=float, default=30.0)
    pending = sub.add_parser("pending", help="list queued and failed changes")
    pending.add_argument("--json", action="store_true")
    imp = sub.add_parser("import-csv", help="create customers, projects, activities from CSV")
    imp.add_argument("file", help="UTF-8 CSV with a header Customer,Project,Activity")
    imp.add_argument("--dry-run", action="store_true", help="only print what would be created")
    imp.add_argument("--delimiter", help="field separator (default: detect , or ;)")
    for noun in ("customers", "projects", "activities"):
        p = sub.add_parser(noun, help=f"list {noun}")
        p.add_argument("--json", action="store_true")
        p.add_argument("--search", default="")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(args_list)
    if args.command == "start" and args.project and not args.activity:
        parser.error("start: --activity is required with --project")
    if args.command is None:
        return _run_app(args, args_list)
    if args.command == "simulator":
        # The simulator parses its own options: hand it everything after the command word.
        sim_argv = args_list[args_list.index("simulator") + 1 :]
        if args.kimai1:
            from kimai_tray.simulator.kimai1 import run_kimai1_simulator

            return run_kimai1_simulator(sim_argv)
        from kimai_tray.simulator.cli import run_simulator

        return run_simulator(sim_argv)
    return _run_command(args)


def _run_app(args: argparse.Namespace, argv: list[str]) -> int:
    if args.self_test:
        from kimai_tray.selftest import run_self_test

        return run_self_test()
    from kimai_tray.app import run_app

    return run_app(argv, demo=args.demo, profile=args.profile)


# Commands a running app answers itself (its tray then updates at once); see instance.py.
APP_COMMANDS = frozenset({"start", "stop", "toggle", "status", "sync", "pending"})
# Commands that only read the outbox (no sync): safe to run here beside a frozen app.
LOCAL_READ_COMMANDS = frozenset({"pending"})


def _run_command(args: argparse.Namespace) -> int:
    from kimai_tray.context import AppContext
    from kimai_tray.core.errors import KimaiTrayError

    # With an app running, it runs the command (any --profile too): it alone writes outboxes.
    if args.command in APP_COMMANDS:
        from kimai_tray.instance import forward_to_app, problem_sentence
        from kimai_tray.platform.ipc import AppNotRespondingError, IpcError

        try:
            forwarded = forward_to_app(args)
        except AppNotRespondingError as exc:
            if args.command not in LOCAL_READ_COMMANDS:
                _err(problem_sentence(exc))
                return 1
            _err("note: the running kimai-tray is not responding; read from the outbox here.")
            forwarded = None
        except IpcError as exc:  # it took the command: acting again could apply it twice
            _err(problem_sentence(exc))
            return 1
        if forwarded is not None:
            return forwarded.emit()
    try:
        ctx = AppContext.build(profile=args.profile)
    except KimaiTrayError as exc:  # e.g. a corrupt config file, an unknown --profile
        log.warning("%s failed: %s (%s)", args.command, exc.user_message, exc.detail)
        _err(exc.user_message)
        return 1
    try:
        result = asyncio.run(execute(ctx, args))
        for notice in ctx.notices:  # e.g. a damaged outbox kept aside: say so, then go on
            _err(notice)
        return result.emit()
    except KeyboardInterrupt:
        return 130
    finally:
        ctx.close()


async def execute(ctx: AppContext, args: argparse.Namespace) -> CommandResult:
    """Run one command against `ctx` and return its exit code and output (nothing printed).

    The CLI calls this on its own context; the running app calls it on the app's context
    for a command forwarded over the single-instance socket.
    """
    from kimai_tray.core.errors import KimaiTrayError

    with capture() as output:
        try:
            # Commands with --url warn about that URL instead of the saved one.
            url_given = getattr(args, "url", None)
            if ctx.config.configured and not url_given and args.command != "logout":
                _warn_if_insecure(ctx.config.server_url)
            code = await COMMANDS[args.command](ctx, args)
        except KimaiTrayError as exc:
            log.warning("%s failed: %s (%s)", args.command, exc.user_message, exc.detail)
            _err(exc.user_message)
            code = 1
        except UserError as exc:
            log.warning("%s failed: %s", args.command, exc)
            _err(str(exc))
            code = 1
        except Exception:
            # A bug, not a user error: the traceback goes to the log, one sentence to the user.
            log.exception("%s crashed", args.command)
            _err(f"Unexpected internal error; details are in {ctx.paths.log_file}.")
            code = 1
    return output.result(code)


def _err(message: str) -> None:
    warn(f"kimai-tray: {message}")


# -- helpers ---------------------------------------------------------------------------


def _read_secret(prompt: str) -> str:
    # A pipe gives the secret without echo or shell history; a terminal gets a hidden prompt.
    if sys.stdin is None:
        raise UserError("No secret given: pipe it on stdin.")
    if sys.stdin.isatty():
        import getpass

        secret = getpass.getpass(prompt)
    else:
        secret = sys.stdin.readline()
    secret = secret.strip()
    if not secret:
        raise UserError("No secret given: pipe the API token (or password) on stdin.")
    return secret


def _config_from_args(ctx: AppContext, args: argparse.Namespace) -> Config:
    from dataclasses import replace

    url = args.url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise UserError(f"The URL must start with https:// (or http://), got '{url}'.")
    if args.legacy and not args.user:
        raise UserError("--legacy needs --user: an API password belongs to one user.")
    if args.api == "kimai1" and not args.user:
        raise UserError("Kimai 1 needs --user: its password belongs to one user.")
    _warn_if_insecure(url)
    return replace(
        ctx.config,
        server_url=url,
        username=args.user or "",
        auth_kind="legacy" if args.legacy else "token",
        api_kind=args.api or "kimai2",
        ca_bundle=args.ca_bundle or "",
    )


def _secret_prompt(args: argparse.Namespace) -> str:
    if args.legacy or args.api == "kimai1":
        return "API password: "
    # Before detection a user name means a password (legacy or Kimai 1), else a token.
    return "API token or password: " if args.user and not args.api else "API token: "


async def _with_detected_api(config: Config, args: argparse.Namespace) -> Config:
    """`config` with the API the server speaks; `--api` skips the probe."""
    from dataclasses import replace

    if args.api:
        return config
    from kimai_tray.api.kimai1 import detect_api

    kind = await detect_api(config.server_url, _probe_client(config.ca_bundle))
    if kind is None:
        raise UserError(
            f"No Kimai answers at {config.server_url}: check the URL (the Kimai start page)."
        )
    if kind == "kimai1" and not args.user:
        raise UserError("This is a Kimai 1 server: add --user, its password belongs to one user.")
    return replace(config, api_kind=kind)


def _probe_client(ca_bundle: str) -> httpx.AsyncClient:
    import ssl

    import httpx

    from kimai_tray.core.errors import TLSError

    context = ssl.create_default_context()
    if ca_bundle:
        try:
            context.load_verify_locations(cafile=ca_bundle)
        except (OSError, ssl.SSLError) as exc:
            raise TLSError(f"The CA file {ca_bundle} cannot be read.", detail=repr(exc)) from None
    return httpx.AsyncClient(verify=context, timeout=15.0)


def _warn_if_insecure(url: str) -> None:
    from kimai_tray.context import insecure_url

    if insecure_url(url):
        _err("warning: http:// sends your token unencrypted; use https:// for remote servers.")


async def _with_backend(
    ctx: AppContext,
    use: Callable[[KimaiBackend], Awaitable[T]],
    config: Config | None = None,
    secret: str | None = None,
) -> T:
    backend = ctx.make_backend(config, secret)
    try:
        return await use(backend)
    finally:
        await backend.aclose()


def _connect(ctx: AppContext) -> KimaiBackend | None:
    """Attach a backend to the tracker when logged in; None means offline-only use."""
    if not ctx.config.configured:
        return None
    from kimai_tray.core.errors import CredentialStoreError

    try:
        secret = ctx.load_secret()
    except CredentialStoreError as exc:
        log.warning("keyring unavailable, working offline: %s", exc.detail)
        return None
    if not secret:
        return None
    backend = ctx.make_backend(secret=secret)
    ctx.tracker.set_backend(backend)
    return backend


@asynccontextmanager
async def _online(ctx: AppContext) -> AsyncIterator[KimaiBackend | None]:
    """The client for one command: the running app's own (kept attached), else a fresh one."""
    attached = ctx.tracker.backend
    if attached is not None:  # a command forwarded to the app: its client stays in use
        yield attached
        return
    backend = _connect(ctx)
    try:
        yield backend
    finally:
        if backend is not None:
            ctx.tracker.set_backend(None)
            await backend.aclose()


async def _quick_sync(ctx: AppContext, seconds: float = QUICK_SYNC_S) -> int:
    """Try to deliver the outbox briefly; returns how many ops are still pending."""
    async with _online(ctx) as backend:
        if backend is None:
            return ctx.tracker.state.pending
        try:
            report = await asyncio.wait_for(ctx.tracker.sync_once(), seconds)
            log.info(
                "sync: sent=%s remaining=%s error=%s", report.sent, report.remaining, report.error
            )
        except TimeoutError:
            log.info("quick sync timed out after %.1f s", seconds)
    return ctx.tracker.state.pending


def _label(entry: RunningEntry) -> str:
    customer = f"{entry.customer.name} · " if entry.customer.name else ""
    return f"{customer}{entry.project.name} · {entry.activity.name}"


def _queued_note(pending: int, ctx: AppContext) -> str:
    if pending == 0:
        return ""
    if not ctx.config.configured:
        return " (queued: not logged in)"
    return " (queued: server offline)"


def _print_json(value: object) -> None:
    say(json.dumps(value, indent=2, ensure_ascii=False))


# -- commands --------------------------------------------------------------------------


async def cmd_login(ctx: AppContext, args: argparse.Namespace) -> int:
    config = _config_from_args(ctx, args)
    ctx.credentials.backend_name()  # fail on a missing keyring before asking for the secret
    secret = _read_secret(_secret_prompt(args))
    config = await _with_detected_api(config, args)
    ctx.redactor.add_secret(secret)
    # Verify first: a wrong token must never be saved.
    user = await _with_backend(ctx, lambda b: b.me(), config, secret)
    ctx.store_secret(config, secret)
    ctx.save_config(config)
    api = "Kimai 1 JSON-RPC API" if config.api_kind == "kimai1" else "Kimai 2 API"
    found = "forced" if args.api else "detected"
    say(f"Logged in to {config.server_url} as {user.alias or user.username}. {api} ({found}).")
    return 0


async def cmd_logout(ctx: AppContext, args: argparse.Namespace) -> int:
    removed = ctx.delete_secret()
    say("Logged out." if removed else "Not logged in.")
    return 0


async def cmd_doctor(ctx: AppContext, args: argparse.Namespace) -> int:
    from kimai_tray.core.diagnostics import format_report, run_doctor
    from kimai_tray.core.errors import BackendError

    if args.url:
        given = _config_from_args(ctx, args)
        secret: str | None = _read_secret(_secret_prompt(args))
        config: Config | None = given
        try:
            config = await _with_detected_api(given, args)
        except BackendError as exc:
            # Unreachable or odd: the doctor's own checks below say what exactly is wrong.
            log.info("doctor: API detection failed: %r", type(exc).__name__)
    else:
        if not ctx.config.configured:
            raise UserError("Not logged in: run 'kimai-tray login --url URL' or pass --url.")
        config, secret = None, None
    results = await _with_backend(ctx, run_doctor, config, secret)
    say(format_report(results))
    return 0 if all(r.ok for r in results) else 1


def _entry_json(entry: RunningEntry) -> dict[str, object]:
    def ref(r: Any) -> dict[str, object]:
        return {"id": r.id, "name": r.name}

    return {
        "id": entry.timesheet_id,
        "customer": ref(entry.customer),
        "project": ref(entry.project),
        "activity": ref(entry.activity),
        "description": entry.description,
        "tags": list(entry.tags),
        "begin": entry.begin.astimezone().isoformat(timespec="seconds"),
    }


async def cmd_status(ctx: AppContext, args: argparse.Namespace) -> int:
    from kimai_tray.core.comforts import Comforts
    from kimai_tray.core.errors import BackendError

    online = False
    comforts = Comforts.beside(ctx.tracker)
    async with _online(ctx) as backend:
        if backend is not None:
            try:
                await asyncio.wait_for(ctx.tracker.sync_once(), QUICK_SYNC_S)
                await asyncio.wait_for(ctx.tracker.refresh_remote(), QUICK_SYNC_S)
                online = True
                # This week's server records and the user's timezone/first weekday.
                await asyncio.wait_for(comforts.refresh(backend), QUICK_SYNC_S)
            except (BackendError, TimeoutError) as exc:
                log.info("status: server not reachable: %r", type(exc).__name__)
    totals = comforts.totals()
    comforts.close()
    state = ctx.tracker.state
    running = state.running
    if args.json:
        data: dict[str, object] = {
            "state": "running" if running else "idle",
            "pending": state.pending,
            "online": online,
            "server": ctx.config.server_url or None,
            "today": totals.today,  # seconds, in the user's Kimai timezone
            "week": totals.week,
        }
        if running:
            data["timesheet"] = _entry_json(running)
        _print_json(data)
        return 0
    if running:
        begin = running.begin.astimezone().strftime("%H:%M")
        say(f"Running: {_label(running)} since {begin}")
        if running.description:
            say(f"  {running.description}")
    else:
        say("Idle.")
    where = ctx.config.server_url or "not logged in"
    say(f"Server: {where} ({'online' if online else 'offline'}); pending changes: {state.pending}")
    return 0


async def _ensure_catalog(ctx: AppContext) -> None:
    """Refresh the catalog cache when the server is reachable (quietly skip when not)."""
    from kimai_tray.core.errors import BackendError

    async with _online(ctx) as backend:
        if backend is None:
            return
        try:
            await asyncio.wait_for(ctx.tracker.refresh_catalog(), QUICK_SYNC_S * 2)
        except (BackendError, TimeoutError) as exc:
            log.info("catalog refresh skipped: %r", type(exc).__name__)


async def cmd_start(ctx: AppContext, args: argparse.Namespace) -> int:
    tracker = ctx.tracker
    if args.last:
        entry = tracker.start_last()
        if entry is None:
            raise UserError("Nothing was tracked yet, so there is no last entry to restart.")
    else:
        if tracker.catalog.is_empty() or not args.project.strip().isdigit():
            await _ensure_catalog(ctx)
        project_id, activity_id = _resolve_ids(ctx, args.project, args.activity)
        entry = tracker.start(project_id, activity_id, args.description, tuple(args.tags))
    pending = await _quick_sync(ctx)
    say(f"Started {_label(entry)}{_queued_note(pending, ctx)}")
    return 0


def _resolve_ids(ctx: AppContext, project_text: str, activity_text: str) -> tuple[int, int]:
    catalog = ctx.tracker.catalog
    if catalog.is_empty():
        # Never synced and offline: ids still work (names are filled in after a sync).
        if project_text.strip().isdigit() and activity_text.strip().isdigit():
            return int(project_text), int(activity_text)
        raise UserError(
            "The project list is not downloaded yet: connect to Kimai once, or use numeric ids."
        )
    # Ambiguous or unknown names raise with a sentence that already lists the candidates.
    project = catalog.resolve_project(project_text)
    activity = catalog.resolve_activity(activity_text, project.id)
    return project.id, activity.id


async def cmd_stop(ctx: AppContext, args: argparse.Namespace) -> int:
    entry = ctx.tracker.stop()
    if entry is None:
        say("No timer is running.")
        return 0
    pending = await _quick_sync(ctx)
    say(f"Stopped {_label(entry)}{_queued_note(pending, ctx)}")
    return 0


async def cmd_toggle(ctx: AppContext, args: argparse.Namespace) -> int:
    tracker = ctx.tracker
    running = tracker.state.running
    if running is not None:
        tracker.stop()
        verb, entry = "Stopped", running
    else:
        started = tracker.start_last()
        if started is None:
            raise UserError(
                "Nothing was tracked yet: use 'kimai-tray start --project P --activity A'."
            )
        verb, entry = "Started", started
    pending = await _quick_sync(ctx)
    say(f"{verb} {_label(entry)}{_queued_note(pending, ctx)}")
    return 0


async def cmd_sync(ctx: AppContext, args: argparse.Namespace) -> int:
    if not ctx.config.configured:
        raise UserError("Not logged in: run 'kimai-tray login --url URL' first.")
    # Inside the running app the client is attached already: no keyring read (demo has none).
    if ctx.tracker.backend is None and not ctx.load_secret():
        raise UserError("No secret for this server in the keyring: run 'kimai-tray login' again.")
    remaining = await _quick_sync(ctx, args.timeout)
    state = ctx.tracker.state
    if remaining:
        error = state.last_error or "the server could not be reached"
        raise UserError(f"{remaining} change(s) still pending: {error.rstrip('.')}.")
    if state.failed:
        # Rejected changes are not on the server either: the user has to look at them.
        raise UserError(
            f"{state.failed} change(s) were rejected by Kimai: see 'kimai-tray pending'."
        )
    say("Everything is on the server.")
    return 0


def _pending_json(op: PendingOp) -> dict[str, object]:
    e = op.entry
    return {
        "op_id": op.op_id,
        "kind": str(op.kind),
        "status": str(op.status),
        "created_at": op.created_at.isoformat(),
        "attempts": op.attempts,
        "reason": op.last_error,
        "entry": {
            "project": e.project.name,
            "activity": e.activity.name,
            "description": e.description,
            "begin": e.begin.isoformat(),
            "end": e.end.isoformat() if e.end else None,
        },
    }


async def cmd_pending(ctx: AppContext, args: argparse.Namespace) -> int:
    from kimai_tray.profiles_command import pending_notes

    ops = ctx.tracker.pending()
    if args.json:
        _print_json([_pending_json(op) for op in ops])
        return 0
    if not ops:
        say("Nothing pending.")
    for op in ops:
        reason = f": {op.last_error}" if op.last_error else ""
        e = op.entry
        say(f"{op.status} {op.kind} {e.project.name} · {e.activity.name}{reason}")
        for note in pending_notes(ctx, op):  # rounding and lockdown (the profile's rules)
            say(f"  {note}")
    return 0


async def _list_from_server(ctx: AppContext, noun: str) -> list[dict[str, object]] | None:
    """The full list from Kimai (refreshing the cache too); None when offline."""
    from kimai_tray.core.errors import BackendError

    async with _online(ctx) as backend:
        if backend is None:
            return None
        try:
            async with asyncio.timeout(QUICK_SYNC_S * 2):
                await ctx.tracker.refresh_catalog()
                if noun == "customers":
                    return [{"id": c.id, "name": c.name} for c in await backend.customers()]
                if noun == "projects":
                    return [
                        {"id": p.id, "name": p.name, "customer": p.customer_name}
                        for p in await backend.projects()
                    ]
                return [{"id": a.id, "name": a.name} for a in await backend.activities()]
        except (BackendError, TimeoutError) as exc:
            log.info("listing from the server failed: %r", type(exc).__name__)
            return None


def _list_from_cache(ctx: AppContext, noun: str, text: str) -> list[dict[str, object]]:
    """The list from the catalog cache (offline), the same rows as from the server."""
    catalog = ctx.tracker.catalog
    if catalog.is_empty():
        raise UserError(
            "The server is not reachable and nothing is cached yet: connect once to list them."
        )
    rows: list[dict[str, object]]
    if noun == "customers":
        rows = [{"id": c.id, "name": c.name} for c in catalog.customers() if c.visible]
    elif noun == "projects":
        rows = [
            {"id": p.id, "name": p.name, "customer": p.customer_name}
            for p in catalog.projects()
            if p.visible
        ]
    else:
        rows = [{"id": a.id, "name": a.name} for a in catalog.activities() if a.visible]
    needle = text.strip().lower()
    return [r for r in rows if needle in str(r["name"]).lower()]


async def cmd_list(ctx: AppContext, args: argparse.Namespace) -> int:
    items = await _list_from_server(ctx, args.command)
    if items is None:
        items = _list_from_cache(ctx, args.command, args.search)
        warn("(offline: the list kimai-tray keeps from the last connection)")
    else:
        needle = args.search.strip().lower()
        items = [i for i in items if needle in str(i["name"]).lower()]
    items.sort(key=lambda r: (str(r["name"]).lower(), r["id"]))
    if args.json:
        _print_json(items)
        return 0
    for item in items:
        extra = f"  ({item['customer']})" if item.get("customer") else ""
        say(f"{item['id']:>6}  {item['name']}{extra}")
    return 0


async def cmd_profiles(ctx: AppContext, args: argparse.Namespace) -> int:
    from kimai_tray.profiles_command import cmd_profiles as run

    return await run(ctx, args)


async def cmd_import_csv(ctx: AppContext, args: argparse.Namespace) -> int:
    from kimai_tray.import_csv_command import run_import_csv

    return await run_import_csv(ctx, args)


COMMANDS: dict[str, Callable[[AppContext, argparse.Namespace], Coroutine[Any, Any, int]]] = {
    "login": cmd_login,
    "logout": cmd_logout,
    "doctor": cmd_doctor,
    "status": cmd_status,
    "start": cmd_start,
    "stop": cmd_stop,
    "toggle": cmd_toggle,
    "sync": cmd_sync,
    "pending": cmd_pending,
    "customers": cmd_list,
    "projects": cmd_list,
    "activities": cmd_list,
    "import-csv": cmd_import_csv,
    "profiles": cmd_profiles,
}


if __name__ == "__main__":
    sys.exit(main())
