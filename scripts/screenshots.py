"""Render the tray icons, popup states and settings dialog to PNGs under docs/screenshots/.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots.py
Uses a throw-away Tracker (temporary SQLite files, no server) with a small demo catalog.
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPoint
from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QWidget

from kimai_tray.core.catalog import Catalog
from kimai_tray.core.clock import SystemClock
from kimai_tray.core.models import Activity, Customer, Project, Tag
from kimai_tray.core.outbox import Outbox
from kimai_tray.core.state import Phase, TrackerState
from kimai_tray.core.tracker import Tracker
from kimai_tray.platform.config import Config
from kimai_tray.platform.credentials import CredentialStore
from kimai_tray.ui.bridge import StateBridge
from kimai_tray.ui.popup import PopupWindow
from kimai_tray.ui.settings import SettingsDialog

# KIMAI_TRAY_SCREENSHOTS redirects the output (the test renders into a temp dir).
OUT = Path(
    os.environ.get("KIMAI_TRAY_SCREENSHOTS")
    or Path(__file__).resolve().parent.parent / "docs" / "screenshots"
)


def demo_tracker(home: Path) -> Tracker:
    catalog = Catalog(home / "catalog.sqlite")
    catalog.replace_all(
        [Customer(1, "Acme Corp"), Customer(2, "Globex"), Customer(3, "Internal")],
        [
            Project(10, "Website relaunch", 1, "Acme Corp"),
            Project(11, "Mobile app", 1, "Acme Corp"),
            Project(20, "Data warehouse", 2, "Globex"),
            Project(21, "Legacy CRM", 2, "Globex", visible=False),
            Project(30, "Administration", 3, "Internal"),
        ],
        [
            Activity(1, "Meeting"),
            Activity(2, "Development"),
            Activity(3, "Design", 10),
            Activity(4, "Code review", 11),
            Activity(5, "Support"),
        ],
        [Tag(1, "billable"), Tag(2, "urgent")],
    )
    tracker = Tracker(Outbox(home / "outbox.sqlite"), catalog, SystemClock())
    now = datetime.now(UTC)
    for project, activity, text, tags, hours in (
        (30, 1, "Weekly planning", (), 30),
        (11, 4, "Login flow", ("billable",), 6),
        (10, 3, "Homepage hero", ("billable", "urgent"), 3),
    ):
        tracker.start(project, activity, text, tags, begin=now - timedelta(hours=hours))
        tracker.stop()
    return tracker


def fixed_bridge(state: TrackerState) -> StateBridge:
    """A bridge that only ever shows `state` (screenshots need states the demo cannot reach)."""
    return StateBridge(lambda _callback: lambda: None, state)


def grab(widget: QWidget, name: str) -> None:
    widget.show()
    QApplication.processEvents()
    widget.grab().save(str(OUT / name))
    print(f"wrote docs/screenshots/{name}")


def popup_shot(tracker: Tracker, state: TrackerState, name: str, query: str = "") -> None:
    popup = PopupWindow(tracker, fixed_bridge(state))
    popup.hide_on_deactivate = False
    popup.show_near(QPoint(0, 0))
    if query:
        popup.search.setText(query)
    grab(popup, name)
    popup.close()


def icon_strip() -> None:
    from kimai_tray.ui.icons import IconState, state_icon

    kinds = list(IconState)
    size, pad = 48, 16
    for dark in (False, True):
        strip = QPixmap(len(kinds) * (size + pad) + pad, size + 2 * pad)
        strip.fill(QColor("#2b2b2b" if dark else "#f3f3f3"))
        painter = QPainter(strip)
        for i, kind in enumerate(kinds):
            pixmap = state_icon(kind, dark=dark).pixmap(size, size)
            painter.drawPixmap(pad + i * (size + pad), pad, pixmap)
        painter.end()
        name = f"tray-icons-{'dark' if dark else 'light'}.png"
        strip.save(str(OUT / name))
        print(f"wrote docs/screenshots/{name} ({', '.join(k.value for k in kinds)})")


def main() -> int:
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv)
    app.setStyle("Fusion")
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as home:
        tracker = demo_tracker(Path(home))
        online = TrackerState(online=True)
        popup_shot(tracker, online, "popup-idle.png")
        popup_shot(tracker, online, "popup-filtering.png", query="acme dev")
        running = tracker.start(20, 2, "Nightly import job", ("billable",))
        running_state = TrackerState(Phase.RUNNING, running, online=True)
        popup_shot(tracker, running_state, "popup-running.png")
        tracker.stop()
        popup_shot(tracker, TrackerState(online=False, pending=3), "popup-offline-pending.png")
        error = TrackerState(
            online=True, last_error="Kimai rejected the API token: create a new one in Kimai."
        )
        popup_shot(tracker, error, "popup-error.png")
        config = Config(server_url="https://kimai.example.com")
        settings = SettingsDialog(config, Path(home) / "config.toml", CredentialStore())
        settings.result_label.setStyleSheet("color: #1a7f37;")
        settings.result_label.setText("Kimai 2.30.0 · logged in as anna (timezone Europe/Berlin)")
        grab(settings, "settings.png")
        settings.close()
        try:
            icon_strip()
        except ImportError as exc:  # icons belong to the tray work; skip until they exist
            print(f"tray icons skipped: {exc}")
        tracker.outbox.close()
        tracker.catalog.close()
    app.processEvents()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
