"""Qt glue for global hotkeys, without an extra thread.

X11: a QSocketNotifier on the X connection. Windows: `RegisterHotKey(NULL, ...)` posts
WM_HOTKEY to the GUI thread's queue, which Qt's loop reads; a native event filter hands it to
the backend. macOS: the event tap's callback runs in the GUI thread's run loop and wakes the
service through `set_wakeup`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from PySide6.QtCore import (
    QAbstractNativeEventFilter,
    QByteArray,
    QCoreApplication,
    QObject,
    QSocketNotifier,
    QTimer,
    Signal,
)

from kimai_tray.platform.hotkeys import HotkeyBackend, WindowsHotkeyBackend, parse_hotkey

log = logging.getLogger(__name__)


@runtime_checkable
class WakingBackend(Protocol):
    """A backend that pushes activations (macOS event tap) instead of offering a file."""

    def set_wakeup(self, callback: Callable[[], None]) -> None: ...


class NativeMessageSink(Protocol):
    def handle_message(self, message: int, wparam: int) -> bool: ...


class WindowsHotkeyFilter(QAbstractNativeEventFilter):
    """Passes WM_HOTKEY from Qt's Windows message loop to the backend, then drains it."""

    def __init__(self, sink: NativeMessageSink, drain: Any) -> None:
        super().__init__()
        self._sink = sink
        self._drain = drain

    def on_message(self, message: int, wparam: int) -> bool:
        if self._sink.handle_message(message, wparam):
            QTimer.singleShot(0, self._drain)  # emit outside the native callback
            return True
        return False

    def nativeEventFilter(  # noqa: N802 - Qt's name
        self, event_type: QByteArray | bytes | bytearray | memoryview, message: int
    ) -> tuple[bool, int]:  # pragma: no cover - needs Windows' MSG structures
        kind = event_type.data() if isinstance(event_type, QByteArray) else event_type
        if bytes(kind) != b"windows_generic_MSG":
            return False, 0
        import ctypes.wintypes

        msg = ctypes.wintypes.MSG.from_address(int(message))
        return self.on_message(int(msg.message), int(msg.wParam)), 0


class QtHotkeyService(QObject):
    """Emits `activated(name)` in the GUI thread when a registered hotkey is pressed."""

    activated = Signal(str)

    def __init__(self, backend: HotkeyBackend, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._backend = backend
        self._notifier: QSocketNotifier | None = None
        self._filter: WindowsHotkeyFilter | None = None
        fd = backend.fileno()
        if fd is not None:
            self._notifier = QSocketNotifier(fd, QSocketNotifier.Type.Read, self)
            self._notifier.activated.connect(self.drain)
        elif isinstance(backend, WindowsHotkeyBackend):
            self._filter = WindowsHotkeyFilter(backend, self.drain)
            app = QCoreApplication.instance()
            if app is not None:
                app.installNativeEventFilter(self._filter)
        elif isinstance(backend, WakingBackend):
            # The wake-up runs inside the macOS event-tap callback: defer the actions until it
            # returned, as macOS disables a tap whose callback is slow.
            backend.set_wakeup(lambda: QTimer.singleShot(0, self.drain))

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
        app = QCoreApplication.instance()
        if self._filter is not None and app is not None:
            app.removeNativeEventFilter(self._filter)
        self._backend.close()
