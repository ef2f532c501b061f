"""The app's two global hotkeys (toggle the timer, open the popup), on what the desktop offers.

X11 gets a real key grab (`X11HotkeyBackend` read through `QtHotkeyService`), Windows
`RegisterHotKey` (WM_HOTKEY through a native event filter), macOS a Quartz event tap (needs the
Accessibility permission; its callback wakes the service). Wayland forbids grabs: where the
desktop has the GlobalShortcuts portal, the hotkeys are *requested* from it (an asyncio task on
the app's loop, since the desktop may ask the user first); elsewhere nothing is grabbed and the
settings dialog shows how to bind `kimai-tray toggle` as a desktop shortcut instead. A problem
(a combination another program owns, a cancelled portal dialog) is reported once (tray message
and log), never raised: tracking must keep working.

The portal's session can end under us (the portal restarts or crashes, or closes the session):
the hotkeys then do not fire until a new session is bound, which is tried with a growing delay
once the portal is back on the bus. Keys the user changes in the desktop's own settings update
`registered` (what `assigned()` gives the settings dialog).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from kimai_tray.platform.config import Preferences
from kimai_tray.platform.hotkey_service import QtHotkeyService
from kimai_tray.platform.hotkeys import (
    Hotkey,
    HotkeyBackend,
    HotkeyError,
    HotkeySupport,
    HotkeyUnavailableError,
    WindowsHotkeyBackend,
    X11HotkeyBackend,
    hotkey_support,
    parse_hotkey,
)

if TYPE_CHECKING:
    from kimai_tray.platform.portal_shortcuts import PortalShortcuts

log = logging.getLogger(__name__)

TOGGLE = "toggle"
POPUP = "popup"
# Shown by the desktop in its shortcut dialog and settings.
DESCRIPTIONS = {TOGGLE: "Start or stop the Kimai timer", POPUP: "Open the kimai-tray window"}
PORTAL_CLOSE_TIMEOUT_S = 5.0
# Waits before each try to get a new portal session after ours ended; then we give up.
RECOVERY_DELAYS_S = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
# A session that lasted this long ended for a new reason: its recovery starts from the first wait
# again. A portal that keeps closing our sessions at once walks through the waits only once.
STABLE_SESSION_S = 120.0
BIND_FAILED = (
    "The desktop's shortcut service gave an answer kimai-tray does not understand: "
    "bind 'kimai-tray toggle' as a desktop shortcut instead."
)
GAVE_UP = (
    "The global hotkeys stopped because the desktop's shortcut service did not come back: "
    "restart kimai-tray to get them back."
)

PortalFactory = Callable[[Callable[[str], None]], "PortalShortcuts"]


def wanted_hotkeys(preferences: Preferences) -> dict[str, str]:
    """Hotkey name -> combination text, from the user's preferences."""
    return {TOGGLE: preferences.toggle_hotkey, POPUP: preferences.hotkey}


