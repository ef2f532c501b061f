"""Python's cyclic garbage collection, run only in the GUI thread.

The automatic collector runs in whichever thread happens to allocate: the demo simulator's
server thread, or the executor thread of a DNS lookup. A collection there deletes Qt objects
caught in reference cycles from the wrong thread, which leaves dangling timers behind and
crashes the next event-loop turn (seen as segfaults in `QTimerInfoList::activateTimers`).
So the automatic collector is switched off and collections are run here instead: shortly
after state changes (when syncs and polls have produced garbage) and every ten minutes.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

_SOON_MS = 2_000
_PERIOD_MS = 10 * 60 * 1000


class GuiThreadCollector(QObject):
    """Owns garbage collection for the app's lifetime; `close()` gives it back to Python."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        gc.disable()
        self.collections = 0
        self._soon = QTimer(self)
        self._soon.setSingleShot(True)
        self._soon.timeout.connect(self.collect)
        self._periodic = QTimer(self)
        self._periodic.setInterval(_PERIOD_MS)
        self._periodic.timeout.connect(self.collect)
        self._periodic.start()

    def poke(self, *_args: object) -> None:
        """Something happened: collect soon, coalescing bursts into one collection."""
        if not self._soon.isActive():
            self._soon.start(_SOON_MS)

    def collect(self) -> None:
        gc.collect()
        self.collections += 1

    def close(self) -> None:
        self._soon.stop()
        self._periodic.stop()
        gc.enable()
