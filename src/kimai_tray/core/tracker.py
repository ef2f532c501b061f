"""`Tracker`: the one facade the tray, popup, CLI and IPC call.

User actions (start, stop, edit, discard) are synchronous: they commit to the outbox and
publish the new state before returning, so a click or a CLI call never waits for the
network. `sync_once`/`run` deliver the outbox to the server later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from kimai_tray.core.backend import KimaiBackend
from kimai_tray.core.catalog import Catalog
from kimai_tray.core.clock import Clock
from kimai_tray.core.errors import BackendError, KimaiTrayError, UnknownNameError
from kimai_tray.core.outbox import Entry, OpKind, OpStatus, Outbox, PendingOp, new_local_id
from kimai_tray.core.state import NamedRef, Phase, RunningEntry, TrackerState
from kimai_tray.core.sync import SETTLE_SECONDS, SyncEngine, SyncReport

log = logging.getLogger(__name__)

POLL_ACTIVE_S = 45.0
CATALOG_EVERY_S = 15 * 60.0

Subscriber = Callable[[TrackerState], None]


@dataclass(frozen=True, slots=True)
class RecentEntry:
    """A distinct (project, activity, description, tags) the user tracked lately."""

    customer: NamedRef
    project: NamedRef
    activity: NamedRef
    description: str
    tags: tuple[str, ...]
    last_begin: datetime


class Tracker:
    """Offline-first time tracker; see the module docstring."""

    def __init__(
        self,
        outbox: Outbox,
        catalog: Catalog,
        clock: Clock,
        *,
        backend: KimaiBackend | None = None,
        rng: random.Random | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        settle_seconds: float = SETTLE_SECONDS,
    ) -> None:
        self.outbox = outbox
        self.catalog = catalog
        self._clock = clock
        self._backend = backend
        self._sleep = sleep or asyncio.sleep
        self._engine = SyncEngine(
            outbox, catalog, clock, rng=rng, sleep=self._sleep, settle_seconds=settle_seconds
        )
        self._subscribers: list[Subscriber] = []
        self._online = False
        self._syncing = False
        self._last_error: str | None = None
        self._wake: asyncio.Event | None = None
        self._sync_lock: asyncio.Lock | None = None
        self._state = TrackerState()
        self._publish()

    # -- state --------------------------------------------------------------------------

    @property
    def state(self) -> TrackerState:
        return self._state

    @property
    def backend(self) -> KimaiBackend | None:
        """The attached client (the running app's), or None while offline-only."""
        return self._backend

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call `callback(state)` on every change; returns the unsubscribe function."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    def _publish(self) -> None:
        running = self.outbox.running()
        pending, failed = self.outbox.counts()
        state = TrackerState(
            phase=Phase.RUNNING if running else Phase.IDLE,
            running=running.as_running() if running else None,
            pending=pending,
            failed=failed,
            online=self._online,
            syncing=self._syncing,
            last_error=self._last_error,
        )
        if state == self._state:
            return
        self._state = state
        for callback in list(self._subscribers):
            try:
                callback(state)
            except Exception:  # a broken subscriber must not break tracking
                log.exception("state subscriber failed")

    # -- user actions (synchronous, durable) ----------------------------------------------

    def start(
        self,
        project_id: int,
        activity_id: int,
        description: str = "",
        tags: tuple[str, ...] = (),
        begin: datetime | None = None,
    ) -> RunningEntry:
        """Start a timer (ending the running one at the same instant); durable on return."""
        now = self._clock.now()
        if self.catalog.project(project_id) is None and self.catalog.is_empty() is False:
            raise UnknownNameError(f"No project has the id {project_id}.")
        entry = self._new_entry(project_id, activity_id, begin or now, None, description, tags)
        self.outbox.record_start(entry, now)
        self.catalog.record_use(project_id, activity_id, now)
        self._publish()
        self.wake()
        return entry.as_running()

    def last_entry(self) -> Entry | None:
        entries = self.outbox.entries(limit=1)
        return entries[0] if entries else None

    def start_last(self) -> RunningEntry | None:
        """Start again what was tracked last (None when nothing was ever tracked)."""
        last = self.last_entry()
        if last is None:
            return None
        return self.start(last.project.id, last.activity.id, last.description, last.tags)

    def stop(self, at: datetime | None = None) -> RunningEntry | None:
        """Stop the running timer at the clicked time (or `at`); returns what was stopped.

        `at` lets the away dialog end the entry when the user left: the sync sends
        PATCH end=<at>, never /stop (which would use the server's now).
        """
        running = self.outbox.running()
        if running is None:
            return None
        now = self._clock.now()
        end = now if at is None else min(at, now)
        self.outbox.record_stop(running.local_id, max(end, running.begin), now)
        self._publish()
        self.wake()
        return running.as_running()

    def add_finished_entry(
        self,
        project_id: int,
        activity_id: int,
        begin: datetime,
        end: datetime,
        description: str = "",
        tags: tuple[str, ...] = (),
    ) -> Entry:
        """Record a finished entry (one POST with begin and end); durable on return.

        Like `start`, it ends a timer still running at `begin`.
        """
        if end < begin:
            raise KimaiTrayError("An entry cannot end before it begins.")
        now = self._clock.now()
        entry = self._new_entry(project_id, activity_id, begin, end, description, tags)
        self.outbox.record_start(entry, now)
        self._publish()
        self.wake()
        return entry

    def _new_entry(
        self,
        project_id: int,
        activity_id: int,
        begin: datetime,
        end: datetime | None,
        description: str,
        tags: tuple[str, ...],
    ) -> Entry:
        """A new local entry, named from the catalog (ids stand in for names it lacks:
        offline before the first catalog download)."""
        project = self.catalog.project(project_id)
        activity = self.catalog.activity(activity_id)
        customer = self.catalog.customer(project.customer_id) if project else None
        return Entry(
            local_id=new_local_id(),
            timesheet_id=None,
            customer=NamedRef(
                project.customer_id if project else 0,
                customer.name if customer else (project.customer_name if project else ""),
            ),
            project=NamedRef(project_id, project.name if project else f"#{project_id}"),
            activity=NamedRef(activity_id, activity.name if activity else f"#{activity_id}"),
            begin=begin,
            end=end,
            description=description,
            tags=tuple(tags),
        )

    def toggle(self) -> RunningEntry | None:
        """Stop if running, else start the last entry again."""
        if self.outbox.running() is not None:
            self.stop()
            return None
        return self.start_last()

    def edit_running(
        self,
        description: str | None = None,
        tags: tuple[str, ...] | None = None,
        *,
        begin: datetime | None = None,
        project_id: int | None = None,
        activity_id: int | None = None,
    ) -> RunningEntry | None:
        """Change the running entry; a new begin/project/activity is PATCHed too (offline ok)."""
        running = self.outbox.running()
        fields = (description, tags, begin, project_id, activity_id)
        if running is None or all(f is None for f in fields):
            return running.as_running() if running else None
        now = self._clock.now()
        if begin is not None and begin > now:
            raise KimaiTrayError("The start time cannot be in the future.")
        if begin is not None:
            begin = begin.replace(microsecond=0)  # Kimai keeps whole seconds only
        project_ref = customer_ref = activity_ref = None
        if project_id is not None:
            project = self.catalog.project(project_id)
            customer = self.catalog.customer(project.customer_id) if project else None
            project_ref = NamedRef(project_id, project.name if project else f"#{project_id}")
            if project is not None:
                customer_ref = NamedRef(project.customer_id, customer.name if customer else "")
        if activity_id is not None:
            activity = self.catalog.activity(activity_id)
            activity_ref = NamedRef(activity_id, activity.name if activity else f"#{activity_id}")
        self.outbox.record_edit(
            running.local_id,
            description,
            tuple(tags) if tags is not None else None,
            now,
            begin=begin,
            project=project_ref,
            activity=activity_ref,
            customer=customer_ref,
        )
        self._publish()
        self.wake()
        updated = self.outbox.entry(running.local_id)
        return updated.as_running() if updated else None

    def discard_running(self) -> None:
        """Throw the running timer away (deleted on the server if it got there)."""
        running = self.outbox.running()
        if running is None:
            return
        self.outbox.record_discard(running.local_id, self._clock.now())
        self._publish()
        self.wake()

    def recent(self, limit: int = 5) -> list[RecentEntry]:
        seen: set[tuple[int, int, str, tuple[str, ...]]] = set()
        out: list[RecentEntry] = []
        for e in self.outbox.entries(limit=500):
            key = (e.project.id, e.activity.id, e.description, e.tags)
            if key in seen:
                continue
            seen.add(key)
            out.append(
                RecentEntry(e.customer, e.project, e.activity, e.description, e.tags, e.begin)
            )
            if len(out) >= limit:
                break
        return out

    def pending(self) -> list[PendingOp]:
        return self.outbox.pending()

    def discard_failed(self, op_id: str) -> None:
        """Give up a rejected op; a rejected start takes its whole entry with it."""
        op = self.outbox.op(op_id)
        if op is None:
            raise KimaiTrayError("That pending change no longer exists.")
        if op.kind is OpKind.START:
            self.outbox.cancel_entry(op.entry_id)
        else:
            self.outbox.set_status(op_id, OpStatus.CANCELLED)
        self._publish()
        self.wake()

    def retry_failed(self, op_id: str) -> None:
        self.outbox.retry(op_id)
        self._publish()
        self.wake()

    # -- network ----------------------------------------------------------------------------

    @property
    def clock(self) -> Clock:
        return self._clock

    def set_backend(self, backend: KimaiBackend | None) -> None:
        self._backend = backend
        if backend is None:
            self._online = False
        self._publish()
        self.wake()

    def _lock(self) -> asyncio.Lock:
        if self._sync_lock is None:
            self._sync_lock = asyncio.Lock()
        return self._sync_lock

    async def sync_once(self) -> SyncReport:
        """Deliver the outbox now; never raises BackendError (see the report)."""
        backend = self._backend
        if backend is None:
            return SyncReport(remaining=self.outbox.counts()[0], error="Not connected to Kimai.")
        async with self._lock():
            self._syncing = True
            self._publish()
            try:
                report = await self._engine.sync_once(backend)
            finally:
                self._syncing = False
            self._online = report.error is None or report.retry_after is None
            self._last_error = report.error
            if report.error is None and report.failed_ops:
                rejected = self.outbox.op(report.failed_ops[-1])
                self._last_error = rejected.last_error if rejected else None
            self._publish()
            return report

    async def refresh_remote(self) -> None:
        """Read the active timesheets and apply changes made elsewhere."""
        backend = self._backend
        if backend is None:
            return
        async with self._lock():
            try:
                await self._engine.refresh_remote(backend)
            except BackendError as exc:
                self._online = not exc.retryable
                self._last_error = exc.user_message
                self._publish()
                raise
            self._online = True
            self._publish()

    async def refresh_catalog(self) -> None:
        backend = self._backend
        if backend is None:
            return
        customers = await backend.customers()
        projects = await backend.projects()
        activities = await backend.activities()
        tags = await backend.tags()
        # The tracking mode is slow-changing data too: the client caches it, so the first start
        # after launch is one POST (not a config GET, then the POST), and mode changes show up.
        with contextlib.suppress(BackendError):
            await backend.timesheet_config()
        self.catalog.replace_all(customers, projects, activities, tags)
        self._online = True
        self._publish()
        # The bench waits for this line to measure memory with the catalog loaded.
        log.info("catalog refreshed: %d projects, %d activities", len(projects), len(activities))

    def wake(self) -> None:
        """Make `run()` sync immediately."""
        if self._wake is not None:
            self._wake.set()

    async def run(self) -> None:
        """Supervisor: sync when pending, poll active every 45 s, catalog every 15 min."""
        self._wake = asyncio.Event()
        mono = self._clock.monotonic
        next_sync = next_poll = next_catalog = mono()
        try:
            while True:
                if self._backend is not None:
                    now = mono()
                    if self.outbox.counts()[0] and now >= next_sync:
                        try:
                            report = await self.sync_once()
                            retry = report.retry_after
                            if retry is None and report.error is not None:
                                retry = POLL_ACTIVE_S  # e.g. a wrong token: not every tick
                        except KimaiTrayError as exc:  # e.g. the database went bad
                            log.error("sync failed: %s", exc.user_message)
                            retry = self._engine.backoff.next_delay()
                        next_sync = mono() + (retry or 0.0)
                    if now >= next_catalog:
                        next_catalog = mono() + CATALOG_EVERY_S
                        with contextlib.suppress(BackendError):
                            await self.refresh_catalog()
                    if now >= next_poll:
                        next_poll = mono() + POLL_ACTIVE_S
                        with contextlib.suppress(BackendError):
                            await self.refresh_remote()
                targets = [next_poll, next_catalog]
                if self.outbox.counts()[0]:
                    targets.append(next_sync)
                delay = max(0.0, min(targets) - mono()) if self._backend else POLL_ACTIVE_S
                await self._wait(delay)
                if self._wake.is_set():
                    self._wake.clear()
                    next_sync = min(next_sync, mono())
        finally:
            self._wake = None

    async def _wait(self, delay: float) -> None:
        """Sleep for `delay` (injectable) unless `wake()` comes first."""
        assert self._wake is not None
        if self._wake.is_set():
            return
        waiter = asyncio.ensure_future(self._wake.wait())
        sleeper = asyncio.ensure_future(self._sleep(delay))
        try:
            await asyncio.wait({waiter, sleeper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (waiter, sleeper):
                task.cancel()
            await asyncio.gather(waiter, sleeper, return_exceptions=True)
