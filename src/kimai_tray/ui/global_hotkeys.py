"""The app's two global hotkeys (toggle the timer, open the popup), on what the desktop offers.

X11 gets a real key grab (`X11HotkeyBackend` read through `QtHotkeyService`), Windows
`RegisterHotKey` (WM_HOTKEY through a native event filter). Elsewhere nothing is
grabbed: Wayland forbids it, and the settings dialog shows how to bind
`kimai-tray toggle` as a desktop shortcut instead. A combination another program owns is
reported once (tray message and log), never raised: tracking must keep working.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from kimai_tray.platform.config import Preferences
from kimai_tray.platform.hotkey_service import QtHotkeyService
from kimai_tray.platform.hotkeys import (
    HotkeyBackend,
    HotkeyError,
    HotkeySupport,
    WindowsHotkeyBackend,
    X11HotkeyBackend,
    hotkey_support,
)

log = logging.getLogger(__name__)

TOGGLE = "toggle"
POPUP = "popup"


def wanted_hotkeys(preferences: Preferences) -> dict[str, str]:
    """Hotkey name -> combination text, from the user's preferences."""
    return {TOGGLE: preferences.toggle_hotkey, POPUP: preferences.hotkey}


class GlobalHotkeys:
    """Grabs the configured hotkeys and calls `actions[name]` when one is pressed."""

    def __init__(
        self,
        actions: Mapping[str, Callable[[], None]],
        report: Callable[[str], None],
        *,
        support: HotkeySupport | None = None,
        make_backend: Callable[[], HotkeyBackend] | None = None,
    ) -> None:
        self._actions = dict(actions)
        self._report = report
        self.support = support or hotkey_support()
        default: Callable[[], HotkeyBackend] = (
            WindowsHotkeyBackend if self.support.kind == "windows" else X11HotkeyBackend
        )
        self._make_backend = make_backend or default
        self._backend: HotkeyBackend | None = None
        self._service: QtHotkeyService | None = None
        self._reported: set[str] = set()
        self.registered: dict[str, str] = {}

    def apply(self, preferences: Preferences) -> list[str]:
        """(Re-)grab the preferred hotkeys; returns the problems (also reported once each)."""
        if self.support.kind not in ("x11", "windows"):
            log.info("kimai-tray: no global hotkey grab here (%s)", self.support.kind)
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
        for problem in problems:
            log.warning("kimai-tray: hotkey: %s", problem)
            if problem not in self._reported:  # a conflict nags once, not at every save
                self._reported.add(problem)
                self._report(problem)
        return problems

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

    def close(self) -> None:
        if self._service is not None:
            self._service.close()
            self._service = None
            self._backend = None
