"""Favourites, distinct recents, totals and start-time edits in the popup and tray menu.

Real Tracker (SQLite files in tmp_path) + Kimai2Client against the Kimai 2 simulator over real
HTTP, its user in America/New_York (not UTC) and rounding off, so begins must match exactly.
`tracker.run()` is the app's supervisor task on the running qasync loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from helpers.live_ui import running_tracker
from helpers.simulator_fixtures import SIMULATOR_TOKEN
from kimai_tray.api.credentials import Credentials
from kimai_tray.api.kimai2 import Kimai2Client
from kimai_tray.core.clock import SystemClock
from kimai_tray.core.comforts import Comforts
from kimai_tray.core.favourites import FavouriteStore
from kimai_tray.core.totals import format_duration
from kimai_tray.core.tracker import Tracker
from kimai_tray.simulator.kimai2 import SimTimesheet
from kimai_tray.simulator.server import SimulatorServer
from kimai_tray.ui.bridge import StateBridge
from kimai_tray.ui.favourites_menu import FavouritesMenu
from kimai_tray.ui.popup import PopupWindow
from kimai_tray.ui.tray import TrayController

TZ = "America/New_York"
WAIT_MS = 30_000  # generous: CI runs on two loaded cores
PROJECT, TASK, MEETING = 1, 6, 1  # demo seed: project 1, its "Task 1", global "Meeting"


@dataclass
class Live:
    sim: SimulatorServer
    client: Kimai2Client
    tracker: Tracker
    comforts: Comforts
    popup: PopupWindow
    tray: TrayController

    def running_on_server(self) -> list[SimTimesheet]:
        with self.sim.state.lock:
            return [t for t in self.sim.state.timesheets.values() if t.end is None]


@pytest.fixture
def live(
    qtbot: QtBot,
    tmp_path: Path,
    simulator_factory: object,
    running_qloop: asyncio.AbstractEventLoop,
) -> Iterator[Live]:
    sim: SimulatorServer = simulator_factory(  # type: ignore[operator]
        seed="demo", timezone=TZ, rounding=False
    )
    with sim.state.lock:
        sim.state.timesheets.clear()  # each test inserts the history it is about
    client = Kimai2Client(
        sim.url, Credentials(kind="token", secret=SIMULATOR_TOKEN), timeout=httpx.Timeout(10.0)
    )
    with running_tracker(qtbot, tmp_path, client) as tracker:
        comforts = Comforts(tracker, FavouriteStore(tmp_path / "favourites.sqlite"), SystemClock())
        bridge = StateBridge(tracker.subscribe, tracker.state)
        popup = PopupWindow(tracker, bridge, comforts=comforts, target_hours=8.0)
        popup.hide_on_deactivate = False  # offscreen activation is unreliable
        qtbot.addWidget(popup)
        tray = TrayController(
            tracker, bridge, toggle_popup=popup.toggle_visible, quit_app=lambda: None
        )
        tray.set_favourites_menu(FavouritesMenu(comforts).fill)
        try:
            yield Live(sim, client, tracker, comforts, popup, tray)
        finally:
            tray.close()
            bridge.close()
            comforts.close()


def _open(qtbot: QtBot, popup: PopupWindow) -> None:
    popup.show_near(None)
    qtbot.waitExposed(popup)


def _near(value: datetime, expected_low: datetime, expected_high: datetime) -> bool:
    """Within the bounds; typed start times are whole seconds (Kimai keeps no fractions)."""
    return expected_low.replace(microsecond=0) <= value <= expected_high


def test_a_favourite_starts_with_one_key_and_from_the_tray(qtbot: QtBot, live: Live) -> None:
    popup = live.popup
    _open(qtbot, popup)
    qtbot.keyClicks(popup.search, "alpha meeting")
    row = popup.selected_row()
    assert row is not None
    qtbot.keyClick(popup.search, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert [(f.project.id, f.activity.id) for f in live.comforts.favourites()] == [
        (row.project.id, row.activity.id)
    ]

    # A digit typed into a non-empty search is just text: nothing starts.
    qtbot.keyClick(popup.search, Qt.Key.Key_1)
    assert popup.search.text() == "alpha meeting1"
    assert popup.isVisible() and not live.tracker.state.is_running

    popup.search.clear()
    first = popup.model.row_at(0)
    assert first is not None and first.badge == "★ 1"
    qtbot.keyClick(popup.search, Qt.Key.Key_1)
    assert not popup.isVisible()
    qtbot.waitUntil(lambda: len(live.running_on_server()) == 1, timeout=WAIT_MS)
    (running,) = live.running_on_server()
    assert (running.project, running.activity) == (row.project.id, row.activity.id)

    # The tray menu lists the favourite and can unpin the running entry.
    live.tracker.stop()
    live.tray.rebuild_menu()
    texts = [a.text() for a in live.tray.menu.actions()]
    assert "Pin the running entry" not in texts  # nothing runs now
    star = next(a for a in live.tray.menu.actions() if a.text().startswith("★ "))
    assert row.project.name in star.text()
    star.trigger()
    assert live.tracker.state.is_running
    live.tray.rebuild_menu()
    unpin = next(a for a in live.tray.menu.actions() if a.text() == "Unpin the running entry")
    unpin.trigger()
    assert live.comforts.favourites() == []


def test_recents_from_the_server_keep_descriptions_apart(qtbot: QtBot, live: Live) -> None:
    state = live.sim.state
    yesterday = datetime.now(UTC) - timedelta(days=1)
    for hours, text in [(3, "code review"), (2, "planning"), (1, "code review")]:
        begin = yesterday - timedelta(hours=hours)
        state.insert_timesheet(
            user=state.admin.id,
            begin=begin,
            end=begin + timedelta(minutes=30),
            timezone=TZ,
            project=PROJECT,
            activity=TASK,
            description=text,
        )
    popup = live.popup
    _open(qtbot, popup)  # showing the popup refreshes the server history in the background

    def descriptions() -> list[str]:
        rows = [popup.model.row_at(i) for i in range(popup.model.rowCount())]
        return [r.description for r in rows if r is not None and r.badge]

    qtbot.waitUntil(lambda: descriptions()[:2] == ["code review", "planning"], timeout=WAIT_MS)
    # Alt+2 works whatever the search field holds.
    qtbot.keyClick(popup.search, Qt.Key.Key_2, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: len(live.running_on_server()) == 1, timeout=WAIT_MS)
    (running,) = live.running_on_server()
    assert (running.project, running.activity, running.description) == (
        PROJECT,
        TASK,
        "planning",
    )


def test_editing_the_start_time_offline_syncs_the_exact_begin(qtbot: QtBot, live: Live) -> None:
    tracker = live.tracker
    tracker.start(PROJECT, MEETING, "forgot to start")
    qtbot.waitUntil(lambda: len(live.running_on_server()) == 1, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: tracker.state.pending == 0, timeout=WAIT_MS)
    tracker.set_backend(None)  # offline from here on

    popup = live.popup
    _open(qtbot, popup)
    qtbot.waitUntil(popup.running_begin.isVisible)
    popup.running_begin.setFocus()
    before = datetime.now(UTC)
    qtbot.keyClicks(popup.running_begin, "-20m")
    qtbot.keyClick(popup.running_begin, Qt.Key.Key_Return)
    running = tracker.state.running
    assert running is not None
    ago = timedelta(minutes=20)
    assert _near(running.begin, before - ago, datetime.now(UTC) - ago)
    assert tracker.state.pending == 1

    # The header shows today's total (running entry included) and the target progress bar.
    totals = live.comforts.totals(8.0)
    assert popup.totals_bar.label.text().startswith(f"Today {format_duration(totals.today)}")
    assert not popup.totals_bar.progress.isHidden()

    tracker.set_backend(live.client)
    qtbot.waitUntil(lambda: tracker.state.pending == 0, timeout=WAIT_MS)
    (on_server,) = live.running_on_server()
    assert on_server.begin == running.begin  # exact: rounding is off, seconds kept


def test_started_at_field_starts_in_the_past(qtbot: QtBot, live: Live) -> None:
    popup = live.popup
    _open(qtbot, popup)
    qtbot.keyClicks(popup.search, "alpha meeting")
    popup.started_at.setText("15 min ago")
    before = datetime.now(UTC)
    qtbot.keyClick(popup.search, Qt.Key.Key_Return)
    assert not popup.isVisible()
    qtbot.waitUntil(lambda: len(live.running_on_server()) == 1, timeout=WAIT_MS)
    (on_server,) = live.running_on_server()
    local = live.tracker.state.running
    assert local is not None and on_server.begin == local.begin
    ago = timedelta(minutes=15)
    assert _near(local.begin, before - ago, datetime.now(UTC) - ago)


def test_change_button_rebooks_the_running_entry(qtbot: QtBot, live: Live) -> None:
    tracker = live.tracker
    tracker.start(PROJECT, TASK, "wrong project")
    qtbot.waitUntil(lambda: tracker.state.pending == 0, timeout=WAIT_MS)
    popup = live.popup
    _open(qtbot, popup)
    popup.change_button.click()
    qtbot.keyClicks(popup.search, "alpha meeting")
    row = popup.selected_row()
    assert row is not None
    qtbot.keyClick(popup.search, Qt.Key.Key_Return)
    assert popup.stop_button.isVisible()  # back on the running page
    qtbot.waitUntil(lambda: tracker.state.pending == 0, timeout=WAIT_MS)
    (on_server,) = live.running_on_server()
    assert (on_server.project, on_server.activity) == (row.project.id, row.activity.id)
    assert on_server.description == "wrong project"

    # Ctrl+D on the running page pins the running entry as it is now.
    qtbot.keyClick(popup, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    (fav,) = live.comforts.favourites()
    assert (fav.project.id, fav.activity.id, fav.description) == (
        row.project.id,
        row.activity.id,
        "wrong project",
    )
