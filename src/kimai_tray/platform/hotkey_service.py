"""Qt glue for global hotkeys: a QSocketNotifier on the X connection, so no extra thread."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QSocketNotifier, Signal

from kimai_tray.platform.hotkeys import HotkeyBackend, parse_hotkey

log = logging.getLogger(__name__)


class QtHotkeyService(QObject):
    """Emits `activated(name)` in the GUI thread when a registered hotkey is pressed."""

    activated = Signal(str)

    def __init__(self, backend: HotkeyBackend, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._backend = backend
        self._notifier: QSocketNotifier | None = None
        fd = backend.fileno()
        if fd is not None:
            self._notifier = QSocketNotifier(fd, QSocketNotifier.Type.Read, self)
            self._notifier.activated.connect(self.drain)

    def register(self, name: str, text: str) -> None:
        """Grab `text` (e.g. 'Ctrl+Alt+T') for `name`; raises HotkeyError subclasses."""
        self._backend.register(name, parse_hotkey(text))
        # python-xlib may have read events into its own buffer while syncing: the socket
        # notifier would not fire for those, so drain now.
        self.drain()

    def drain(self) -> None:
        for name in self._backend.poll():
            log.debug("hotkey %s pressed", name)
            self.activated.emit(name)

    def close(self) -> None:
        if self._notifier is not None:
            self._notifier.setEnabled(False)
        self._backend.close()
