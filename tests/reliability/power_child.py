"""Child for the power-cut test: record finished entries offline in a loop, forever.

Run as `python -m reliability.power_child DIR`. After each entry is durable (Tracker.stop
returned) it appends the entry's number to DIR/progress with one write(2), so a parent that
freezes this process knows exactly which entries were committed at that instant.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kimai_tray.core.catalog import Catalog
from kimai_tray.core.outbox import Outbox
from kimai_tray.core.tracker import Tracker

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from helpers.fake_clock import FakeClock


def main(directory: Path) -> None:
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0) - timedelta(days=30))
    outbox = Outbox(directory / "outbox.sqlite")
    tracker = Tracker(outbox, Catalog(directory / "catalog.sqlite"), clock)
    fd = os.open(directory / "progress", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    n = 0
    while True:
        tracker.start(1, 1, f"pc {n}")
        clock.advance(30)
        tracker.stop()
        clock.advance(30)
        os.write(fd, b"%d\n" % n)
        n += 1


if __name__ == "__main__":
    main(Path(sys.argv[1]))
