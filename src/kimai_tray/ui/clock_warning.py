"""Tell the user once when this computer's clock is minutes off the Kimai server's.

Entries are stamped with the local clock, so a skewed clock books every entry at the wrong
time. The client records the server's `Date` header with each answer (api/kimai2.py); after
the first sync that reached the server, the app compares it with the local clock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from kimai_tray.core.clock_skew import server_date_of, skew_warning
from kimai_tray.core.state import TrackerState

log = logging.getLogger(__name__)


class ClockWarning:
    """Feed it every tracker state; it calls `tell` at most once per app run."""

    def __init__(
        self,
        backend: Callable[[], object | None],
        tell: Callable[[str], None],
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._backend = backend
        self._tell = tell
        self._now = now
        self.told = False

    def check(self, state: object) -> None:
        if self.told or not isinstance(state, TrackerState) or not state.online:
            return
        text = skew_warning(server_date_of(self._backend()), self._now())
        if text is not None:
            self.told = True
            log.warning("kimai-tray: clock: %s", text)
            self._tell(text)
