"""The desktop app: display check, QApplication, tray first, then keyring + client + sync loop."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sys
from collections.abc import Awaitable, Callable, Mapping
from contextlib import ExitStack, suppress
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtCore import QPoint, QSocketNotifier

    from kimai_tray.context import AppContext
    from kimai_tray.core.backend import KimaiBackend
    from kimai_tray.core.comforts import Comforts
    from kimai_tray.core.tracker import Tracker
    from kimai_tray.profile_switch import ProfileSwitcher
    from kimai_tray.ui.away_controller import AwayController
    from kimai_tray.ui.bridge import StateBridge
    from kimai_tray.ui.global_hotkeys import GlobalHotkeys
    from kimai_tray.ui.popup import PopupWindow
    from kimai_tray.ui.tray import TrayController

log = logging.getLogger(__name__)

APP_ID = "org.kimai.KimaiTray"
NO_DISPLAY = (
    "kimai-tray needs a graphical desktop: no display was found "
    "(set DISPLAY, or use the command line: kimai-tray status)"
)
EXIT_AFTER_START_ENV = "KIMAI_TRAY_EXIT_AFTER_START"
DEMO_TOKEN = "kimai-tray-demo-token"  # only ever sent to the in-process loopback simulator
SHUTDOWN_TIMEOUT_S = 5.0


def display_problem(env: Mapping[str, str], platform: str = sys.platform) -> str | None:
    """The one sentence to print when Qt could not open any display, else None."""
    if not platform.startswith("linux"):
        return None
    if any(env.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")):
        return None
    return NO_DISPLAY


def run_app(argv: list[str], *, demo: bool, profile: str | None = None) -> int:
    """Run the tray app until Quit or SIGINT/SIGTERM; returns the process exit code."""
    # Before Qt is even imported: a running app (same home) just shows its popup instead.
    told = None if demo else _show_running_app()
    if told is not None:
        print(told, file=sys.stderr)
        from kimai_tray.instance import NOT_RESPONDING

        return 1 if told == NOT_RESPONDING else 0
    problem = display_problem(os.environ)
    if problem is not None:
        print(problem, file=sys.stderr)
        return 1
    with ExitStack() as stack:
        return _run(argv, demo=demo, stack=stack, profile=profile)


def _run(argv: list[str], *, demo: bool, stack: ExitStack, profile: str | None = None) -> int:
    # Qt and the rest are imported only after the display check, so that check stays instant.
    # The Qt-free modules come first: once PySide6 is loaded, its import hook reads the source
    # of every module imported after it (bench: cold start).
    from kimai_tray.context import AppContext
    from kimai_tray.core.errors import KimaiTrayError
    from kimai_tray.platform.config import Config
    from kimai_tray.profile_switch import ProfileSwitcher

    # isort: split
    import qasync
    from PySide6.QtCore import QCoreApplication, QSocketNotifier, QTimer
    from PySide6.QtWidgets import QApplication, QDialog, QSystemTrayIcon

    from kimai_tray.ui.bridge import StateBridge
    from kimai_tray.ui.deferred import Deferred
    from kimai_tray.ui.gui_gc import GuiThreadCollector
    from kimai_tray.ui.icons import app_icon
    from kimai_tray.ui.tray import TrayController

    QCoreApplication.setApplicationName("kimai-tray")
    QCoreApplication.setOrganizationDomain("kimai.org")
    app = QApplication.instance() or QApplication([argv[0] if argv else "kimai-tray"])
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)  # closing the popup must not end tracking
    app.setDesktopFileName(APP_ID)
    app.setWindowIcon(app_icon())

    env: dict[str, str] | None = None
    if demo:
        import tempfile

        # A throw-away home: the demo never reads or writes the user's config or keyring.
        home = stack.enter_context(tempfile.TemporaryDirectory(prefix="kimai-tray-demo-"))
        env = {**os.environ, "KIMAI_TRAY_HOME": home}
    try:
        ctx = AppContext.build(env, profile=None if demo else profile)
    except KimaiTrayError as exc:  # e.g. a corrupt config file: one sentence, no trace
        print(exc.user_message, file=sys.stderr)
        return 1
    stack.callback(ctx.close)
    stack.callback(logging.getLogger().removeHandler, _log_to_stderr(ctx))
    if env is not None:
        # Its own socket too: `KIMAI_TRAY_HOME=<this> kimai-tray toggle` drives the demo.
        log.info("kimai-tray: demo home %s", env["KIMAI_TRAY_HOME"])

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    stack.callback(asyncio.set_event_loop, None)
    stack.callback(loop.close)

    def show_popup() -> None:  # `kimai-tray` run again, or the popup hotkey
        popups.get().show_near(_icon_point(tray))

    # The switcher is built below; the socket answers only once the loop runs.
    if not _own_instance(ctx, stack, show_popup, lambda: switcher):
        return 0  # another app won the start-up race; it was asked to show itself

    tracker = ctx.tracker  # reads the outbox: the first state is local, no network yet
    # Owns the active profile's client + supervisor; left profiles keep syncing behind it.
    switcher = ProfileSwitcher(ctx)
    bridge = StateBridge(tracker.subscribe, tracker.state)
    stack.callback(bridge.close)
    collector = GuiThreadCollector(app)  # GC only in this thread: see ui/gui_gc.py
    bridge.state_changed.connect(collector.poke)
    stack.callback(collector.close)

    def build_comforts() -> Comforts:
        # Imported here: favourites, totals and their database are not needed for the first icon.
        from kimai_tray.core.comforts import Comforts

        # Built on the first turn, before any profile switch: `tracker` is still the active one.
        return Comforts.beside(tracker)  # favourites, distinct recents, today/week totals

    def wire_comforts(built: Comforts) -> None:
        from kimai_tray.ui.favourites_menu import FavouritesMenu

        stack.callback(built.close)
        tray.set_favourites_menu(FavouritesMenu(built).fill)
        notice = built.notice
        if notice is not None:  # a damaged favourites file was kept aside: say so once
            # Next turn, not now: the popup may be the one being built (window mode).
            QTimer.singleShot(0, lambda: tell(notice))

    # Built on the next event-loop turn, after the icon is up (or by the popup, if sooner).
    comforts = Deferred(build_comforts, wire_comforts)
    tasks: list[asyncio.Task[None]] = []
    backends: list[KimaiBackend] = []
    async_closers: list[Callable[[], Awaitable[None]]] = []  # run at quit, before the loop stops
    quitting = False

    def request_quit() -> None:
        nonlocal quitting
        if quitting:
            return
        quitting = True
        running = tasks[:]

        async def close_all() -> None:
            await switcher.aclose()  # the supervisor and other profiles' background syncing
            for close in async_closers:  # e.g. the hotkeys' portal session, while the loop runs
                try:
                    await asyncio.wait_for(close(), SHUTDOWN_TIMEOUT_S)
                except Exception:  # best effort: the desktop drops it when we exit anyway
                    log.warning("closing at quit failed", exc_info=True)
            await _shutdown(loop, running, backends)

        tasks.append(loop.create_task(close_all()))

    # Before anything is shown, so a SIGTERM right after start-up is a clean quit too.
    _install_signal_handlers(loop, request_quit, QSocketNotifier, stack)
    dialogs: list[QDialog] = []  # keeps the open dialog alive; shown modeless (no exec())

    away: list[AwayController] = []  # the idle/lock/sleep watcher, once connect() ran

    def use_config(config: object) -> None:
        """A login was saved (wizard or settings): switch the tracker to the new client."""
        assert isinstance(config, Config)
        for watcher in away:
            watcher.apply_preferences(config.preferences)
        # The dialog wrote the file as one server; this puts it back into the active profile.
        ctx.save_config(config)
        tray.set_server_url(config.server_url or None)
        try:
            backend = ctx.make_backend(config)
        except KimaiTrayError as exc:
            log.error("kimai-tray: cannot connect: %s", exc.user_message)
            return
        for old in backends:
            tasks.append(loop.create_task(old.aclose()))
        backends[:] = [backend]
        switcher.attach(backend)  # the active profile's tracker (it may have been switched)
        tray.set_configured(True)
        tray.set_connecting(True)
        if popups.built is not None:  # a new daily target shows without a restart
            target = config.preferences.daily_target_minutes
            popups.built.target_hours = target / 60 if target > 0 else None

    def show_dialog(dialog: QDialog) -> None:
        for old in dialogs:
            old.close()
        dialogs[:] = [dialog]
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()

    def open_settings() -> None:
        from kimai_tray.ui.settings import SettingsDialog

        dialog = SettingsDialog(
            ctx.config,
            ctx.paths.config_file,
            ctx.credentials,
            idle_status=away[0].idle_status if away else None,
            hotkeys_assigned=hotkeys.assigned(),
            # What the app already detected: probing the desktop again could block a moment.
            hotkey_support=hotkeys.support,
        )
        dialog.saved.connect(use_config)
        dialog.saved.connect(lambda config: hotkeys.apply(config.preferences))
        show_dialog(dialog)

    def open_wizard() -> None:
        from kimai_tray.ui.wizard import FirstRunWizard

        wizard = FirstRunWizard(ctx.paths.config_file, ctx.credentials, base=ctx.config)
        wizard.configured.connect(use_config)
        show_dialog(wizard)
        log.info("kimai-tray: first-run wizard opened")

    tray = TrayController(
        tracker,
        bridge,
        toggle_popup=lambda: popups.get().toggle_visible(_icon_point(tray)),
        quit_app=request_quit,
        # The demo must never touch the user's keyring, so it has no settings.
        open_settings=None if demo else open_settings,
        server_url=ctx.config.server_url or None,
        # A client will sync right after start: neutral until it answers, not "offline".
        connecting=demo or ctx.config.configured,
    )

    def build_popup() -> PopupWindow:
        # Imported here too: the popup's modules are the bulk of the app's own import time.
        from kimai_tray.ui.popup import PopupWindow

        target = ctx.config.preferences.daily_target_minutes
        log.info("kimai-tray: building the popup")
        return PopupWindow(
            # Built before connect() runs (both on the first turn, in this order), so before
            # any profile switch: `tracker` is still the active one.
            tracker,
            bridge,
            comforts=comforts.get(),
            target_hours=target / 60 if target > 0 else None,
        )

    def wire_popup(popup: PopupWindow) -> None:
        from kimai_tray.ui.profile_menu import install_profiles

        if not demo:
            profile_menu = install_profiles(
                switcher,
                bridge,
                popup,
                tray,
                with_comforts=True,
                away=lambda: away[0] if away else None,  # one watcher follows every switch
            )
            stack.callback(profile_menu.close)
        popup.visibility_changed.connect(tray.set_fast_refresh)
        popup.visibility_changed.connect(
            lambda shown: log.info("kimai-tray: popup %s", "shown" if shown else "hidden")
        )

    # Built on the next event-loop turn, after the icon is up; a click before that builds it.
    popups = Deferred(build_popup, wire_popup)
    tell = _Teller(tray, popups.get)  # warnings the user must see once
    if QSystemTrayIcon.isSystemTrayAvailable():
        tray.show()
    else:
        # Imported only here: its module loads Qt's `Qt` namespace (~25 ms), which a tray
        # icon does not need.
        from kimai_tray.ui.tray_host import TrayHostWatcher, WindowMode

        # Some desktops (GNOME without the AppIndicator extension) have no tray, and some
        # start their panel after autostart apps: a window until a tray host appears.
        log.warning("kimai-tray: no system tray available; showing the window instead")
        window = WindowMode(popups.get())
        window.enter()

        def use_tray() -> None:
            window.leave()
            tray.show()

        tray_host = TrayHostWatcher()
        stack.callback(tray_host.stop)
        tray_host.appeared.connect(use_tray)
        tray_host.start()
    log.info("kimai-tray: first state rendered (%s)", tray.icon_kind.value)
    comforts.build_soon()  # before the popup, which would otherwise build them itself
    popups.build_soon()
    bridge.state_changed.connect(_tray_state_logger(tray))
    from kimai_tray.ui.clock_warning import ClockWarning

    clock_warning = ClockWarning(
        # The active profile's client: it changes with a profile switch.
        lambda: switcher.active_backend,
        tell,
    )
    bridge.state_changed.connect(clock_warning.check)
    hotkeys = _global_hotkeys(ctx, loop, tray, show_popup)
    stack.callback(hotkeys.close)
    async_closers.append(hotkeys.aclose)
    # A damaged local database was kept aside at opening: say so once, in one sentence.
    for notice in ctx.notices:
        QTimer.singleShot(0, lambda text=notice: tell(text))

    def connect() -> None:
        """After the first event-loop turn: keyring, client, then the sync supervisor."""
        # The active tracker now (not the one at start), in case a switch came first.
        away[:] = [_install_away(ctx, stack, ctx.tracker, bridge, tray)]
        try:
            backend = _demo_backend(ctx, stack, tray) if demo else _user_backend(ctx, tray)
        except KimaiTrayError as exc:
            log.error("kimai-tray: cannot connect: %s", exc.user_message)
            tray.set_configured(False)
            backend = None
        if backend is not None:
            backends.append(backend)
        elif not demo and not ctx.config.configured:
            open_wizard()
        switcher.attach(backend)  # the client (None: offline) and the sync supervisor

    QTimer.singleShot(0, connect)
    if os.environ.get(EXIT_AFTER_START_ENV) == "1":
        QTimer.singleShot(0, request_quit)

    with loop:
        loop.run_forever()
    tray.close()
    if popups.built is not None:
        popups.built.close()
    log.info("kimai-tray: stopped")
    return 0


class _Teller:
    """Warnings the user must see: a tray message, or the window's status line when there is
    no tray (the window is then on screen). A new message replaces the one shown, so each
    shows every sentence told so far."""

    def __init__(self, tray: TrayController, window: Callable[[], PopupWindow]) -> None:
        self._tray = tray
        self._window = window
        self._told: list[str] = []

    def __call__(self, text: str) -> None:
        from PySide6.QtWidgets import QSystemTrayIcon

        self._told.append(text)
        everything = " ".join(self._told)
        if self._tray.tray.isVisible():
            warning = QSystemTrayIcon.MessageIcon.Warning
            self._tray.tray.showMessage("Kimai Tray", everything, warning, 15_000)
            log.info("kimai-tray: told the user (tray message): %s", text)
        else:
            self._window().status_label.setText(everything)
            log.info("kimai-tray: told the user (window): %s", text)


def _show_running_app() -> str | None:
    from kimai_tray.instance import show_running_app
    from kimai_tray.platform.paths import resolve_paths

    return show_running_app(resolve_paths())


def _own_instance(
    ctx: AppContext,
    stack: ExitStack,
    show_popup: Callable[[], None],
    profiles: Callable[[], ProfileSwitcher | None] | None = None,
) -> bool:
    """Own this home's single-instance socket; False when another app already does."""
    from kimai_tray.instance import CommandHost, instance_socket, show_running_app
    from kimai_tray.platform.ipc import AlreadyRunningError, InstanceServer

    name, lock = instance_socket(ctx.paths)
    server = InstanceServer(name, lock, CommandHost(ctx, show_popup, profiles).handle)
    try:
        server.acquire()
    except AlreadyRunningError:
        told = show_running_app(ctx.paths)
        if told is not None:
            print(told, file=sys.stderr)
        return False
    except OSError as exc:
        # e.g. a socket path over the OS limit: tracking still works, commands act directly.
        log.warning("kimai-tray: single-instance socket unavailable: %s", exc)
        return True
    stack.callback(server.close)
    return True


