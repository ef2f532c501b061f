"""The sync engine: replays the outbox to Kimai exactly once.

Kimai has no idempotency keys, so the engine keeps three rules:

* Before a request that creates a timesheet (POST) leaves, its op is durably marked
  "in flight". After an ambiguous failure (connection dropped, timeout) or after a restart
  with an op in flight, the engine RECONCILES before resending: it reads the active
  timesheets and those that begin within a minute of the entry (Kimai floors `begin` to
  the minute) and adopts a record with the same project, activity and description that no
  other local entry owns. Only when none exists is the POST sent again, and, after a timeout
  or an unreadable (proxy) answer, not before the attempt in doubt is SETTLE_SECONDS old: a
  stalled request can still commit late (a connection that merely broke is resent at once;
  the request ended with it). The
  attempt's wall-clock time is stored on the op when it is marked in flight, so a restart
  during a stall (or a kill -9 while the POST is on the wire) waits too; within one process
  the monotonic clock decides (see `_settling`). A crash just before the POST left costs the
  same wait: on disk the two cases look the same.
* Every other request is idempotent by construction: stop is `PATCH end=<clicked time>`
  (never `/stop`, which would use the server's now), edits PATCH the full description and
  tags, discard is DELETE (404 counts as done). These are simply resent.
* A start not yet sent absorbs later edits and the stop: one POST with begin and end.

Errors: retryable ones (unreachable, 5xx, timeouts) stop the round and back off with jitter;
Kimai's permanent rejections (validation, not found, permission) mark that op failed with
Kimai's sentence, block only later ops of the same entry, and wait for the user (retry or
discard). Authentication/TLS/not-Kimai problems concern every op: the round stops, nothing
is marked failed.

External changes (`refresh_remote`): for an entry that still has open or failed ops the
local version wins (the outbox will make the server agree); for every other record the
server wins: a timer started elsewhere becomes the running entry, one stopped elsewhere is
ended locally and never restarted.
"""

from __future__ import annotations

import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from kimai_tray.core.backend import KimaiBackend
from kimai_tray.core.catalog import Catalog
from kimai_tray.core.clock import Clock
from kimai_tray.core.errors import (
    AmbiguousRequestError,
    BackendError,
    GarbledResponseError,
    NotFoundError,
    PermissionDeniedError,
    RequestTimeoutError,
    ValidationError,
)
from kimai_tray.core.models import Timesheet, TimesheetChanges, TimesheetDraft
from kimai_tray.core.outbox import Entry, Op, OpKind, OpStatus, Outbox, new_local_id
from kimai_tray.core.state import NamedRef

log = logging.getLogger(__name__)
_T = TypeVar("_T")

PERMANENT = (ValidationError, NotFoundError, PermissionDeniedError)
# A POST that timed out may still be running on the server (PHP's max_execution_time is 30 s,
# proxies give up after 60 s). Before resending one that reconciliation did not find, wait
# this long after the ambiguous attempt, so a late commit is found instead of duplicated.
SETTLE_SECONDS = 90.0
MATCH_WINDOW = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class SyncReport:
    """What one `sync_once` did."""

    sent: int = 0
    reconciled: int = 0  # creates found on the server after an ambiguous failure
    failed: int = 0  # ops newly marked failed
    remaining: int = 0  # ops still pending afterwards
    error: str | None = None  # the sentence that stopped the round, if any
    retry_after: float | None = None  # seconds until the next attempt (back-off)
    failed_ops: list[str] = field(default_factory=list)


class Backoff:
    """Exponential back-off with full-ish jitter: 2 s, 4 s ... capped at 5 minutes."""

    def __init__(self, rng: random.Random, *, base: float = 2.0, cap: float = 300.0) -> None:
        self._rng = rng
        self._base = base
        self._cap = cap
        self.failures = 0

    def next_delay(self) -> float:
        self.failures += 1
        # The exponent is bounded: days offline mean thousands of failures, and 2.0**1024
        # overflows a float (found by the reliability soak).
        ceiling = min(self._cap, self._base * 2 ** min(self.failures - 1, 32))
        return float(ceiling / 2 + self._rng.random() * ceiling / 2)

    def reset(self) -> None:
        self.failures = 0


class _RoundStoppedError(Exception):
    """Internal: a transport or account-wide error ends this sync round."""

    def __init__(self, error: BackendError) -> None:
        super().__init__(error.user_message)
        self.error = error


