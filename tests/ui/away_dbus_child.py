"""Child process for test_away_dbus.py: runs inside `dbus-run-session` (a private session bus).

Sends the screen saver's ActiveChanged(true/false) signals on the real bus and reports, as one
JSON line, what the AwayController made of them.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import Slot
from PySide6.QtDBus import QDBusConnection, QDBusMessage
from PySide6.QtWidgets import QApplication

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from helpers.fake_clock import FakeClock
from kimai_tray.core.catalog import Catalog
from kimai_tray.core.models import Activity, Customer, Project
from kimai_tray.core.outbox import Outbox
from kimai_tray.core.tracker import Tracker
from kimai_tray.ui.away_controller import AwayController
from kimai_tray.ui.bridge import StateBridge


class Spy(AwayController):
    events: list[bool]

    @Slot(bool)
    def screen_saver_active(self, active: bool) -> None:
        self.events.append(active)
        super().screen_saver_active(active)


def send(active: bool) -> None:
    message = QDBusMessage.createSignal(
        "/org/freedesktop/ScreenSaver", "org.freedesktop.ScreenSaver", "ActiveChanged"
    )
    message.setArguments([active])
    assert QDBusConnection.sessionBus().send(message)


def wait_for(app: QApplication, done: object, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app.processEvents()
        if callable(done) and done():
            return True
        time.sleep(0.01)
    return False


def main() -> None:
    app = QApplication([])
    clock = FakeClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    with tempfile.TemporaryDirectory() as home:
        outbox = Outbox(Path(home) / "outbox.sqlite")
        catalog = Catalog(Path(home) / "catalog.sqlite")
        catalog.replace_all(
            [Customer(1, "Acme")], [Project(10, "Website", 1)], [Activity(100, "Design", 10)], []
        )
        tracker = Tracker(outbox, catalog, clock)
        bridge = StateBridge(tracker.subscribe, tracker.state)
        spy = Spy(tracker, bridge, clock=clock, idle_source=None)
        spy.events = []
        result: dict[str, object] = {"connected": spy.connect_dbus()}
        tracker.start(10, 100)
        send(True)
        result["lock_seen"] = wait_for(app, lambda: spy.events == [True])
        clock.advance(120)  # a short lock: no question
        send(False)
        result["short_unlock_seen"] = wait_for(app, lambda: len(spy.events) == 2)
        result["dialog_after_short_lock"] = spy.dialog is not None
        send(True)
        wait_for(app, lambda: len(spy.events) == 3)
        clock.advance(1800)
        send(False)
        wait_for(app, lambda: spy.dialog is not None)
        dialog = spy.dialog
        if dialog is not None:
            result["reason"] = dialog.period.reason.value
            result["seconds"] = dialog.period.duration.total_seconds()
        spy.close()
        bridge.close()
        outbox.close()
        catalog.close()
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
