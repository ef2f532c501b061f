"""Everyday comforts on top of the Tracker: favourites, distinct recents, totals.

`Comforts` keeps an in-memory copy of the user's own server timesheets of the last weeks
(`backend.timesheets(begin=...)`, not `/timesheets/recent`, which keeps only one record
per project/activity pair and so merges different descriptions). Recents and totals are
computed from that copy plus the local outbox, so they also work offline.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kimai_tray.core.backend import KimaiBackend
from kimai_tray.core.clock import Clock
from kimai_tray.core.favourites import Favourite, FavouriteStore
from kimai_tray.core.models import Timesheet
from kimai_tray.core.outbox import Entry
from kimai_tray.core.recovery import open_or_quarantine
from kimai_tray.core.state import NamedRef, RunningEntry
from kimai_tray.core.totals import MONDAY, Totals, compute_totals, first_weekday
from kimai_tray.core.tracker import RecentEntry, Tracker

log = logging.getLogger(__name__)

HISTORY_DAYS = 28


def _local_zone() -> tzinfo:
    zone = datetime.now().astimezone().tzinfo
    assert zone is not None
    return zone


def distinct_recents(entries: Iterable[RecentEntry], limit: int) -> list[RecentEntry]:
    """Newest first, one per (project, activity, description, tags): descriptions stay apart."""
    seen: set[tuple[int, int, str, tuple[str, ...]]] = set()
    out: list[RecentEntry] = []
    for entry in sorted(entries, key=lambda e: e.last_begin, reverse=True):
        key = (entry.project.id, entry.activity.id, entry.description, entry.tags)
        if key in seen:
            continue
        seen.add(key)
        out.append(entry)
        if len(out) >= limit:
            break
    return out


class Comforts:
    """Favourites, recents and totals for one tracker (see the module docstring)."""

    def __init__(
        self,
        tracker: Tracker,
        favourites: FavouriteStore,
        clock: Clock,
        *,
        zone: tzinfo | None = None,
        week_start: int = MONDAY,
    ) -> None:
        self.tracker = tracker
        self.store = favourites
        self._clock = clock
        self.zone: tzinfo = zone or _local_zone()
        self.week_start = week_start
        self._server: list[Timesheet] = []
        # Set when a damaged favourites file was kept aside at opening (shown to the user once).
        self.notice: str | None = None

    @classmethod
    def beside(cls, tracker: Tracker) -> Comforts:
        """Comforts whose favourites file sits next to the tracker's outbox (per profile).

        A damaged or too-new favourites file is kept aside like the outbox: losing pins must
        never stop tracking from starting.
        """
        path = tracker.outbox.path.with_name("favourites.sqlite")
        store, notice = open_or_quarantine(path, FavouriteStore)
        comforts = cls(tracker, store, tracker.clock)
        if notice is not None:
            log.warning("%s", notice)
            comforts.notice = notice
        return comforts

    def close(self) -> None:
        self.store.close()

    # -- server history -------------------------------------------------------------------

    async def refresh(self, backend: KimaiBackend) -> None:
        """Read the user's timezone, first weekday and timesheets of the last weeks."""
        user = await backend.me()
        try:
            self.zone = ZoneInfo(user.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            log.warning("unknown Kimai timezone %r; using the desktop's", user.timezone)
        self.week_start = first_weekday(user.first_weekday)
        begin = self._clock.now() - timedelta(days=HISTORY_DAYS)
        self._server = await backend.timesheets(begin=begin)

    @property
    def server_timesheets(self) -> list[Timesheet]:
        return list(self._server)

    # -- recents ----------------------------------------------------------------------------

    def _from_server(self, ts: Timesheet) -> RecentEntry:
        catalog = self.tracker.catalog
        project = catalog.project(ts.project_id)
        activity = catalog.activity(ts.activity_id)
        customer_id = project.customer_id if project else 0
        customer = catalog.customer(customer_id)
        return RecentEntry(
            NamedRef(customer_id, customer.name if customer else ""),
            NamedRef(ts.project_id, project.name if project else f"#{ts.project_id}"),
            NamedRef(ts.activity_id, activity.name if activity else f"#{ts.activity_id}"),
            ts.description or "",
            tuple(ts.tags),
            ts.begin,
        )

    def recents(self, limit: int = 5) -> list[RecentEntry]:
        local = [
            RecentEntry(e.customer, e.project, e.activity, e.description, e.tags, e.begin)
            for e in self.tracker.outbox.entries(limit=500)
        ]
        return distinct_recents([*local, *map(self._from_server, self._server)], limit)

    # -- totals -----------------------------------------------------------------------------

    def totals(self, target_hours: float | None = None) -> Totals:
        local: list[Entry] = self.tracker.outbox.entries(limit=2000)
        return compute_totals(
            local,
            self._server,
            self._clock.now(),
            self.zone,
            week_start=self.week_start,
            target_hours=target_hours,
        )

    # -- favourites -------------------------------------------------------------------------

    def favourites(self) -> list[Favourite]:
        return self.store.list()

    def toggle_favourite(self, fav: Favourite) -> bool:
        return self.store.toggle(fav)

    def toggle_running(self) -> bool | None:
        """Pin/unpin the running entry; None when nothing runs."""
        running = self.tracker.state.running
        if running is None:
            return None
        return self.toggle_favourite(favourite_of(running))

    def start_favourite(self, fav: Favourite, begin: datetime | None = None) -> RunningEntry:
        return self.tracker.start(
            fav.project.id, fav.activity.id, fav.description, fav.tags, begin=begin
        )


def favourite_of(entry: RunningEntry | RecentEntry) -> Favourite:
    return Favourite(entry.customer, entry.project, entry.activity, entry.description, entry.tags)