def _tray_state_logger(tray: TrayController) -> Callable[[object], None]:
    """Log each change of the tray icon (tests and the bench time commands by these lines)."""
    last = [tray.icon_kind]

    def log_change(_state: object) -> None:
        if tray.icon_kind != last[0]:
            last[0] = tray.icon_kind
            log.info("kimai-tray: tray state %s", tray.icon_kind.value)

    return log_change


def _global_hotkeys(
    ctx: AppContext,
    loop: asyncio.AbstractEventLoop,
    tray: TrayController,
    show_popup: Callable[[], None],
) -> GlobalHotkeys:
    """Grab the configured hotkeys; the toggle runs the same code as `kimai-tray toggle`."""
    import argparse

    from PySide6.QtWidgets import QSystemTrayIcon

    from kimai_tray.cli import execute
    from kimai_tray.ui.global_hotkeys import POPUP, TOGGLE, GlobalHotkeys

    running: set[asyncio.Task[None]] = set()

    async def toggle() -> None:
        result = await execute(ctx, argparse.Namespace(command="toggle"))
        log.info("kimai-tray: hotkey toggle: %s", (result.stdout or result.stderr).strip())
        if result.exit_code != 0:
            tray.tray.showMessage("kimai-tray", result.stderr.strip())

    def start_toggle() -> None:
        task = loop.create_task(toggle())
        running.add(task)
        task.add_done_callback(running.discard)

    def report(message: str) -> None:
        warning = QSystemTrayIcon.MessageIcon.Warning
        tray.tray.showMessage("Global hotkey", message, warning, 10_000)

    hotkeys = GlobalHotkeys({TOGGLE: start_toggle, POPUP: show_popup}, report, loop=loop)
    hotkeys.apply(ctx.config.preferences)
    return hotkeys


