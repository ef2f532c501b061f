"""Creating a missing activity from the picker, against the Kimai 2 simulator over real HTTP.

A real Tracker (SQLite files in tmp_path) with Kimai2Client; the popup is driven by keyboard
and every outcome is read from the simulator's own state.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from helpers.live_ui import running_tracker
from helpers.simulator_fixtures import PLAIN_TOKEN, SIMULATOR_TOKEN
from kimai_tray.api.credentials import Credentials
from kimai_tray.api.kimai2 import Kimai2Client
from kimai_tray.core.tracker import Tracker
from kimai_tray.simulator.server import SimulatorServer
from kimai_tray.ui.bridge import StateBridge
from kimai_tray.ui.create_activity import NOT_ALLOWED, NOT_ALLOWED_PROJECT
from kimai_tray.ui.popup import PopupWindow

WAIT_MS = 30_000  # generous: CI runs on two loaded cores
NEW = "Zebrafish audit"


@pytest.fixture
def make_popup(
    qtbot: QtBot,
    tmp_path: Path,
    simulator: SimulatorServer,
    running_qloop: asyncio.AbstractEventLoop,
) -> Iterator[Callable[[str], tuple[PopupWindow, Tracker]]]:
    with ExitStack() as stack:

        def make(token: str) -> tuple[PopupWindow, Tracker]:
            client = Kimai2Client(
                simulator.url, Credentials(kind="token", secret=token), timeout=httpx.Timeout(10.0)
            )
            tracker = stack.enter_context(running_tracker(qtbot, tmp_path, client))
            bridge = StateBridge(tracker.subscribe, tracker.state)
            stack.callback(bridge.close)
            popup = PopupWindow(tracker, bridge)
            popup.hide_on_deactivate = False  # offscreen activation is unreliable
            qtbot.addWidget(popup)
            return popup, tracker

        yield make


def _type(qtbot: QtBot, popup: PopupWindow, query: str) -> None:
    popup.show_near(None)
    qtbot.waitExposed(popup)
    qtbot.keyClicks(popup.search, query)


def test_create_activity_from_the_picker_makes_it_on_the_server_and_starts_it(
    qtbot: QtBot, simulator: SimulatorServer, make_popup: Callable[..., tuple[PopupWindow, Tracker]]
) -> None:
    popup, tracker = make_popup(SIMULATOR_TOKEN)
    state = simulator.state
    project = state.projects[3]
    _type(qtbot, popup, f"{project.name} {NEW}")
    row = popup.selected_row()
    assert row is not None and row.create == f"Create activity '{NEW}' in project {project.name}"
    qtbot.keyClick(popup.search, Qt.Key.Key_Return)

    def created() -> bool:
        with state.lock:
            return any(a.name == NEW for a in state.activities.values())

    qtbot.waitUntil(created, timeout=WAIT_MS)
    with state.lock:
        activity = next(a for a in state.activities.values() if a.name == NEW)
    assert activity.visible and activity.project == project.id

    def running_on_server() -> bool:
        with state.lock:
            return any(
                t.activity == activity.id and t.project == project.id and t.end is None
                for t in state.timesheets.values()
            )

    qtbot.waitUntil(running_on_server, timeout=WAIT_MS)
    assert not popup.isVisible()
    running = tracker.state.running
    assert running is not None and running.activity.name == NEW  # the catalog was refreshed


def test_offline_the_create_row_says_it_needs_a_connection(
    qtbot: QtBot, simulator: SimulatorServer, make_popup: Callable[..., tuple[PopupWindow, Tracker]]
) -> None:
    popup, tracker = make_popup(SIMULATOR_TOKEN)
    tracker.set_backend(None)  # as after the server went away: no client to create with
    project = simulator.state.projects[3]
    _type(qtbot, popup, f"{project.name} {NEW}")
    rows = [popup.model.row_at(i) for i in range(popup.model.rowCount())]
    create = [r for r in rows if r is not None and r.create]
    assert len(create) == 1 and create[0].create.endswith("(needs a connection)")
    assert create[0].inactive and popup.selected_row() is None
    qtbot.keyClick(popup.search, Qt.Key.Key_Return)  # nothing happens, nothing is queued
    assert tracker.state.running is None and tracker.state.pending == 0


def test_a_role_without_permission_is_told_so(
    qtbot: QtBot, simulator: SimulatorServer, make_popup: Callable[..., tuple[PopupWindow, Tracker]]
) -> None:
    popup, tracker = make_popup(PLAIN_TOKEN)
    project = simulator.state.projects[3]
    _type(qtbot, popup, f"{project.name} {NEW}")
    qtbot.keyClick(popup.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: NOT_ALLOWED in popup.status_label.text(), timeout=WAIT_MS)
    assert popup.isVisible() and tracker.state.running is None
    with simulator.state.lock:
        assert all(a.name != NEW for a in simulator.state.activities.values())


def test_create_project_for_a_named_customer_then_pick_its_activity(
    qtbot: QtBot, simulator: SimulatorServer, make_popup: Callable[..., tuple[PopupWindow, Tracker]]
) -> None:
    popup, tracker = make_popup(SIMULATOR_TOKEN)
    state = simulator.state
    customer = state.customers[1]
    first_word = customer.name.split()[0]
    _type(qtbot, popup, f"{first_word} Zebrafish")
    rows = [popup.model.row_at(i) for i in range(popup.model.rowCount())]
    label = f"Create project 'Zebrafish' for customer {customer.name}"
    project_rows = [r for r in rows if r is not None and r.create == label]
    assert len(project_rows) == 1
    popup.list_view.setCurrentIndex(popup.model.index(rows.index(project_rows[0]), 0))
    popup.start_selected()

    def created() -> bool:
        with state.lock:
            return any(p.name == "Zebrafish" for p in state.projects.values())

    qtbot.waitUntil(created, timeout=WAIT_MS)
    with state.lock:
        project = next(p for p in state.projects.values() if p.name == "Zebrafish")
    assert project.customer == customer.id and project.visible
    # The picker now searches the new project: its (global) activities are offered.
    qtbot.waitUntil(lambda: popup.search.text() == "Zebrafish", timeout=WAIT_MS)
    row = popup.selected_row()
    assert row is not None and row.project.id == project.id and not row.create
    assert tracker.state.running is None  # nothing starts before an activity is chosen


def test_a_role_without_project_permission_is_told_so(
    qtbot: QtBot, simulator: SimulatorServer, make_popup: Callable[..., tuple[PopupWindow, Tracker]]
) -> None:
    popup, _tracker = make_popup(PLAIN_TOKEN)
    customer = simulator.state.customers[1]
    _type(qtbot, popup, f"{customer.name.split()[0]} Zebrafish")
    rows = [popup.model.row_at(i) for i in range(popup.model.rowCount())]
    index = next(
        i for i, r in enumerate(rows) if r is not None and r.create.startswith("Create project")
    )
    popup.list_view.setCurrentIndex(popup.model.index(index, 0))
    popup.start_selected()
    qtbot.waitUntil(lambda: NOT_ALLOWED_PROJECT in popup.status_label.text(), timeout=WAIT_MS)
    with simulator.state.lock:
        assert all(p.name != "Zebrafish" for p in simulator.state.projects.values())
