"""Kimai 1 edits held back until a running entry stops, kept in a small JSON file.

Kimai 1 cannot change a running entry and `startRecord` takes no begin or description, so
Kimai1Client writes the description and an offline begin at stop. Held only in memory they
were lost when the app restarted in between; this file survives the restart. Entries are keyed
by server URL and timesheet id; only the newest few are kept, since a held edit is normally
written (and dropped) within one working day.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

MAX_HELD = 50  # per server: far more running entries than anyone has at once


class HeldEdits:
    """The `descriptions` and `begins` dicts of one server; `save()` writes them to `path`."""

    def __init__(self, path: Path | None, server: str) -> None:
        self._path = path
        self._server = server
        self.descriptions: dict[int, str | None] = {}
        self.begins: dict[int, datetime] = {}
        if path is not None:
            self._load(path)

    def _load(self, path: Path) -> None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            mine = data.get(self._server, {}) if isinstance(data, dict) else {}
            for key, value in dict(mine.get("descriptions", {})).items():
                self.descriptions[int(key)] = None if value is None else str(value)
            for key, value in dict(mine.get("begins", {})).items():
                self.begins[int(key)] = datetime.fromisoformat(str(value))
        except FileNotFoundError:
            return
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            # A damaged file costs the held edits, never the app: start afresh.
            log.warning("ignoring unreadable %s: %r", path.name, type(exc).__name__)
            self.descriptions.clear()
            self.begins.clear()

    def save(self) -> None:
        if self._path is None:
            return
        for held in (self.descriptions, self.begins):
            for stale in sorted(held)[:-MAX_HELD]:
                del held[stale]
        try:
            try:
                data: dict[str, Any] = json.loads(self._path.read_text(encoding="utf-8"))
                if not isinstance(data, dict):
                    data = {}
            except (FileNotFoundError, ValueError):
                data = {}
            data[self._server] = {
                "descriptions": {str(k): v for k, v in self.descriptions.items()},
                "begins": {str(k): v.isoformat() for k, v in self.begins.items()},
            }
            if not data[self._server]["descriptions"] and not data[self._server]["begins"]:
                del data[self._server]
            tmp = self._path.with_name(self._path.name + ".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(data, out)
            os.replace(tmp, self._path)  # atomic: a crash leaves the old or the new file
        except OSError as exc:
            log.warning("could not save %s: %r", self._path.name, type(exc).__name__)