class SyncEngine:
    """Replays an Outbox to a backend; holds no state the outbox does not (except back-off)."""

    def __init__(
        self,
        outbox: Outbox,
        catalog: Catalog,
        clock: Clock,
        *,
        rng: random.Random | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        settle_seconds: float = SETTLE_SECONDS,
    ) -> None:
        self._outbox = outbox
        self._catalog = catalog
        self._clock = clock
        self.backoff = Backoff(rng or random.Random())
        self._sleep = sleep
        # Shorter only in tests whose server stalls for well under a second (kill -9 children).
        self._settle_seconds = settle_seconds
        # op seq -> monotonic time at which an attempt of this process turned out ambiguous.
        # It decides the settle wait while it exists because it is immune to wall-clock steps
        # (NTP, suspend, a user changing the time). After a restart it is gone, and the
        # wall-clock `Op.attempt_at` stored with the op decides instead (see `_settling`).
        self._ambiguous_at: dict[int, float] = {}

    async def sync_once(self, backend: KimaiBackend) -> SyncReport:
        """Send every open op in order; stop at the first retryable or account-wide error."""
        sent = reconciled = failed = 0
        failed_ops: list[str] = []
        blocked: set[str] = set()  # entries with a failed op: their later ops wait
        error: BackendError | None = None
        for op in self._outbox.open_ops():
            if op.status is OpStatus.FAILED:
                blocked.add(op.entry_id)
                continue
            current = self._outbox.op(op.op_id)
            if current is None or current.status not in (OpStatus.PENDING, OpStatus.INFLIGHT):
                continue  # folded into an earlier request during this round
            if op.entry_id in blocked:
                continue
            try:
                outcome = await self._process(backend, current)
            except _RoundStoppedError as stop:
                error = stop.error
                self._outbox.mark_error(op.seq, error.user_message, failed=False)
                break
            except PERMANENT as exc:
                self._outbox.mark_error(op.seq, exc.user_message, failed=True)
                log.warning("Kimai rejected %s op %s: %s", op.kind, op.op_id, exc.user_message)
                blocked.add(op.entry_id)
                failed += 1
                failed_ops.append(op.op_id)
                continue
            if outcome == "reconciled":
                reconciled += 1
            elif outcome == "sent":
                sent += 1
        remaining = self._outbox.counts()[0]
        retry_after = None
        if error is not None and error.retryable:
            retry_after = self.backoff.next_delay()
        elif error is None:
            self.backoff.reset()
        return SyncReport(
            sent=sent,
            reconciled=reconciled,
            failed=failed,
            remaining=remaining,
            error=error.user_message if error else None,
            retry_after=retry_after,
            failed_ops=failed_ops,
        )

    async def _call(self, request: Awaitable[_T]) -> _T:
        """Await a backend call; errors other than rejections of this op end the round."""
        try:
            return await request
        except PERMANENT:
            raise
        except BackendError as exc:
            raise _RoundStoppedError(exc) from exc

    async def _process(self, backend: KimaiBackend, op: Op) -> str:
        entry = self._outbox.entry(op.entry_id)
        assert entry is not None
        if op.kind is OpKind.START:
            return await self._start(backend, op, entry)
        if entry.timesheet_id is None:
            # The start was cancelled or never accepted: nothing to change on the server.
            self._outbox.mark_done([op.seq])
            return "skipped"
        self._outbox.mark_inflight(op.seq, self._clock.now())
        tid = entry.timesheet_id
        if op.kind is OpKind.STOP:
            end = entry.end
            assert end is not None
            await self._idempotent(lambda: backend.stop_timesheet_at(tid, end))
        elif op.kind is OpKind.EDIT:
            changes = TimesheetChanges.of(description=entry.description, tags=entry.tags)
            await self._idempotent(lambda: backend.update_timesheet(tid, changes))
        elif op.kind is OpKind.RETIME:
            # The entry's current fields, so a resend or a later retime is still exact.
            changes = TimesheetChanges.of(
                begin=entry.begin,
                project_id=entry.project.id,
                activity_id=entry.activity.id,
                description=entry.description,
                tags=entry.tags,
            )
            await self._idempotent(lambda: backend.update_timesheet(tid, changes))
        elif op.kind is OpKind.DISCARD:
            # 404: already gone (an earlier DELETE landed, or it was deleted in the web UI).
            with contextlib.suppress(NotFoundError):
                await self._idempotent(lambda: backend.delete_timesheet(tid))
        self._outbox.mark_done([op.seq])
        return "sent"

    async def _idempotent(self, make: Callable[[], Awaitable[_T]]) -> _T:
        """Send a request that may safely be repeated; after an ambiguous failure, resend once."""
        try:
            return await self._call(make())
        except _RoundStoppedError as stop:
            if not stop.error.ambiguous:
                raise
            return await self._call(make())

    async def _start(self, backend: KimaiBackend, op: Op, entry: Entry) -> str:
        if entry.timesheet_id is not None:
            self._outbox.mark_done([op.seq])
            return "skipped"
        if op.status is OpStatus.INFLIGHT:
            # A previous attempt may have landed (crash or broken connection): look first.
            found = await self._reconcile(backend, entry)
            if found is not None:
                self._adopt(entry, found, op)
                return "reconciled"
            if self._settling(op):
                raise _RoundStoppedError(
                    AmbiguousRequestError(
                        "A change sent earlier may still be arriving at Kimai; "
                        "kimai-tray checks again before resending it."
                    )
                )
        if entry.discarded:
            # Discarded while its POST was in doubt and it did not land: never send it now.
            self._outbox.mark_done([op.seq])
            return "skipped"
        # Everything queued for this entry up to now is expressed by the entry's fields.
        folded = [
            o.seq
            for o in self._outbox.open_ops()
            if o.entry_id == entry.local_id and o.kind in (OpKind.STOP, OpKind.EDIT, OpKind.RETIME)
        ]
        draft = TimesheetDraft(
            project_id=entry.project.id,
            activity_id=entry.activity.id,
            begin=entry.begin,
            end=entry.end,
            description=entry.description or None,
            tags=entry.tags,
        )
        # Durable before the request leaves: a crash from here on leaves the op in flight with
        # the time of this attempt, so the next process reconciles and waits out the settle.
        self._ambiguous_at.pop(op.seq, None)
        self._outbox.mark_inflight(op.seq, self._clock.now())
        create = backend.create_timesheet if draft.end is not None else backend.start_timesheet
        try:
            created = await self._call(create(draft))
        except _RoundStoppedError as stop:
            if not stop.error.ambiguous:
                # Nothing was sent, or the server answered: nothing can commit late. The op
                # stays in flight (reconciled first next time) but is not waited for.
                self._outbox.clear_attempt(op.seq)
                raise
            if isinstance(stop.error, RequestTimeoutError | GarbledResponseError):
                # The server was (or a proxy says it was) still working on it: it may commit
                # late. Noted before reconciling, so a failed look-up still waits it out.
                self._ambiguous_at[op.seq] = self._clock.monotonic()
            else:
                # The connection broke without an answer (a server that went down, a network
                # that went away): the request ended with it, so what a look-up does not find
                # is resent without waiting. A kill -9 of this process keeps its attempt time.
                self._outbox.clear_attempt(op.seq)
            found = await self._reconcile(backend, entry)
            if found is None:
                raise  # stays in flight: the next round reconciles again before resending
            self._adopt(entry, found, op)
            return "reconciled"
        self._outbox.adopt(entry.local_id, created.id)
        self._outbox.mark_done([op.seq, *folded])
        return "sent"

    def _settling(self, op: Op) -> bool:
        """Whether the create in doubt may still commit late, so it must not be resent yet."""
        since = self._ambiguous_at.get(op.seq)
        if since is not None:
            return self._clock.monotonic() - since < self._settle_seconds
        if op.attempt_at is None:
            # Unknown (an op from a version-1 database) or known not to have been applied (a
            # refused connection, an answer from the server): nothing to wait for.
            return False
        # Sent by an earlier process (crash, kill, restart) or interrupted mid-request (task
        # cancelled): only the wall clock spans both processes.
        # The absolute value bounds the wait when the clock was set back after the attempt:
        # "now - attempt" could then stay negative for hours, and an op must never block
        # forever. A step back by more than the settle period counts as "old" (reconcile,
        # then resend); a smaller one waits at most twice the settle period. A clock set
        # forward ends the wait early; nothing on disk can tell, and reconciliation still
        # runs first.
        age = (self._clock.now() - op.attempt_at).total_seconds()
        return abs(age) < self._settle_seconds

    def _adopt(self, entry: Entry, ts: Timesheet, op: Op) -> None:
        self._outbox.adopt(entry.local_id, ts.id)
        self._outbox.mark_done([op.seq])
        # Stops and edits still queued become PATCHes of the adopted record: resending them
        # is harmless, and it covers a stop clicked after the running POST was sent.

    async def _reconcile(self, backend: KimaiBackend, entry: Entry) -> Timesheet | None:
        """Find the record a lost POST created: same project, activity, description, begin±1min."""
        active = await self._call(backend.active_timesheets())
        around = await self._call(
            backend.timesheets(begin=entry.begin - MATCH_WINDOW, end=entry.begin + MATCH_WINDOW)
        )
        # An edit made while the POST was in doubt changed the local description but not the
        # one that was sent: then a record with the same project, activity and begin is ours
        # too (an exact description still wins). Found by tests/reliability/test_faults.py.
        edited = any(
            o.entry_id == entry.local_id and o.kind is OpKind.EDIT for o in self._outbox.open_ops()
        )
        best: Timesheet | None = None
        best_exact = False
        for ts in [*active, *around]:
            if (
                ts.project_id != entry.project.id
                or ts.activity_id != entry.activity.id
                or abs(ts.begin - entry.begin) >= MATCH_WINDOW
            ):
                continue
            exact = (ts.description or "") == entry.description
            if not exact and not edited:
                continue
            owner = self._outbox.entry_by_timesheet(ts.id)
            if owner is not None and owner.local_id != entry.local_id:
                continue  # another local entry already owns this record
            closer = best is None or abs(ts.begin - entry.begin) < abs(best.begin - entry.begin)
            if (exact and not best_exact) or (exact == best_exact and closer):
                best, best_exact = ts, exact
        return best

    # -- external changes -----------------------------------------------------------------

    async def refresh_remote(self, backend: KimaiBackend) -> None:
        """Apply timers started or stopped elsewhere (rule in the module docstring)."""
        active = await backend.active_timesheets()
        active_ids = {ts.id for ts in active}
        now = self._clock.now()
        local_running = self._outbox.running()
        if local_running is not None and local_running.timesheet_id is None:
            return  # our own unsent start is the truth until the outbox has delivered it
        if (
            local_running is not None
            and local_running.timesheet_id not in active_ids
            and not self._outbox.has_open_ops(local_running.local_id)
        ):
            # Stopped elsewhere (web UI, another device): Kimai's end is the truth, not the
            # moment this poll noticed (deleted there: nothing to read, so now).
            end = await self._server_end(backend, local_running) or now
            self._outbox.end_remote(local_running.local_id, end)
        for ts in sorted(active, key=lambda t: t.begin):
            known = self._outbox.entry_by_timesheet(ts.id)
            if known is not None and (known.discarded or self._outbox.has_open_ops(known.local_id)):
                continue  # the app touched it and has not finished telling the server
            if known is not None and known.end is not None and known.origin == "local":
                # Ended locally and fully synced: the server's copy will catch up; never restart.
                continue
            self._outbox.upsert_remote(self._entry_from(ts, known))
        # With Kimai's hard limit of 1 only the newest may run; end older local mirrors.
        running = [e for e in self._outbox.entries(limit=50) if e.end is None]
        for older in running[1:]:
            if not self._outbox.has_open_ops(older.local_id):
                self._outbox.end_remote(older.local_id, running[0].begin)

    async def _server_end(self, backend: KimaiBackend, entry: Entry) -> datetime | None:
        """The end Kimai recorded for `entry`'s timesheet (None: not found or still open)."""
        around = await backend.timesheets(
            begin=entry.begin - MATCH_WINDOW, end=entry.begin + MATCH_WINDOW
        )
        for ts in around:
            if ts.id == entry.timesheet_id:
                return ts.end
        return None

    def _entry_from(self, ts: Timesheet, known: Entry | None) -> Entry:
        project = self._catalog.project(ts.project_id)
        activity = self._catalog.activity(ts.activity_id)
        customer_id = project.customer_id if project else 0
        customer = self._catalog.customer(customer_id)
        return Entry(
            local_id=known.local_id if known else new_local_id(),
            timesheet_id=ts.id,
            customer=NamedRef(customer_id, customer.name if customer else ""),
            project=NamedRef(ts.project_id, project.name if project else f"#{ts.project_id}"),
            activity=NamedRef(ts.activity_id, activity.name if activity else f"#{ts.activity_id}"),
            begin=ts.begin,
            end=ts.end,
            description=ts.description or "",
            tags=ts.tags,
            origin="remote",
        )
