""" "Import from CSV…" in the settings dialog against the real Kimai 2 simulator over HTTP.

The file chooser is a native OS dialog: the test calls `start(path)`, what the chooser calls
with the picked file. Everything after it (QProgressDialog, asyncio task, HTTP) is real.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from helpers.keyring_fixtures import MemoryKeyring
from helpers.simulator_fixtures import SIMULATOR_TOKEN
from kimai_tray.platform.config import Config
from kimai_tray.platform.credentials import CredentialStore
from kimai_tray.simulator.server import SimulatorServer
from kimai_tray.ui.settings import SettingsDialog


def test_import_from_csv_shows_progress_and_never_blocks(
    qtbot: QtBot,
    tmp_path: Path,
    memory_keyring: MemoryKeyring,
    running_qloop: asyncio.AbstractEventLoop,
    empty_simulator: SimulatorServer,
) -> None:
    csv_path = tmp_path / "team.csv"
    rows = [f"Customer {i};Project {i};Activity {i}" for i in range(4)]
    csv_path.write_text("\ufeffCustomer;Project;Activity\n" + "\n".join(rows) + "\n", "utf-8")
    # Every create answers slowly, so the progress dialog is seen mid-way with the UI alive.
    empty_simulator.state.faults.add("delay", method="POST", times=-1, delay=0.3)

    dialog = SettingsDialog(Config(), tmp_path / "config.toml", CredentialStore(memory_keyring))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.server.url, empty_simulator.url)
    qtbot.keyClicks(dialog.auth.secret, SIMULATOR_TOKEN)
    assert dialog.import_button.text() == "I&mport from CSV…"

    controller = dialog.csv_import
    with qtbot.waitSignal(controller.finished, timeout=60_000) as finished:
        controller.start(str(csv_path))
        progress = controller.progress
        assert progress is not None and progress.isVisible()
        # The event loop keeps running while creates are in flight: the bar moves.
        qtbot.waitUntil(lambda: 0 < progress.value() < progress.maximum(), timeout=30_000)
        assert progress.maximum() == 12  # 4 customers + 4 projects + 4 activities
    ok, summary = finished.args
    assert ok and summary.startswith("Created 4 customer(s), 4 project(s), 4 activity(ies).")
    assert not progress.isVisible()
    assert "Created 4 customer(s)" in dialog.result_label.text()
    state = empty_simulator.state
    assert sorted(c.name for c in state.customers.values()) == [f"Customer {i}" for i in range(4)]
    assert all(a.project is not None and a.visible for a in state.activities.values())


def test_import_cancel_stops_between_creates(
    qtbot: QtBot,
    tmp_path: Path,
    memory_keyring: MemoryKeyring,
    running_qloop: asyncio.AbstractEventLoop,
    empty_simulator: SimulatorServer,
) -> None:
    csv_path = tmp_path / "team.csv"
    rows = [f"Customer {i},Project,Activity" for i in range(10)]
    csv_path.write_text("Customer,Project,Activity\n" + "\n".join(rows) + "\n", "utf-8")
    empty_simulator.state.faults.add("delay", method="POST", times=-1, delay=0.3)
    dialog = SettingsDialog(Config(), tmp_path / "config.toml", CredentialStore(memory_keyring))
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.server.url, empty_simulator.url)
    qtbot.keyClicks(dialog.auth.secret, SIMULATOR_TOKEN)

    controller = dialog.csv_import
    with qtbot.waitSignal(controller.finished, timeout=60_000) as finished:
        controller.start(str(csv_path))
        progress = controller.progress
        assert progress is not None
        qtbot.waitUntil(lambda: progress.value() >= 1, timeout=30_000)
        [cancel] = progress.findChildren(QPushButton)
        qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    ok, summary = finished.args
    assert not ok and summary.startswith("Import cancelled")
    assert 1 <= len(empty_simulator.state.customers) < 10
