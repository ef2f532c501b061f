"""The tray's "Profiles" submenu and the UI side of a profile switch."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtGui import QActionGroup
from PySide6.QtWidgets import QMenu

from kimai_tray.core.comforts import Comforts
from kimai_tray.core.errors import KimaiTrayError
from kimai_tray.core.rules import ServerRules
from kimai_tray.core.tracker import Tracker
from kimai_tray.profile_switch import ProfileSwitcher
from kimai_tray.ui.bridge import StateBridge
from kimai_tray.ui.favourites_menu import FavouritesMenu
from kimai_tray.ui.popup import PopupWindow
from kimai_tray.ui.tray import TrayController

if TYPE_CHECKING:
    from kimai_tray.ui.away_controller import AwayController

log = logging.getLogger(__name__)


def profile_label(name: str, waiting: int) -> str:
    """The menu text; a profile still delivering in the background says how much is left."""
    if waiting:
        noun = "entry" if waiting == 1 else "entries"
        return f"{name} ({waiting} {noun} syncing)"
    return name


class ProfileMenu:
    """Fills the submenu (rebuilt each time the tray menu opens) and runs switches."""

    def __init__(self, switcher: ProfileSwitcher, report: Callable[[str], None]) -> None:
        self.switcher = switcher
        self._report = report
        self._tasks: set[asyncio.Task[None]] = set()
        self.comforts: Comforts | None = None  # the switched-to profile's favourites (ours)

    def close(self) -> None:
        """Close the favourites store this menu opened for a switched-to profile."""
        if self.comforts is not None:
            self.comforts.close()
            self.comforts = None

    def fill(self, menu: QMenu) -> None:
        group = QActionGroup(menu)
        group.setExclusive(True)
        waiting = self.switcher.background_pending()
        for name in self.switcher.names():
            action = menu.addAction(profile_label(name, waiting.get(name, 0)))
            action.setCheckable(True)
            action.setChecked(name == self.switcher.active)
            action.setData(name)
            group.addAction(action)
            action.triggered.connect(lambda _=False, n=name: self.switch(n))

    def switch(self, name: str) -> None:
        task = asyncio.get_running_loop().create_task(self._switch(name))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _switch(self, name: str) -> None:
        try:
            await self.switcher.switch(name)
        except KimaiTrayError as exc:
            log.warning("profile switch to %s failed: %s", name, exc.user_message)
            self._report(exc.user_message)


def install_profiles(
    switcher: ProfileSwitcher,
    bridge: StateBridge,
    popup: PopupWindow,
    tray: TrayController,
    *,
    with_comforts: bool = False,
    away: Callable[[], AwayController | None] = lambda: None,
) -> ProfileMenu:
    """Follow switches in the UI; the submenu appears once a second profile exists.

    `with_comforts`: favourites/recents/totals live beside each profile's outbox, so a switch
    opens the new profile's (the app's first one is closed by the app).
    `away`: the app's away watcher, once it exists (it is installed after the first turn, maybe
    after this); a switch hands it the new tracker, so there is only ever one watcher.
    """
    ctx_config = switcher.config

    def switched(tracker: Tracker) -> None:
        comforts = None
        if with_comforts:
            menu.close()
            comforts = menu.comforts = Comforts.beside(tracker)
            tray.set_favourites_menu(FavouritesMenu(comforts).fill)
        # Everyone gets the new tracker before the bridge announces its state: the old one's
        # files may already be closed (nothing left to sync), so nothing may read them now.
        popup.set_tracker(tracker, comforts)
        tray.set_tracker(tracker)
        watcher = away()
        if watcher is not None:
            watcher.set_tracker(tracker)
        bridge.rebind(tracker.subscribe, tracker.state)
        config = ctx_config()
        tray.set_server_url(config.server_url or None)
        tray.set_configured(config.configured)
        # Neutral until the new profile's first sync; without a client none will come.
        tray.set_connecting(switcher.active_backend is not None)
        popup.set_rules(ServerRules())  # until the new server's rules are read

    def report(message: str) -> None:
        tray.tray.showMessage("Profiles", message)

    switcher.on_switched = switched
    switcher.on_rules = popup.set_rules
    menu = ProfileMenu(switcher, report)
    if len(switcher.names()) > 1:
        tray.set_profiles_menu(menu.fill)
    return menu
