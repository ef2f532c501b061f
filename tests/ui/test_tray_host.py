"""Start-up helpers: the popup built after the icon (Deferred) and the late tray host watcher.

The watcher's probe is injected here (whether a tray exists is the desktop's business); the
real probe against a tray host started after the app is tests/e2e/test_tray_late_host.py.
"""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from kimai_tray.ui.deferred import Deferred
from kimai_tray.ui.tray_host import TrayHostWatcher


def test_deferred_builds_once_on_first_get_and_wires_once() -> None:
    built: list[str] = []
    wired: list[str] = []
    lazy = Deferred(lambda: built.append("popup") or "popup", wired.append)
    assert lazy.built is None and built == []
    assert lazy.get() == "popup"
    assert lazy.get() == "popup"
    assert built == ["popup"] and wired == ["popup"]
    assert lazy.built == "popup"


def test_deferred_builds_on_the_next_event_loop_turn(qtbot: QtBot) -> None:
    built: list[str] = []
    lazy = Deferred(lambda: built.append("popup") or "popup")
    lazy.build_soon()
    assert built == []  # not inside the call: the icon shows first
    qtbot.waitUntil(lambda: lazy.built is not None, timeout=5_000)
    lazy.get()
    assert built == ["popup"]


def test_deferred_needed_before_its_turn_is_built_only_once(qtbot: QtBot) -> None:
    built: list[str] = []
    lazy = Deferred(lambda: built.append("popup") or "popup")
    lazy.build_soon()
    lazy.get()  # e.g. the icon clicked before the scheduled build ran
    marker = Deferred(lambda: "later")
    marker.build_soon()  # queued after the first one: once it ran, the first one ran too
    qtbot.waitUntil(lambda: marker.built is not None, timeout=5_000)
    assert built == ["popup"]


def test_watcher_reports_a_tray_host_that_appears_later(qtbot: QtBot) -> None:
    host = {"up": False}
    polls: list[bool] = []

    def available() -> bool:
        polls.append(host["up"])
        return host["up"]

    watcher = TrayHostWatcher(available=available, poll_ms=10, watch_ms=60_000)
    watcher.start()
    qtbot.waitUntil(lambda: len(polls) >= 3, timeout=5_000)
    assert watcher.watching
    host["up"] = True
    with qtbot.waitSignal(watcher.appeared, timeout=5_000):
        pass
    assert not watcher.watching  # once is enough: its timer is stopped
    assert polls[-1] is True and polls.count(True) == 1


@pytest.mark.parametrize("watch_ms", [30, 60])
def test_watcher_gives_up_after_the_watch_window(qtbot: QtBot, watch_ms: int) -> None:
    polls: list[int] = []
    watcher = TrayHostWatcher(
        available=lambda: polls.append(1) is not None, poll_ms=10, watch_ms=watch_ms
    )
    appeared: list[bool] = []
    watcher.appeared.connect(lambda: appeared.append(True))
    watcher.start()
    qtbot.waitUntil(lambda: not watcher.watching, timeout=5_000)
    assert len(polls) == watch_ms // 10
    assert appeared == []
