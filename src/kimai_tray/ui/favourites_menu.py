"""The tray menu's favourites section: start a pinned entry, pin/unpin the running one."""

from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from kimai_tray.core.comforts import Comforts, favourite_of
from kimai_tray.core.favourites import Favourite


class FavouritesMenu:
    """Pass `fill` to `TrayController.set_favourites_menu`; it runs as the menu is rebuilt."""

    def __init__(self, comforts: Comforts) -> None:
        self._comforts = comforts

    def fill(self, menu: QMenu) -> None:
        favourites = self._comforts.favourites()
        running = self._comforts.tracker.state.running
        if not favourites and running is None:
            return
        menu.addSection("Favourites")
        for fav in favourites:
            action = QAction(f"★ {fav.label}", menu)
            action.triggered.connect(lambda _=False, f=fav: self._start(f))
            menu.addAction(action)
        if running is not None:
            pinned = self._comforts.store.contains(favourite_of(running))
            text = "Unpin the running entry" if pinned else "Pin the running entry"
            menu.addAction(text, self._toggle_running)

    # Slots return None: a Python value returned to a Qt slot call is not ours to keep
    # (returning a bool here crashed the interpreter at exit with a refcount error).
    def _toggle_running(self) -> None:
        self._comforts.toggle_running()

    def _start(self, fav: Favourite) -> None:
        self._comforts.start_favourite(fav)
