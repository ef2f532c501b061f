"""A value built on first use or on the next event-loop turn, whichever comes first."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Generic, TypeVar

from PySide6.QtCore import QTimer

log = logging.getLogger(__name__)

T = TypeVar("T")


class Deferred(Generic[T]):
    """Lets the tray icon show before the popup is built, without a "not built yet" state:
    everyone who needs the popup calls `get()`, which builds it then and there if needed."""

    def __init__(self, build: Callable[[], T], on_built: Callable[[T], None] | None = None) -> None:
        self._build = build
        self._on_built = on_built
        self._value: T | None = None

    @property
    def built(self) -> T | None:
        """The value if it was built already, else None (never builds)."""
        return self._value

    def get(self) -> T:
        if self._value is None:
            value = self._build()
            self._value = value  # before on_built: wiring may call get() again
            if self._on_built is not None:
                self._on_built(value)
        return self._value

    def build_soon(self) -> None:
        """Build on the next event-loop turn (unless someone needed it earlier)."""
        QTimer.singleShot(0, self._build_now)

    def _build_now(self) -> None:
        self.get()
