"""The popup, keyboard only, against the Kimai 2 simulator over real HTTP.

A real Tracker (SQLite outbox + catalog in tmp_path, the system clock) talks to the simulator
through Kimai2Client; `tracker.run()` is the app's own supervisor task on the `running_qloop`,
so syncing happens exactly as in the app while `qtbot.waitUntil` spins the Qt event loop.
Every assertion about the outcome reads the simulator's own state (what Kimai would hold).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from helpers.live_ui import running_tracker
from helpers.simulator_fixtures import SIMULATOR_TOKEN
from kimai_tray.api.credentials import Credentials
from kimai_tray.api.kimai2 import Kimai2Client
from kimai_tray.core.tracker import Tracker
from kimai_tray.simulator.kimai2 import SimTimesheet
from kimai_tray.simulator.server import SimulatorServer
from kimai_tray.ui.bridge import StateBridge
from kimai_tray.ui.icons import IconState
from kimai_tray.ui.popup import PopupWindow
from kimai_tray.ui.tray import TrayController

TZ = "Europe/Berlin"  # the simulator's default user timezone
WAIT_MS = 30_000  # generous: CI runs on two loaded cores


@dataclass
class Live:
    sim: SimulatorServer
    tracker: Tracker
    popup: PopupWindow
    tray: TrayController
    seeded: frozenset[int]  # timesheet ids the demo seed created

    def new_sheets(self) -> list[SimTimesheet]:
        with self.sim.state.lock:
            sheets = list(self.sim.state.timesheets.values())
        return sorted((s for s in sheets if s.id not in self.seeded), key=lambda s: s.id)

    def running_on_server(self) -> list[SimTimesheet]:
        return [s for s in self.new_sheets() if s.end is None]


def _drive(qtbot: QtBot, awaitable: asyncio.Future[object] | asyncio.Task[object]) -> None:
    qtbot.waitUntil(awaitable.done, timeout=WAIT_MS)


@pytest.fixture
def live(
    qtbot: QtBot,
    tmp_path: Path,
    simulator: SimulatorServer,
    running_qloop: asyncio.AbstractEventLoop,
) -> Iterator[Live]:
    client = Kimai2Client(
        simulator.url,
        Credentials(kind="token", secret=SIMULATOR_TOKEN),
        timezone=TZ,
        timeout=httpx.Timeout(10.0),
    )
    with running_tracker(qtbot, tmp_path, client) as tracker:
        bridge = StateBridge(tracker.subscribe, tracker.state)
        popup = PopupWindow(tracker, bridge)
        popup.hide_on_deactivate = False  # offscreen activation is unreliable
        qtbot.addWidget(popup)
        tray = TrayController(
            tracker, bridge, toggle_popup=popup.toggle_visible, quit_app=lambda: None
        )
        with simulator.state.lock:
            seeded = frozenset(simulator.state.timesheets)
        try:
            yield Live(simulator, tracker, popup, tray, seeded)
        finally:
            tray.close()
            bridge.close()


def _open(qtbot: QtBot, popup: PopupWindow) -> None:
    popup.show_near(None)
    qtbot.waitExposed(popup)
    # The offscreen platform does not re-activate a re-shown window (a window manager would),
    # so activation is asked for explicitly; focus inside the popup is then the popup's own.


def _start_by_keyboard(qtbot: QtBot, live: Live, query: str, description: str) -> tuple[int, int]:
    """Type a query, Tab to the description, Enter; returns the chosen (project, activity)."""
    popup = live.popup
    _open(qtbot, popup)
    qtbot.waitUntil(popup.search.hasFocus, timeout=WAIT_MS)
    qtbot.keyClicks(popup.search, query)
    row = popup.selected_row()
    assert row is not None, f"no match for {query!r}"
    qtbot.keyClick(popup.search, Qt.Key.Key_Tab)
    assert popup.description.hasFocus()
    qtbot.keyClicks(popup.description, description)
    qtbot.keyClick(popup.description, Qt.Key.Key_Return)
    assert not popup.isVisible()
    return row.project.id, row.activity.id


def test_keyboard_start_stop_restart_and_edit_reach_the_simulator(qtbot: QtBot, live: Live) -> None:
    popup = live.popup

    # Start: search, Tab, description, Enter -> a running timesheet on the server.
    chosen = _start_by_keyboard(qtbot, live, "alpha meeting", "kickoff")
    qtbot.waitUntil(lambda: len(live.running_on_server()) == 1, timeout=WAIT_MS)
    (running,) = live.running_on_server()
    assert (running.project, running.activity) == chosen
    assert running.description == "kickoff"

    # Edit the running entry's description from the keyboard: the server follows.
    _open(qtbot, popup)
    qtbot.waitUntil(popup.stop_button.isVisible)
    # The offscreen platform does not re-activate a re-shown window (a window manager does), so
    # focus is not asserted here; the key events go straight to the fields a user would type in.
    popup.running_description.selectAll()
    qtbot.keyClicks(popup.running_description, "kickoff with client")
    qtbot.keyClick(popup.running_description, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: live.running_on_server()[0].description == "kickoff with client",
        timeout=WAIT_MS,
    )
    assert live.running_on_server()[0].id == running.id

    # Stop: Tab to the Stop button, Space -> the server's timesheet gets an end.
    qtbot.keyClick(popup.stop_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not live.running_on_server(), timeout=WAIT_MS)
    (stopped,) = live.new_sheets()
    assert stopped.end is not None and stopped.description == "kickoff with client"
    qtbot.waitUntil(lambda: live.tracker.state.pending == 0, timeout=WAIT_MS)

    # Restart from recent: empty query lists the recent entry first; Enter restarts it.
    qtbot.waitUntil(popup.search.isVisible)
    popup.search.setFocus()
    assert popup.search.text() == ""
    row = popup.selected_row()
    assert row is not None and row.recent and row.description == "kickoff with client"
    qtbot.keyClick(popup.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(live.running_on_server()) == 1, timeout=WAIT_MS)
    (again,) = live.running_on_server()
    assert again.id != stopped.id
    assert (again.project, again.activity) == chosen
    assert again.description == "kickoff with client"
    assert len(live.new_sheets()) == 2


def test_popup_opens_and_filters_fast_while_every_response_takes_3s(
    qtbot: QtBot, live: Live
) -> None:
    live.sim.state.faults.add("delay", delay=3, times=-1)
    live.tracker.wake()
    # A start queues a POST that now takes 3 s: the UI must not wait for it.
    live.tracker.start(1, 1, "slow network")
    qtbot.waitUntil(lambda: live.tracker.state.syncing, timeout=WAIT_MS)
    assert "Syncing" in live.popup.status_label.text()
    live.tracker.stop()

    began = time.perf_counter()
    live.popup.show_near(None)
    opened = time.perf_counter() - began
    qtbot.waitExposed(live.popup)
    worst = 0.0
    for ch in "beacon":
        began = time.perf_counter()
        qtbot.keyClick(live.popup.search, ch)
        worst = max(worst, time.perf_counter() - began)
    assert live.popup.model.rowCount() > 0
    assert opened < 0.1, f"opening took {opened * 1000:.0f} ms"
    assert worst < 0.1, f"slowest keystroke took {worst * 1000:.0f} ms"
    # The slow sync still completes: one timesheet with begin and end.
    qtbot.waitUntil(lambda: live.tracker.state.pending == 0, timeout=60_000)
    (sheet,) = live.new_sheets()
    assert sheet.end is not None and sheet.description == "slow network"


def test_offline_popup_start_stop_queue_then_sync_when_the_server_returns(
    qtbot: QtBot, live: Live
) -> None:
    live.sim.stop()  # the server is down: connections are refused
    _start_by_keyboard(qtbot, live, "beacon support", "on the train")
    qtbot.waitUntil(lambda: not live.tracker.state.online, timeout=WAIT_MS)
    assert live.tracker.state.pending >= 1
    assert "waiting to sync" in live.tray.tray.toolTip()

    _open(qtbot, live.popup)
    qtbot.waitUntil(live.popup.stop_button.isVisible)
    live.popup.stop_button.setFocus()
    qtbot.keyClick(live.popup.stop_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: live.tracker.state.running is None, timeout=WAIT_MS)
    # Idle, offline, entries queued: the pending icon and a tooltip that says so.
    assert live.tray.icon_kind is IconState.PENDING
    tooltip = live.tray.tray.toolTip()
    assert "Not tracking" in tooltip and "waiting to sync" in tooltip
    assert "Offline" in live.popup.status_label.text()
    assert live.new_sheets() == []

    live.sim.start()  # back on the same port
    live.tracker.wake()
    # The back-off may wait a while before the next attempt: generous deadline.
    qtbot.waitUntil(lambda: live.tracker.state.pending == 0, timeout=120_000)
    (sheet,) = live.new_sheets()
    assert sheet.end is not None and sheet.description == "on the train"
    qtbot.waitUntil(lambda: live.tray.icon_kind is IconState.IDLE, timeout=WAIT_MS)
    assert "waiting to sync" not in live.tray.tray.toolTip()
