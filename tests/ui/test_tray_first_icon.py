"""The first tray icon follows the window colour; the desktop's answer, read one event-loop turn
later (reading the colour scheme costs ~25 ms at start-up), decides every icon after it.

Real Qt (offscreen) with a real palette change: offscreen has no colour scheme, so the desktop's
answer there is the window colour, and changing it between the two moments shows which one
each icon followed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from kimai_tray.core.state import TrackerState
from kimai_tray.core.tracker import RecentEntry
from kimai_tray.ui.bridge import StateBridge
from kimai_tray.ui.icons import IconState, state_icon
from kimai_tray.ui.tray import TrayController


class IdleTracker:
    def __init__(self) -> None:
        self.state = TrackerState(online=True)

    def subscribe(self, cb: Callable[[TrackerState], None]) -> Callable[[], None]:
        return lambda: None

    def start(self, *args: object, **kw: object) -> None:
        raise AssertionError("not clicked in these tests")

    start_last = stop = start

    def recent(self, limit: int = 5) -> list[RecentEntry]:
        return []

    def wake(self) -> None:
        pass


def image(icon_kind: IconState, *, dark: bool) -> QImage:
    return state_icon(icon_kind, dark=dark).pixmap(22, 22).toImage()


def shown(tray: TrayController) -> QImage:
    return tray.tray.icon().pixmap(22, 22).toImage()


@pytest.fixture
def light_palette(qtbot: QtBot) -> Iterator[Callable[[bool], None]]:
    """Sets the application's window colour; the original palette comes back afterwards."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    original = QGuiApplication.palette()

    def use(dark: bool) -> None:
        palette = QPalette(original)
        palette.setColor(QPalette.ColorRole.Window, QColor("#202020" if dark else "#f0f0f0"))
        app.setPalette(palette)

    use(False)
    yield use
    app.setPalette(original)


def make_tray() -> TrayController:
    tracker = IdleTracker()
    bridge = StateBridge(tracker.subscribe, tracker.state)
    return TrayController(tracker, bridge, toggle_popup=lambda: None, quit_app=lambda: None)


def test_first_icon_follows_the_window_colour_then_the_desktop_answer(
    qtbot: QtBot, light_palette: Callable[[bool], None]
) -> None:
    tray = make_tray()
    try:
        assert tray.icon_kind is IconState.IDLE
        light, dark = image(IconState.IDLE, dark=False), image(IconState.IDLE, dark=True)
        assert light != dark  # otherwise this test could not tell them apart
        assert shown(tray) == light
        light_palette(True)  # the desktop says "dark" by the time it is asked
        qtbot.waitUntil(lambda: shown(tray) == dark, timeout=5000)
    finally:
        tray.close()


def test_first_icon_is_kept_when_the_desktop_agrees(
    qtbot: QtBot, light_palette: Callable[[bool], None]
) -> None:
    tray = make_tray()
    try:
        first = tray.tray.icon().cacheKey()
        qtbot.waitUntil(lambda: tray._scheme_read, timeout=5000)
        assert tray.tray.icon().cacheKey() == first  # not set again: nothing to correct
        assert shown(tray) == image(IconState.IDLE, dark=False)
    finally:
        tray.close()
