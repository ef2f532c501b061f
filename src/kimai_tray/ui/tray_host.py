"""No tray host yet: the popup as a window, and back to a popup when a host appears.

Panels often start after autostart apps, so "no tray at start" is not "no tray ever".
Qt has no public signal for a tray host appearing (the xcb plugin tracks it internally),
so the watcher asks `QSystemTrayIcon.isSystemTrayAvailable()` on a slow timer, for a while.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QSystemTrayIcon

if TYPE_CHECKING:
    from kimai_tray.ui.popup import PopupWindow

log = logging.getLogger(__name__)

POLL_MS = 5_000  # a host that appears is picked up within 5 s; ≤ 12 wake-ups a minute
WATCH_MS = 10 * 60_000  # panels start within seconds of login; after 10 minutes stop asking
WINDOW_TITLE = "Kimai Tray"
NO_TRAY_STATUS = "No system tray found: Kimai Tray runs in this window."


class TrayHostWatcher(QObject):
    """Emits `appeared` once, when a system tray becomes available within `watch_ms`."""

    appeared = Signal()

    def __init__(
        self,
        *,
        available: Callable[[], bool] = QSystemTrayIcon.isSystemTrayAvailable,
        poll_ms: int = POLL_MS,
        watch_ms: int = WATCH_MS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._available = available
        self._polls_left = max(1, watch_ms // poll_ms)
        self._timer = QTimer(self)
        self._timer.setInterval(poll_ms)
        self._timer.timeout.connect(self._poll)

    @property
    def watching(self) -> bool:
        return self._timer.isActive()

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _poll(self) -> None:
        if self._available():
            self._timer.stop()
            log.info("kimai-tray: tray became available")
            self.appeared.emit()
            return
        self._polls_left -= 1
        if self._polls_left <= 0:
            self._timer.stop()
            log.info("kimai-tray: no tray host appeared; staying in the window")


class WindowMode:
    """Turns the popup into an ordinary window (no tray to open it from) and back."""

    def __init__(self, popup: PopupWindow) -> None:
        self._popup = popup
        self._popup_flags = popup.windowFlags()
        self._popup_title = popup.windowTitle()
        self.active = False

    def enter(self) -> None:
        popup = self._popup
        popup.hide_on_deactivate = False  # a window stays open when it loses focus
        popup.setWindowFlags(Qt.WindowType.Window)
        popup.setWindowTitle(WINDOW_TITLE)
        popup.show()
        # After show(): showing renders the state, which would overwrite this line.
        popup.status_label.setText(NO_TRAY_STATUS)
        self.active = True

    def leave(self) -> None:
        """Back to the popup: hidden until the tray icon is clicked, hides on focus loss."""
        popup = self._popup
        popup.hide()
        popup.setWindowFlags(self._popup_flags)
        popup.setWindowTitle(self._popup_title)
        popup.hide_on_deactivate = True
        self.active = False
