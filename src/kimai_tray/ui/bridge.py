"""Turns core's plain-callback state updates into Qt signals (named in the past tense)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from kimai_tray.core.state import TrackerState


class StateBridge(QObject):
    """Re-emits every `TrackerState` core publishes as the Qt signal `state_changed`.

    `subscribe` is the core side: anything with `subscribe(callback) -> unsubscribe` (the Tracker).
    Signals are queued to the GUI thread by Qt when core publishes from another thread.
    """

    state_changed = Signal(object)  # TrackerState

    def __init__(
        self,
        subscribe: Callable[[Callable[[TrackerState], None]], Callable[[], None]],
        initial: TrackerState,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._state = initial
        self._unsubscribe = subscribe(self._on_state)

    @property
    def state(self) -> TrackerState:
        return self._state

    def _on_state(self, state: TrackerState) -> None:
        self._state = state
        self.state_changed.emit(state)

    def rebind(
        self,
        subscribe: Callable[[Callable[[TrackerState], None]], Callable[[], None]],
        initial: TrackerState,
    ) -> None:
        """Follow another tracker (a profile switch) and emit its state at once."""
        self._unsubscribe()
        self._unsubscribe = subscribe(self._on_state)
        self._on_state(initial)

    def close(self) -> None:
        self._unsubscribe()
