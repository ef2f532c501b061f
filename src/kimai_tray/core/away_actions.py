"""Applying the return-dialog answer to the running entry, through the outbox.

Every choice is a handful of synchronous Tracker calls, so it is durable at once and works
offline; the sync engine turns it into Kimai requests later:

- keep: nothing changes (the away time counts as work);
- discard: end the entry when the user left (PATCH end=<left>, never /stop); an entry the
  user left the moment it began is discarded instead of kept with zero length;
- discard and continue: end at leaving, start the same entry again at the return;
- book as: end at leaving, a finished entry [left, returned] with the other project and
  activity (one POST with begin and end), then start the original again at the return;
- stop: stop now, counting the away time.

The answer may come long after the return (the dialog waits). If by then a different entry
runs, or none, the answer no longer applies and nothing is changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kimai_tray.core.away import AwayChoice, AwayPeriod
from kimai_tray.core.errors import KimaiTrayError
from kimai_tray.core.state import RunningEntry
from kimai_tray.core.tracker import Tracker


@dataclass(frozen=True, slots=True)
class AwayTarget:
    """Where BOOK_AS puts the away time."""

    project_id: int
    activity_id: int
    description: str = ""


def _second(dt: datetime) -> datetime:
    # Kimai stores whole seconds; keep the local mirror equal to what the server will hold.
    return dt.replace(microsecond=0)


def same_entry(a: RunningEntry, b: RunningEntry) -> bool:
    """Is `b` still the entry the away period was detected for?"""
    return (a.project.id, a.activity.id, a.begin, a.description) == (
        b.project.id,
        b.activity.id,
        b.begin,
        b.description,
    )


def apply_away_choice(
    tracker: Tracker,
    period: AwayPeriod,
    choice: AwayChoice,
    target: AwayTarget | None = None,
    *,
    entry: RunningEntry | None = None,
) -> bool:
    """Apply `choice` to the running entry; False when it no longer applies (see module doc).

    `entry` is the entry that ran when the period was detected (None: whatever runs now).
    """
    if choice is AwayChoice.BOOK_AS and target is None:
        raise KimaiTrayError("Choose the project and activity to book the away time to.")
    running = tracker.state.running
    if running is None or (entry is not None and not same_entry(entry, running)):
        return False
    if choice is AwayChoice.KEEP:
        return True
    if choice is AwayChoice.STOP:
        tracker.stop()
        return True
    # The entry may have started while the user was away (e.g. in the web UI): never end it
    # before its own begin.
    left = _second(max(period.began, running.begin))
    back = _second(max(period.returned, left))
    if left <= running.begin:
        # Away since it began: nothing was worked on it, so no zero-length record is left.
        tracker.discard_running()
    else:
        tracker.stop(at=left)
    if choice is AwayChoice.DISCARD:
        return True
    if choice is AwayChoice.BOOK_AS:
        assert target is not None
        if back > left:
            tracker.add_finished_entry(
                target.project_id, target.activity_id, left, back, target.description
            )
    tracker.start(
        running.project.id, running.activity.id, running.description, running.tags, begin=back
    )
    return True
