"""`ProfileSyncer`: pending entries of a profile keep syncing after the user switched away.

The active profile's Tracker runs its own supervisor (`Tracker.run`). A profile the user left
may still hold queued changes; the syncer drives `sync_once` for it (honouring the engine's
back-off) until its outbox is empty, then hands it to `release` (close client and databases).
Switching back takes the tracker out again, so one outbox is never opened twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from kimai_tray.core.errors import KimaiTrayError
from kimai_tray.core.tracker import Tracker

log = logging.getLogger(__name__)

RETRY_S = 30.0  # after an error without a server-given delay (offline, wrong token)

Release = Callable[[Tracker], Awaitable[None]]


class ProfileSyncer:
    """Background delivery for non-active profiles; one asyncio task per profile."""

    def __init__(
        self,
        release: Release,
        *,
        retry_s: float = RETRY_S,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        self._release = release
        self._retry_s = retry_s
        self._sleep = sleep or asyncio.sleep
        self._trackers: dict[str, Tracker] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}

    @property
    def names(self) -> list[str]:
        """Profiles still being synced in the background."""
        return sorted(self._trackers)

    def pending(self, name: str) -> int:
        tracker = self._trackers.get(name)
        return tracker.state.pending if tracker is not None else 0

    def hand_over(self, name: str, tracker: Tracker) -> None:
        """Keep syncing `tracker` (with its backend set) until empty, then release it."""
        if name in self._trackers:
            raise ValueError(f"profile {name!r} is already syncing in the background")
        self._trackers[name] = tracker
        self._tasks[name] = asyncio.get_running_loop().create_task(self._drain(name, tracker))

    def take(self, name: str) -> Tracker | None:
        """Stop background syncing of `name` and return its tracker (None if not held)."""
        tracker = self._trackers.pop(name, None)
        task = self._tasks.pop(name, None)
        if task is not None:
            # An interrupted request is an ambiguous failure the sync engine reconciles.
            task.cancel()
        return tracker

    async def wait_idle(self, name: str) -> None:
        """Until `name` is fully delivered and released (for callers that need to know)."""
        task = self._tasks.get(name)
        if task is not None:
            await asyncio.shield(task)

    async def _drain(self, name: str, tracker: Tracker) -> None:
        try:
            while tracker.outbox.counts()[0]:
                try:
                    report = await tracker.sync_once()
                    delay = report.retry_after
                    if delay is None and report.error is not None:
                        delay = self._retry_s
                except KimaiTrayError as exc:  # e.g. the database went bad
                    log.error("background sync of %s failed: %s", name, exc.user_message)
                    delay = self._retry_s
                if tracker.outbox.counts()[0]:
                    await self._sleep(delay or 0.0)
            log.info("profile %s: everything delivered", name)
        finally:
            if self._trackers.get(name) is tracker:
                del self._trackers[name]
                self._tasks.pop(name, None)
                await self._release(tracker)

    async def aclose(self) -> None:
        """Stop all background syncing (at quit) and release every tracker."""
        names = list(self._trackers)
        trackers = [self._trackers.pop(n) for n in names]
        tasks = [self._tasks.pop(n) for n in names if n in self._tasks]
        for task in tasks:
            task.cancel()
        # The drains' own errors were logged already; quitting must not fail on them.
        await asyncio.gather(*tasks, return_exceptions=True)
        for tracker in trackers:
            await self._release(tracker)