def _log_crash(task: asyncio.Task[None]) -> None:
    # Tracking keeps working offline without the supervisor, but sync stops: say so loudly.
    if not task.cancelled() and task.exception() is not None:
        log.error("kimai-tray: the sync supervisor stopped", exc_info=task.exception())


def _icon_point(tray: TrayController) -> QPoint | None:
    geo = tray.tray.geometry()
    return None if geo.isEmpty() else geo.center()


def _install_away(
    ctx: AppContext, stack: ExitStack, tracker: Tracker, bridge: StateBridge, tray: TrayController
) -> AwayController:
    """Idle/lock/sleep watcher and reminders (issue 11); after the first turn, as it probes
    the X server and D-Bus for an idle source."""
    from kimai_tray.ui.away_controller import install_away_controller

    def notify(title: str, message: str) -> None:
        if ctx.config.preferences.notifications and tray.tray.isVisible():
            tray.tray.showMessage(title, message)

    away = install_away_controller(
        tracker, bridge, ctx.config.preferences, attention=tray.set_attention, notify=notify
    )
    stack.callback(away.close)
    return away


def _user_backend(ctx: AppContext, tray: TrayController) -> KimaiBackend | None:
    if not ctx.config.configured:
        tray.set_configured(False)  # the caller opens the first-run wizard
        return None
    return ctx.make_backend()


