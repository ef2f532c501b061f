"""Popup picker, keyboard only, over a real Tracker (SQLite outbox + catalog in tmp_path).

The server side is tests/helpers/fake_backend.FakeBackend (an in-process Kimai stand-in) until
the Kimai 2 simulator lands; assertions check what that server holds after `sync_once`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from bench.catalog_data import large_catalog
from PySide6.QtCore import QPoint, Qt
from pytestqt.qtbot import QtBot

from helpers.fake_backend import FakeBackend
from helpers.fake_clock import FakeClock
from kimai_tray.core.catalog import Catalog
from kimai_tray.core.outbox import Outbox
from kimai_tray.core.search import CatalogMatch
from kimai_tray.core.state import NamedRef, TrackerState
from kimai_tray.core.tracker import Tracker
from kimai_tray.ui.bridge import StateBridge
from kimai_tray.ui.picker_model import MAX_ROWS, PickerModel, rows_for
from kimai_tray.ui.popup import PopupWindow, format_elapsed, status_text


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def server(clock: FakeClock) -> FakeBackend:
    return FakeBackend(clock)


@pytest.fixture
def tracker(
    tmp_path: Path, clock: FakeClock, server: FakeBackend, qloop: asyncio.AbstractEventLoop
) -> Iterator[Tracker]:
    outbox = Outbox(tmp_path / "outbox.sqlite")
    catalog = Catalog(tmp_path / "catalog.sqlite", today=lambda: clock.now().date())
    built = Tracker(outbox, catalog, clock, backend=server, sleep=clock.sleep)
    qloop.run_until_complete(built.refresh_catalog())
    yield built
    outbox.close()
    catalog.close()


@pytest.fixture
def popup(qtbot: QtBot, tracker: Tracker) -> Iterator[PopupWindow]:
    bridge = StateBridge(tracker.subscribe, tracker.state)
    window = PopupWindow(tracker, bridge)
    # Offscreen activation is unreliable; focus-loss hiding is a window-manager concern.
    window.hide_on_deactivate = False
    qtbot.addWidget(window)
    window.show_near(None)
    qtbot.waitExposed(window)
    yield window
    bridge.close()


def sync(tracker: Tracker, loop: asyncio.AbstractEventLoop) -> None:
    loop.run_until_complete(tracker.sync_once())


def test_start_from_picker_with_keyboard_reaches_server(
    qtbot: QtBot,
    popup: PopupWindow,
    tracker: Tracker,
    server: FakeBackend,
    qloop: asyncio.AbstractEventLoop,
) -> None:
    qtbot.keyClicks(popup.search, "mobile test")
    assert popup.selected_row() is not None
    assert popup.selected_row().title == "Mobile · Testing"  # type: ignore[union-attr]
    qtbot.keyClick(popup.search, Qt.Key.Key_Tab)
    assert popup.description.hasFocus()
    qtbot.keyClicks(popup.description, "release checks")
    qtbot.keyClick(popup.description, Qt.Key.Key_Tab)
    qtbot.keyClicks(popup.tags, "urgent, billable")
    qtbot.keyClick(popup.tags, Qt.Key.Key_Return)

    assert not popup.isVisible()
    sync(tracker, qloop)
    (sheet,) = server.sheets.values()
    assert (sheet.project_id, sheet.activity_id) == (11, 102)
    assert sheet.description == "release checks"
    assert set(sheet.tags) == {"urgent", "billable"}
    assert sheet.end is None


def test_down_arrow_moves_selection_and_enter_starts_it(
    qtbot: QtBot, popup: PopupWindow, tracker: Tracker
) -> None:
    qtbot.keyClicks(popup.search, "website")
    first = popup.selected_row()
    qtbot.keyClick(popup.search, Qt.Key.Key_Down)
    second = popup.selected_row()
    assert first is not None and second is not None and first != second
    qtbot.keyClick(popup.search, Qt.Key.Key_Return)
    running = tracker.state.running
    assert running is not None
    assert (running.project.id, running.activity.id) == (second.project.id, second.activity.id)


def test_stop_and_restart_from_recent_and_edit_description(
    qtbot: QtBot,
    popup: PopupWindow,
    tracker: Tracker,
    server: FakeBackend,
    clock: FakeClock,
    qloop: asyncio.AbstractEventLoop,
) -> None:
    tracker.start(10, 100, "homepage", ("urgent",))
    popup.show_near(QPoint(500, 5))
    qtbot.waitUntil(lambda: popup.stop_button.isVisible())
    assert "Website · Design" in popup.path_label.text()

    # Edit the running entry's description from the keyboard.
    popup.running_description.setFocus()
    popup.running_description.selectAll()
    qtbot.keyClicks(popup.running_description, "homepage hero")
    qtbot.keyClick(popup.running_description, Qt.Key.Key_Return)
    assert tracker.state.running is not None
    assert tracker.state.running.description == "homepage hero"

    clock.advance(600)
    qtbot.keyClick(popup.stop_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: popup.search.isVisible())
    sync(tracker, qloop)
    (stopped,) = server.sheets.values()
    assert stopped.end is not None
    assert stopped.description == "homepage hero"

    # Empty query: the recent entry is the first row; Enter restarts it with its description.
    assert popup.search.text() == ""
    row = popup.selected_row()
    assert row is not None and row.recent and row.description == "homepage hero"
    popup.search.setFocus()
    qtbot.keyClick(popup.search, Qt.Key.Key_Return)
    sync(tracker, qloop)
    running = [s for s in server.sheets.values() if s.end is None]
    assert len(running) == 1
    assert running[0].description == "homepage hero"
    assert running[0].project_id == 10


def test_escape_hides_and_visibility_signal_gates_the_clock(
    qtbot: QtBot, popup: PopupWindow, tracker: Tracker
) -> None:
    tracker.start(10, 100)
    assert popup._timer.isActive()
    with qtbot.waitSignal(popup.visibility_changed) as blocker:
        qtbot.keyClick(popup.running_description, Qt.Key.Key_Escape)
    assert blocker.args == [False]
    assert not popup.isVisible()
    assert not popup._timer.isActive()


def test_status_sentences() -> None:
    assert status_text(TrackerState(online=False, pending=3)) == (
        "Offline — 3 entries waiting to sync",
        False,
    )
    assert status_text(TrackerState(online=True, syncing=True))[0] == "Syncing…"
    assert status_text(TrackerState(online=True, last_error="Kimai refused the token.")) == (
        "Kimai refused the token.",
        True,
    )
    assert format_elapsed(3725) == "1:02:05"


def test_filtering_large_catalog_stays_under_100ms_per_keystroke(
    qtbot: QtBot, popup: PopupWindow, tracker: Tracker, server: FakeBackend
) -> None:
    tracker.catalog.replace_all(*large_catalog(projects=10_000, activities=20_000))
    # The popup never awaits the server: even a dead server must not slow typing.
    server.down = True
    worst = 0.0
    for ch in "nova dev":
        began = time.perf_counter()
        qtbot.keyClick(popup.search, ch)
        worst = max(worst, time.perf_counter() - began)
    assert popup.model.rowCount() > 0
    assert worst < 0.1, f"slowest keystroke took {worst * 1000:.0f} ms"


def test_inactive_rows_are_greyed_and_skipped_by_arrow_keys(qtbot: QtBot) -> None:
    acme = NamedRef(1, "Acme")

    def match(pid: int, inactive: bool) -> CatalogMatch:
        return CatalogMatch(acme, NamedRef(pid, f"P{pid}"), NamedRef(1, "Dev"), inactive, 1.0)

    model = PickerModel()
    model.set_rows(rows_for("p", [], [match(1, False), match(2, True), match(3, False)]))
    assert model.rowCount() == 3
    assert not model.flags(model.index(1, 0)) & Qt.ItemFlag.ItemIsSelectable
    assert model.flags(model.index(2, 0)) & Qt.ItemFlag.ItemIsSelectable
    many = [match(i, False) for i in range(200)]
    model.set_rows(rows_for("p", [], many))
    assert model.rowCount() == MAX_ROWS
