"""A clock the test steps by hand: no sleeps, no flakiness."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta


class FakeClock:
    """Implements `core.clock.Clock`; `sleep` advances time instead of waiting."""

    def __init__(self, start: datetime | None = None, *, real_monotonic: bool = False) -> None:
        self._now = start or datetime(2026, 11, 23, 9, 0, 0, tzinfo=UTC)
        self._mono = 1000.0
        # Real monotonic time for tests against a real server whose stalls take real time
        # (the sync engine's settle period must outlast them), with a stepped wall clock.
        self._real_monotonic = real_monotonic
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return time.monotonic() if self._real_monotonic else self._mono

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)
        self._mono += seconds

    def set(self, when: datetime) -> None:
        delta = (when - self._now).total_seconds()
        self.advance(delta)

    async def sleep(self, seconds: float) -> None:
        """Drop-in for asyncio.sleep: records the delay, advances time, yields once."""
        self.sleeps.append(seconds)
        self.advance(max(0.0, seconds))
        await asyncio.sleep(0)
