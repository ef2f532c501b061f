"""Garbage collection runs in the GUI thread only, never in a server or executor thread."""

from __future__ import annotations

import gc
import threading

from pytestqt.qtbot import QtBot

from kimai_tray.ui.gui_gc import GuiThreadCollector


class Cycle:
    def __init__(self) -> None:
        self.me = self
        self.freed_in: list[str] = []


def test_cycles_made_in_a_thread_are_freed_in_the_gui_thread(qtbot: QtBot) -> None:
    was_enabled = gc.isenabled()
    gc.enable()  # as in the app before the collector takes over (tests/conftest.py disables it)
    collector = GuiThreadCollector()
    try:
        assert not gc.isenabled()
        freed_in: list[str] = []

        # Collection callbacks tell which thread ran each collection.
        def note(phase: str, _info: dict[str, int]) -> None:
            if phase == "start":
                freed_in.append(threading.current_thread().name)

        gc.callbacks.append(note)

        def churn() -> None:
            for _ in range(50_000):  # enough allocations to trigger automatic collections
                Cycle()

        worker = threading.Thread(target=churn, name="server-thread")
        worker.start()
        worker.join()
        assert "server-thread" not in freed_in
        collector.poke()
        qtbot.waitUntil(lambda: collector.collections >= 1, timeout=10_000)
        assert freed_in and set(freed_in) == {threading.main_thread().name}
    finally:
        gc.callbacks.remove(note)
        collector.close()
        assert gc.isenabled()  # handed back to Python
        if not was_enabled:
            gc.disable()
