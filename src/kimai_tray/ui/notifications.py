"""Tray messages for events that need the user, at most one per event."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from kimai_tray.core.state import TrackerState

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Notice:
    key: str  # identifies the event; the same key is never shown twice
    title: str
    message: str
    warning: bool = True


def notices_for(prev: TrackerState, new: TrackerState) -> list[Notice]:
    """The events implied by going from `prev` to `new` (pure, so it is easy to test)."""
    notices: list[Notice] = []
    if new.failed > prev.failed:
        count = new.failed
        detail = new.last_error or "Open the popup to review them."
        notices.append(
            Notice(
                f"rejected:{count}",
                "Kimai rejected an entry" if count == 1 else f"Kimai rejected {count} entries",
                detail,
            )
        )
    elif new.last_error and new.last_error != prev.last_error and not new.online:
        # Only errors that keep us offline need the user (wrong token, bad certificate, ...);
        # a transient hiccup that the retry loop fixes is shown in the tooltip only.
        notices.append(
            Notice(f"error:{new.last_error}", "Kimai sync needs attention", new.last_error)
        )
    old = prev.running
    # A local stop of a synced entry always queues a stop operation (pending grows); if the
    # entry vanished without one, the server stopped it (web UI, another device).
    if (
        old is not None
        and new.running is None
        and old.timesheet_id is not None
        and new.pending <= prev.pending
    ):
        notices.append(
            Notice(
                f"stopped-elsewhere:{old.timesheet_id}",
                "Timer stopped elsewhere",
                f"{old.project.name} · {old.activity.name} was stopped on the server.",
                warning=False,
            )
        )
    return notices


class Notifier:
    """Feeds state changes through `notices_for` and shows each event key once."""

    def __init__(self, show: Callable[[Notice], None], initial: TrackerState) -> None:
        self._show = show
        self._prev = initial
        self._seen: set[str] = set()

    def observe(self, state: TrackerState) -> None:
        prev, self._prev = self._prev, state
        if state.last_error is None:
            # The error went away: the same sentence later is a new event worth telling.
            self._seen = {k for k in self._seen if not k.startswith("error:")}
        for notice in notices_for(prev, state):
            if notice.key in self._seen:
                continue
            self._seen.add(notice.key)
            log.info("notification: %s", notice.title)
            self._show(notice)
