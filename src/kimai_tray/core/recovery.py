"""Open a local database, or keep a broken / too-new one aside and start afresh.

A damaged outbox must never stop the app or the CLI from starting, and must never be
deleted: the file is renamed next to the original (with its -wal/-shm) so nothing in it is
destroyed, and the caller gets one sentence to tell the user.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from kimai_tray.core.errors import OutboxError
from kimai_tray.core.outbox import quarantine_database

_T = TypeVar("_T")


def open_or_quarantine(path: Path, opener: Callable[[Path], _T]) -> tuple[_T, str | None]:
    """`opener(path)`; on OutboxError move the file aside, open a new one, return a notice."""
    try:
        return opener(path), None
    except OutboxError as exc:
        if not path.exists():
            raise  # nothing to keep aside: the problem is the directory or the disk
        aside = quarantine_database(path)
        reason = (
            "was written by a newer kimai-tray" if "newer" in exc.user_message else "is damaged"
        )
        notice = (
            f"The local database {path.name} {reason}, so it was kept aside as {aside.name} "
            "and a new one was started."
        )
        return opener(path), notice
