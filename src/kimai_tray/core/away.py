"""Noticing that the user was away while a timer ran: idle, screen lock, or sleep.

Pure logic driven by an injected clock and idle source, so tests step time instead of waiting.
The app samples `AwayDetector.sample()` on its timer tick (and on lock/unlock/sleep events):

- idle: the idle source reports >= threshold seconds without input; when input resumes, the
  away period is [now - longest idle seen, time of the first new input];
- lock: a lock shorter than the threshold does not count (a coffee-machine lock is work);
- sleep: the wall clock jumped by more than the tick allows, so the machine was suspended
  between the last tick we saw and now (the portable fallback when no sleep signal arrives).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class AwayReason(StrEnum):
    IDLE = "idle"
    LOCK = "lock"
    SLEEP = "sleep"


@dataclass(frozen=True, slots=True)
class AwayPeriod:
    began: datetime  # aware: the last moment the user was known to be there
    returned: datetime  # aware
    reason: AwayReason

    @property
    def duration(self) -> timedelta:
        return self.returned - self.began


class AwayDetector:
    """Turns idle samples, lock events and clock jumps into at most one AwayPeriod each."""

    def __init__(
        self,
        threshold: timedelta = timedelta(minutes=5),
        tick: timedelta = timedelta(seconds=30),
    ) -> None:
        self.threshold = threshold
        self.tick = tick
        self._last_sample: datetime | None = None
        self._idle_since: datetime | None = None
        self._locked_at: datetime | None = None

    def sample(self, now: datetime, idle_seconds: float | None, running: bool) -> AwayPeriod | None:
        """Feed one timer tick; return an away period when the user just came back."""
        previous, self._last_sample = self._last_sample, now
        if not running:
            self._idle_since = None
            return None
        # A tick far later than scheduled means the process (and machine) was suspended.
        if previous is not None and now - previous > self.tick * 2 + timedelta(seconds=30):
            self._idle_since = None
            if now - previous >= self.threshold:
                return AwayPeriod(previous, now, AwayReason.SLEEP)
            return None
        if idle_seconds is None:
            return None
        idle = timedelta(seconds=idle_seconds)
        if idle >= self.threshold:
            began = now - idle
            if self._idle_since is None or began < self._idle_since:
                self._idle_since = began
            return None
        if self._idle_since is not None:
            began, self._idle_since = self._idle_since, None
            return AwayPeriod(began, now - idle, AwayReason.IDLE)
        return None

    def locked(self, now: datetime) -> None:
        self._locked_at = now

    def unlocked(self, now: datetime, running: bool) -> AwayPeriod | None:
        locked_at, self._locked_at = self._locked_at, None
        self._last_sample = now
        if not running or locked_at is None or now - locked_at < self.threshold:
            return None
        self._idle_since = None
        return AwayPeriod(locked_at, now, AwayReason.LOCK)


class AwayChoice(StrEnum):
    """What the user decides in the return dialog."""

    KEEP = "keep"  # count the away time as work
    DISCARD = "discard"  # end the entry when the user left
    DISCARD_AND_CONTINUE = "discard_and_continue"  # end at leaving, restart the same entry now
    BOOK_AS = "book_as"  # book the away time to another project/activity, then continue
    STOP = "stop"  # stop now, counting the away time