def _demo_backend(ctx: AppContext, stack: ExitStack, tray: TrayController) -> KimaiBackend:
    from kimai_tray.simulator.server import SimulatorServer

    server = SimulatorServer(token=DEMO_TOKEN)
    server.start()
    stack.callback(server.stop)
    log.info("kimai-tray: demo simulator on %s", server.url)
    config = replace(ctx.config, server_url=server.url, auth_kind="token", api_kind="kimai2")
    ctx.save_config(config)  # the temp home only
    tray.set_server_url(server.url)
    return ctx.make_backend(config, secret=DEMO_TOKEN)


async def _shutdown(
    loop: asyncio.AbstractEventLoop,
    tasks: list[asyncio.Task[None]],
    backends: list[KimaiBackend],
) -> None:
    """Cancel the supervisor (bounded wait, never gather), close clients, then stop the loop."""
    log.info("kimai-tray: quitting")
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.wait(tasks, timeout=SHUTDOWN_TIMEOUT_S)
    for backend in backends:
        try:
            await asyncio.wait_for(backend.aclose(), timeout=SHUTDOWN_TIMEOUT_S)
        except Exception:  # closing is best effort; the data is already in the outbox
            log.warning("closing the client failed", exc_info=True)
    # Stopping the loop (not QApplication.quit) lets run_forever return cleanly (desktop-notes §3).
    loop.stop()


