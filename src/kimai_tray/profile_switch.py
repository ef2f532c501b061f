"""Switching the active profile (server/account) while the app runs.

The active profile's Tracker runs its supervisor; the one switched away from goes to a
`ProfileSyncer` while it still has queued changes, so nothing waits for the user to come back.
Each profile has its own outbox and catalog files (AppContext.open_tracker), its own client,
and its own keyring entry.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from kimai_tray.core.errors import KimaiTrayError
from kimai_tray.core.profiles import ProfileSyncer
from kimai_tray.core.rules import ServerRules
from kimai_tray.platform.profiles import DEFAULT_PROFILE, config_for, profile_names

if TYPE_CHECKING:
    from kimai_tray.context import AppContext
    from kimai_tray.core.backend import KimaiBackend
    from kimai_tray.core.tracker import Tracker
    from kimai_tray.platform.config import Config

log = logging.getLogger(__name__)

STOP_TIMEOUT_S = 5.0


@dataclass(slots=True)
class _Lent:
    """A non-active profile's tracker while commands run on it (how many at once)."""

    tracker: Tracker
    users: int = 1


class ProfileSwitcher:
    """Owns the active tracker's supervisor and client, and the background syncer."""

    def __init__(
        self,
        ctx: AppContext,
        *,
        on_switched: Callable[[Tracker], None] | None = None,
        retry_s: float = 30.0,
    ) -> None:
        self._ctx = ctx
        self.on_switched = on_switched
        # Told the server's rules (tracking mode...) whenever a client is attached.
        self.on_rules: Callable[[ServerRules], None] | None = None
        self.rules = ServerRules()
        self._backends: dict[int, KimaiBackend] = {}  # id(tracker) -> its client
        self._supervisor: asyncio.Task[None] | None = None
        self._rules_task: asyncio.Task[None] | None = None
        self.syncer = ProfileSyncer(self._release, retry_s=retry_s)
        self._lent: dict[str, _Lent] = {}  # profile -> its tracker, while commands use it

    @property
    def active(self) -> str:
        return self._ctx.profile

    def config(self) -> Config:
        """The active profile's settings (server URL, login kind)."""
        return self._ctx.config

    def names(self) -> list[str]:
        return profile_names(self._ctx.file_config or self._ctx.config)

    @property
    def active_backend(self) -> KimaiBackend | None:
        """The active profile's client (None: it works offline, e.g. no secret stored)."""
        return self._backends.get(id(self._ctx.tracker))

    def background_pending(self) -> dict[str, int]:
        """Profiles still delivering in the background, with their queued counts."""
        return {name: self.syncer.pending(name) for name in self.syncer.names}

    def attach(self, backend: KimaiBackend | None) -> None:
        """Give the active tracker `backend` (a new login) and make sure its supervisor runs."""
        tracker = self._ctx.tracker
        old = self._backends.pop(id(tracker), None)
        if old is not None and old is not backend:
            asyncio.get_running_loop().create_task(old.aclose())
        if backend is not None:
            self._backends[id(tracker)] = backend
        tracker.set_backend(backend)
        loop = asyncio.get_running_loop()
        if self._supervisor is None or self._supervisor.done():
            self._supervisor = loop.create_task(tracker.run())
            self._supervisor.add_done_callback(_log_crash)
        if backend is not None:
            self._rules_task = loop.create_task(self._read_rules(backend))

    async def _read_rules(self, backend: KimaiBackend) -> None:
        """Kimai's timesheet config for this profile (kept at the defaults when unreadable)."""
        try:
            config = await backend.timesheet_config()
        except KimaiTrayError as exc:
            log.info("timesheet config not read: %s", exc.user_message)
            return
        self.rules = ServerRules(config)
        if self.on_rules is not None:
            self.on_rules(self.rules)

    async def switch(self, name: str) -> Tracker:
        """Make `name` the active profile; the old one keeps syncing until its outbox is empty."""
        ctx = self._ctx
        if name == ctx.profile:
            return ctx.tracker
        if name not in self.names():
            raise KimaiTrayError(f"There is no profile '{name}'.")
        old_name, old = ctx.profile, ctx.tracker
        await self._stop_supervisor()
        lent = self._lent.get(name)
        # One Tracker per outbox: reuse the one a command or the syncer already has open.
        new = self.syncer.take(name) or (lent.tracker if lent else None) or ctx.open_tracker(name)
        ctx.adopt_tracker(name, new)
        saved = "" if name == DEFAULT_PROFILE else name
        ctx.save_config(
            replace(ctx.config, preferences=replace(ctx.config.preferences, profile=saved))
        )
        if old_name in self._lent:
            pass  # a command still runs on it: giving it back hands it over or closes it
        elif old.outbox.counts()[0]:
            self.syncer.hand_over(old_name, old)
        else:
            await self._release(old)
        self.attach(self._backends.get(id(new)) or self._connect())
        log.info("kimai-tray: switched to profile %s", name)
        if self.on_switched is not None:
            self.on_switched(new)
        return new

    @contextlib.asynccontextmanager
    async def borrow(self, name: str) -> AsyncIterator[AppContext]:
        """A context on profile `name` for one command (the active profile: `ctx` itself).

        Another profile's command runs on the one Tracker that profile has in this app: the
        background syncer's (taken out meanwhile), the one a concurrent command borrowed, or
        a new one with its own client. Given back, a tracker with queued changes goes to the
        syncer and an empty one is closed, so no outbox ever has two writers.
        """
        if name == self._ctx.profile:
            yield self._ctx
            return
        known = self.names()
        if name not in known:
            raise KimaiTrayError(f"There is no profile '{name}' (known: {', '.join(known)}).")
        tracker = self._lend(name)
        try:
            yield self._profile_context(name, tracker)
        finally:
            await self._give_back(name, tracker)

    def _lend(self, name: str) -> Tracker:
        lent = self._lent.get(name)
        if lent is not None:
            lent.users += 1
            return lent.tracker
        tracker = self.syncer.take(name)
        if tracker is not None:
            log.info("kimai-tray: profile %s: command runs on its background tracker", name)
        else:
            tracker = self._ctx.open_tracker(name)
            backend = self._connect_to(self._profile_context(name, tracker))
            if backend is not None:
                self._backends[id(tracker)] = backend
            tracker.set_backend(backend)
            log.info("kimai-tray: profile %s: opened for a command", name)
        self._lent[name] = _Lent(tracker)
        return tracker

    async def _give_back(self, name: str, tracker: Tracker) -> None:
        lent = self._lent.get(name)
        if lent is None or lent.tracker is not tracker:
            return  # released at quit (aclose) while the command still ran
        lent.users -= 1
        if lent.users:
            return
        del self._lent[name]
        if tracker is self._ctx.tracker:
            return  # switched to meanwhile: it is the active profile's tracker now
        pending = tracker.outbox.counts()[0]
        if pending:
            log.info("kimai-tray: profile %s: %d pending, syncing in the background", name, pending)
            self.syncer.hand_over(name, tracker)
        else:
            log.info("kimai-tray: profile %s: nothing pending, closed", name)
            await self._release(tracker)

    def _profile_context(self, name: str, tracker: Tracker) -> AppContext:
        """`ctx` seen through profile `name` (its settings, files and keyring entry)."""
        ctx = self._ctx
        base = ctx.file_config or ctx.config
        return replace(
            ctx, config=config_for(base, name), profile=name, _tracker=tracker, notices=[]
        )

    def _connect(self) -> KimaiBackend | None:
        return self._connect_to(self._ctx)

    @staticmethod
    def _connect_to(ctx: AppContext) -> KimaiBackend | None:
        if not ctx.config.configured:
            return None
        try:
            return ctx.make_backend()
        except KimaiTrayError as exc:  # no secret, no keyring: the profile works offline
            log.warning("profile %s works offline: %s", ctx.profile, exc.user_message)
            return None

    async def _stop_supervisor(self) -> None:
        task, self._supervisor = self._supervisor, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(task, STOP_TIMEOUT_S)

    async def _release(self, tracker: Tracker) -> None:
        backend = self._backends.pop(id(tracker), None)
        tracker.set_backend(None)
        if backend is not None:
            try:
                await asyncio.wait_for(backend.aclose(), STOP_TIMEOUT_S)
            except Exception:  # closing is best effort; the data is in the outbox
                log.warning("closing a profile's client failed", exc_info=True)
        tracker.outbox.close()
        tracker.catalog.close()

    async def aclose(self) -> None:
        """At quit: stop the supervisor and background syncing; close other profiles' files."""
        await self._stop_supervisor()
        if self._rules_task is not None:
            self._rules_task.cancel()
            await asyncio.gather(self._rules_task, return_exceptions=True)
        await self.syncer.aclose()
        lent, self._lent = self._lent, {}
        for borrowed in lent.values():
            if borrowed.tracker is not self._ctx.tracker:
                await self._release(borrowed.tracker)
        backend = self._backends.pop(id(self._ctx.tracker), None)
        if backend is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(backend.aclose(), STOP_TIMEOUT_S)


def _log_crash(task: asyncio.Task[None]) -> None:
    # Tracking keeps working offline without the supervisor, but sync stops: say so loudly.
    if not task.cancelled() and task.exception() is not None:
        log.error("kimai-tray: the sync supervisor stopped", exc_info=task.exception())
