"""Render the tray icons, popup states and settings dialog to PNGs under docs/screenshots/.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots.py [--review DIR]
Uses a throw-away Tracker (temporary SQLite files, no server) with a small demo catalog.
`--review DIR` also renders what the README does not show, for a look before a release: the
first-run wizard's pages and the settings dialog at a small and a large font, into DIR.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPoint
from PySide6.QtGui import QColor, QFont, QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QWidget

from kimai_tray.core.catalog import Catalog
from kimai_tray.core.clock import SystemClock
from kimai_tray.core.models import Activity, Customer, Project, Tag
from kimai_tray.core.outbox import Outbox
from kimai_tray.core.state import Phase, TrackerState
from kimai_tray.core.tracker import Tracker
from kimai_tray.platform.autostart import XdgAutostart
from kimai_tray.platform.config import Config
from kimai_tray.platform.credentials import CredentialStore
from kimai_tray.platform.hotkeys import HotkeySupport
from kimai_tray.ui.bridge import StateBridge
from kimai_tray.ui.icons import IconState, state_icon
from kimai_tray.ui.popup import PopupWindow
from kimai_tray.ui.settings import SettingsDialog, result_style
from kimai_tray.ui.wizard import PAGE_DONE, PAGE_TEST, FirstRunWizard

# KIMAI_TRAY_SCREENSHOTS redirects the output (the test renders into a temp dir).
OUT = Path(
    os.environ.get("KIMAI_TRAY_SCREENSHOTS")
    or Path(__file__).resolve().parent.parent / "docs" / "screenshots"
)


X11_IDLE = "X11 screen saver extension"  # what platform/idle.py reports on X11


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


def grab(widget: QWidget, name: str, out: Path = OUT) -> None:
    widget.show()
    QApplication.processEvents()
    widget.grab().save(str(out / name))
    print(f"wrote {out / name}")


def popup_shot(tracker: Tracker, state: TrackerState, name: str, query: str = "") -> None:
    popup = PopupWindow(tracker, fixed_bridge(state))
    popup.hide_on_deactivate = False
    popup.show_near(QPoint(0, 0))
    if query:
        popup.search.setText(query)
    grab(popup, name)
    popup.close()


def icon_strip() -> None:
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
        print(f"wrote {OUT / name} ({', '.join(k.value for k in kinds)})")


def settings_dialog(home: Path) -> SettingsDialog:
    """The dialog as a user on X11 sees it after a successful connection test."""
    config = Config(server_url="https://kimai.example.com")
    config = replace(config, preferences=replace(config.preferences, daily_target_minutes=450))
    settings = SettingsDialog(
        config,
        home / "config.toml",
        CredentialStore(),
        hotkey_support=HotkeySupport("x11", ""),
        autostart=XdgAutostart(home),
        idle_status=f"Available ({X11_IDLE}).",
    )
    settings.result_label.setStyleSheet(result_style(True))
    settings.result_label.setText("Kimai 2.30.0 · logged in as anna (timezone Europe/Berlin)")
    return settings


def review_shots(home: Path, out: Path) -> None:
    """Wizard pages and the settings dialog at other font sizes: not in the README."""
    out.mkdir(parents=True, exist_ok=True)
    wizard = FirstRunWizard(home / "wizard.toml", CredentialStore())
    wizard.server.url.setText("http://kimai.example.com")  # shows the clear-text warning
    grab(wizard, "wizard-1-server.png", out)
    wizard.next()
    wizard.auth.secret.setText("secret")
    grab(wizard, "wizard-2-login.png", out)
    wizard.auth.set_auth_kind("legacy")
    grab(wizard, "wizard-2-login-legacy.png", out)
    wizard.stack.setCurrentIndex(PAGE_TEST)
    wizard.result_label.setStyleSheet(result_style(False))
    wizard.result_label.setText(
        "Kimai rejected the API token: create a new one in Kimai.\n\nGo back to fix it."
    )
    grab(wizard, "wizard-3-test.png", out)
    wizard.stack.setCurrentIndex(PAGE_DONE)
    grab(wizard, "wizard-4-done.png", out)
    wizard.close()
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    normal = QFont(app.font())
    for label, points in (("small", 7), ("large", 14)):
        font = QFont(normal)
        font.setPointSize(points)
        app.setFont(font)
        settings = settings_dialog(home)
        grab(settings, f"settings-{label}-font.png", out)
        settings.close()
        wizard = FirstRunWizard(home / "wizard.toml", CredentialStore())
        wizard.next()
        grab(wizard, f"wizard-2-login-{label}-font.png", out)
        wizard.close()
    app.setFont(normal)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--review", type=Path, help="also render review-only shots into this dir")
    args = parser.parse_args()
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
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
        settings = settings_dialog(Path(home))
        grab(settings, "settings.png")
        settings.close()
        icon_strip()
        if args.review:
            review_shots(Path(home), args.review)
        tracker.outbox.close()
        tracker.catalog.close()
    app.processEvents()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