def _install_signal_handlers(
    loop: asyncio.AbstractEventLoop,
    request_quit: Callable[[], None],
    notifier_type: type[QSocketNotifier],
    stack: ExitStack,
) -> None:
    """SIGINT/SIGTERM quit cleanly: the C handler writes to a socket Qt watches (no polling)."""
    read_sock, write_sock = socket.socketpair()
    read_sock.setblocking(False)
    write_sock.setblocking(False)
    stack.callback(read_sock.close)
    stack.callback(write_sock.close)
    previous_fd = signal.set_wakeup_fd(write_sock.fileno())
    stack.callback(signal.set_wakeup_fd, previous_fd)

    def handler(signum: int, _frame: object) -> None:
        log.info("kimai-tray: signal %d", signum)
        loop.call_soon_threadsafe(request_quit)

    for sig in (signal.SIGINT, signal.SIGTERM):
        previous = signal.signal(sig, handler)
        stack.callback(signal.signal, sig, previous)

    notifier = notifier_type(read_sock.fileno(), notifier_type.Type.Read)

    def drain() -> None:
        # Reading runs Python bytecode, which lets the pending Python-level handler run.
        with suppress(BlockingIOError):
            read_sock.recv(64)

    notifier.activated.connect(drain)
    stack.callback(notifier.setEnabled, False)


def _log_to_stderr(ctx: AppContext) -> logging.Handler:
    """INFO lines on stderr too (bench and packaging smoke tests read them), redacted."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.addFilter(ctx.redactor)
    # httpx logs every request at INFO: fine in the log file, noise on a terminal.
    handler.addFilter(lambda r: r.levelno >= logging.WARNING or not r.name.startswith("http"))
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    return handler