class GlobalHotkeys:
    """Grabs (or asks the desktop for) the configured hotkeys; calls `actions[name]` on a press."""

    def __init__(
        self,
        actions: Mapping[str, Callable[[], None]],
        report: Callable[[str], None],
        *,
        support: HotkeySupport | None = None,
        make_backend: Callable[[], HotkeyBackend] | None = None,
        make_portal: PortalFactory | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
        recovery_delays: Sequence[float] = RECOVERY_DELAYS_S,
    ) -> None:
        self._actions = dict(actions)
        self._report = report
        self.support = support or hotkey_support()
        default: Callable[[], HotkeyBackend] = X11HotkeyBackend
        if self.support.kind == "windows":
            default = WindowsHotkeyBackend
        elif self.support.kind == "macos":
            from kimai_tray.platform.macos_hotkeys import MacEventTapHotkeyBackend

            default = MacEventTapHotkeyBackend
        self._make_backend = make_backend or default
        self._make_portal = make_portal or _default_portal
        self._loop = loop
        self._backend: HotkeyBackend | None = None
        self._service: QtHotkeyService | None = None
        self._portal: PortalShortcuts | None = None
        self._binding: asyncio.Task[None] | None = None
        self._closing: set[asyncio.Task[None]] = set()
        self._reported: set[str] = set()
        self._recovery_delays = tuple(recovery_delays)
        self._wanted: dict[str, tuple[Hotkey, str]] = {}  # what the portal was last asked for
        self._recovery_tries = 0  # since the last stable session or the last apply()
        self._bound_at: float | None = None  # monotonic time of the last successful bind
        self._outage = False  # our portal session ended and no new one is bound yet
        # name -> the combination grabbed, or the desktop's own words for what it assigned.
        self.registered: dict[str, str] = {}

    def assigned(self) -> dict[str, str]:
        """Hotkey name -> what is in effect now (for the settings dialog); on Wayland the
        desktop's description of the keys it assigned, e.g. "Ctrl+Alt+T"."""
        return dict(self.registered)

    def apply(self, preferences: Preferences) -> list[str]:
        """(Re-)grab the preferred hotkeys; returns the problems (also reported once each).

        Through the portal the answer comes later (the desktop may ask the user): the problems
        known now are returned, later ones are reported when they happen."""
        if self.support.kind == "wayland-portal":
            return self._apply_portal(preferences)
        if self.support.kind not in ("x11", "windows", "macos"):
            log.info(
                "kimai-tray: no global hotkey is available here (%s): %s",
                self.support.kind,
                self.support.message,
            )
            return []
        problems: list[str] = []
        try:
            service = self._ensure_service()
        except HotkeyError as exc:
            problems.append(exc.user_message)
        else:
            assert self._backend is not None
            self._backend.unregister_all()
            self.registered.clear()
            for name, text in wanted_hotkeys(preferences).items():
                try:
                    service.register(name, text)
                except HotkeyError as exc:
                    problems.append(exc.user_message)
                else:
                    self.registered[name] = text
        self._report_once(problems)
        return problems

    def _report_once(self, problems: list[str]) -> None:
        for problem in problems:
            log.warning("kimai-tray: hotkey: %s", problem)
            if problem not in self._reported:  # a conflict nags once, not at every save
                self._reported.add(problem)
                self._report(problem)

    def _ensure_service(self) -> QtHotkeyService:
        if self._service is None:
            backend = self._make_backend()
            self._backend = backend
            self._service = QtHotkeyService(backend)
            self._service.activated.connect(self._on_activated)
        return self._service

    def _on_activated(self, name: str) -> None:
        log.info("kimai-tray: hotkey %s pressed", name)
        action = self._actions.get(name)
        if action is not None:
            action()

    # --- Wayland: the GlobalShortcuts portal ----------------------------------------------------

    def _apply_portal(self, preferences: Preferences) -> list[str]:
        problems: list[str] = []
        wanted: dict[str, tuple[Hotkey, str]] = {}
        for name, text in wanted_hotkeys(preferences).items():
            try:
                wanted[name] = (parse_hotkey(text), DESCRIPTIONS[name])
            except HotkeyError as exc:
                problems.append(exc.user_message)
        self._report_once(problems)
        self._cancel_binding()  # newer preferences replace a request still waiting
        self._wanted = wanted
        self._recovery_tries = 0  # the user asked again: a recovery may start afresh
        if wanted:
            self._binding = self._event_loop().create_task(self._bind_through_portal(wanted))
        return problems

    def _cancel_binding(self) -> None:
        if self._binding is not None:
            self._binding.cancel()
            self._binding = None

    def _event_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            # The app builds us before its loop runs, after making it the current loop.
            self._loop = asyncio.get_event_loop_policy().get_event_loop()
        return self._loop

    async def _bind_through_portal(self, wanted: Mapping[str, tuple[Hotkey, str]]) -> None:
        try:
            portal = await self._open_portal()
            assigned = await portal.bind(wanted)
        except HotkeyError as exc:
            log.info("kimai-tray: global shortcuts portal: %s", exc.detail or exc.user_message)
            self._report_once([exc.user_message])
            return
        except Exception:  # never into the Qt loop: the app keeps tracking without hotkeys
            log.exception("kimai-tray: binding the global shortcuts failed")
            self._report_once([BIND_FAILED])
            return
        self._take_assigned(wanted, assigned)

    def _take_assigned(
        self, wanted: Mapping[str, tuple[Hotkey, str]], assigned: Mapping[str, str]
    ) -> None:
        self._outage = False
        self._bound_at = time.monotonic()
        self.registered.clear()
        problems: list[str] = []
        for name, (_hotkey, description) in wanted.items():
            trigger = assigned.get(name, "")
            if trigger:
                self.registered[name] = trigger
                log.info(
                    "global hotkey %s registered for %s through the desktop portal", trigger, name
                )
            else:
                problems.append(
                    f"The desktop assigned no key to '{description}': "
                    "choose one in your desktop's keyboard shortcut settings."
                )
        self._report_once(problems)

    async def _open_portal(self) -> PortalShortcuts:
        portal = self._portal
        if portal is not None:
            if portal.session is None:  # ended by the portal: the connection is still good
                await portal.start_session()
            return portal
        portal = self._make_portal(self._on_activated)
        portal.watch(
            on_changed=self._on_portal_changed,
            on_lost=self._on_portal_lost,
            on_back=self._on_portal_back,
        )
        self._portal = portal
        try:
            await portal.open()
        except BaseException:  # also cancelled: leave nothing half-open; the next apply retries
            self._portal = None
            await asyncio.wait_for(portal.close(), PORTAL_CLOSE_TIMEOUT_S)
            raise
        return portal

    def _on_portal_changed(self, triggers: Mapping[str, str]) -> None:
        """The user changed keys in the desktop's settings: that is their choice, no nag."""
        for name, trigger in triggers.items():
            if name not in self._wanted or self.registered.get(name, "") == trigger:
                continue
            if trigger:
                self.registered[name] = trigger
            else:
                self.registered.pop(name, None)
            log.info("kimai-tray: the desktop changed global hotkey %s to %r", name, trigger)

    def _on_portal_lost(self, portal_gone: bool) -> None:
        self.registered.clear()
        if not self._outage:  # once per outage, however many signals tell of it
            self._outage = True
            why = "left the D-Bus session" if portal_gone else "closed our session"
            log.warning(
                "kimai-tray: the desktop's global-shortcuts portal %s: "
                "the hotkeys do not fire until it is back",
                why,
            )
        bound_at = self._bound_at
        if bound_at is not None and time.monotonic() - bound_at >= STABLE_SESSION_S:
            self._recovery_tries = 0
        self._cancel_binding()
        if not portal_gone:  # the portal is still there: ask it for a new session
            self._start_recovery()

    def _on_portal_back(self) -> None:
        portal = self._portal
        if portal is not None and portal.session is None:
            self._start_recovery()

    def _start_recovery(self) -> None:
        if not self._wanted:
            return
        self._cancel_binding()
        self._binding = self._event_loop().create_task(self._recover(dict(self._wanted)))

    async def _recover(self, wanted: Mapping[str, tuple[Hotkey, str]]) -> None:
        """New session, same preferred triggers; each try waits longer, a bounded number of
        times. Runs as a task: nothing may escape it."""
        delays = self._recovery_delays
        while self._recovery_tries < len(delays):
            delay = delays[self._recovery_tries]
            self._recovery_tries += 1
            await asyncio.sleep(delay)
            try:
                portal = await self._open_portal()
                assigned = await portal.bind(wanted)
            except HotkeyError as exc:
                if _user_cancelled(exc):  # the user said no in the desktop's dialog
                    self._report_once([exc.user_message])
                    return
                log.info(
                    "kimai-tray: new global shortcuts session, try %d: %s",
                    self._recovery_tries,
                    exc.detail or exc.user_message,
                )
                continue
            except Exception:  # never into the Qt loop: the app keeps tracking without hotkeys
                log.exception("kimai-tray: getting the global shortcuts back failed")
                return
            log.info("kimai-tray: global shortcuts bound again on session %s", portal.session)
            self._take_assigned(wanted, assigned)
            return
        log.warning("kimai-tray: gave up on a new global shortcuts session")
        self._report_once([GAVE_UP])

    async def aclose(self) -> None:
        """Close everything, the portal session included (needs the running loop)."""
        self._wanted = {}  # a session ending from here on is ours: nothing to get back
        if self._binding is not None:
            self._binding.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._binding
            self._binding = None
        portal, self._portal = self._portal, None
        if portal is not None:
            try:
                await asyncio.wait_for(portal.close(), PORTAL_CLOSE_TIMEOUT_S)
            except TimeoutError:
                log.info("kimai-tray: the shortcuts portal did not confirm closing the session")
        self.close()

    def close(self) -> None:
        """Release the grabs. A portal session is closed on the loop if it still runs; once
        the loop is gone, the process exit drops the connection and the portal ends the
        session itself."""
        if self._binding is not None or self._portal is not None:
            loop = self._loop
            if loop is not None and loop.is_running():
                task = loop.create_task(self.aclose())
                self._closing.add(task)
                task.add_done_callback(self._closing.discard)
            elif loop is not None and not loop.is_closed():
                loop.run_until_complete(self.aclose())
            else:
                log.debug("kimai-tray: event loop closed; the portal session ends with us")
                self._binding = self._portal = None
        if self._service is not None:
            self._service.close()
            self._service = None
            self._backend = None


def _user_cancelled(error: HotkeyError) -> bool:
    # Imported here: the portal module needs jeepney, which only Linux installs.
    from kimai_tray.platform.portal_shortcuts import PortalCancelledError

    return isinstance(error, PortalCancelledError)


def _default_portal(on_activated: Callable[[str], None]) -> PortalShortcuts:
    """The session bus's portal; ImportError (no jeepney) means no portal either."""
    try:
        from kimai_tray.platform.portal_shortcuts import PortalShortcuts
    except ImportError as exc:  # pragma: no cover - jeepney is a Linux dependency
        raise HotkeyUnavailableError(
            "Global hotkeys need the 'jeepney' package on Wayland: reinstall kimai-tray.",
            detail=str(exc),
        ) from exc
    return PortalShortcuts(on_activated)
