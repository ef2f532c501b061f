"""The tray's "Profiles" submenu: switching server/account from the menu (two simulators).

Real AppContext home in tmp_path, real SQLite outboxes, real HTTP to two Kimai 2 simulators on
the running Qt event loop; only the keyring is an in-memory stand-in (no Secret Service on CI).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtGui import QAction
from pytestqt.qtbot import QtBot

from helpers.keyring_fixtures import MemoryKeyring
from helpers.simulator_fixtures import SIMULATOR_TOKEN, SimulatorFactory
from kimai_tray.context import AppContext
from kimai_tray.core.models import TimesheetConfig, TrackingMode
from kimai_tray.core.rules import ServerRules
from kimai_tray.platform.profiles import Profile, config_for
from kimai_tray.profile_switch import ProfileSwitcher
from kimai_tray.ui.bridge import StateBridge
from kimai_tray.ui.popup import PopupWindow
from kimai_tray.ui.profile_menu import install_profiles, profile_label
from kimai_tray.ui.tray import TrayController

WAIT_MS = 30_000
PROJECT, TASK = 1, 6  # demo seed


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[AppContext]:
    built = AppContext.build({"KIMAI_TRAY_HOME": str(tmp_path)}, log_to_file=False)
    yield built
    built.close()


def _profile_actions(tray: TrayController) -> dict[str, QAction]:
    tray.rebuild_menu()
    submenu = tray.action("Profiles").menu()
    assert submenu is not None
    return {str(a.data()): a for a in submenu.actions()}


def test_switching_from_the_tray_menu_moves_the_ui_and_keeps_the_old_queue_syncing(
    qtbot: QtBot,
    ctx: AppContext,
    simulator_factory: SimulatorFactory,
    memory_keyring: MemoryKeyring,
    running_qloop: asyncio.AbstractEventLoop,
) -> None:
    sim_a, sim_b = simulator_factory(seed="demo"), simulator_factory(seed="demo")
    ctx.save_config(replace(ctx.config, server_url=sim_a.url, profiles=(Profile("b", sim_b.url),)))
    for name in ("default", "b"):
        ctx.store_secret(config_for(ctx.file_config or ctx.config, name), SIMULATOR_TOKEN)
    switcher = ProfileSwitcher(ctx, retry_s=0.2)
    bridge = StateBridge(ctx.tracker.subscribe, ctx.tracker.state)
    popup = PopupWindow(ctx.tracker, bridge)
    qtbot.addWidget(popup)
    tray = TrayController(ctx.tracker, bridge, toggle_popup=lambda: None, quit_app=lambda: None)
    menu = install_profiles(switcher, bridge, popup, tray, with_comforts=True)
    try:
        sim_a.state.set_offline(True)
        switcher.attach(ctx.make_backend())
        old = ctx.tracker
        old.start(PROJECT, TASK, "queued on A")
        assert bridge.state.is_running
        # Switch once A's attempt has failed, not while its POST is on the wire: a POST cut
        # off mid-request may still commit, so it would (rightly) wait out the settle period.
        qtbot.waitUntil(lambda: old.state.last_error is not None, timeout=WAIT_MS)

        actions = _profile_actions(tray)
        assert set(actions) == {"default", "b"} and actions["default"].isChecked()
        actions["b"].trigger()
        qtbot.waitUntil(lambda: ctx.profile == "b", timeout=WAIT_MS)
        # The UI follows the new profile: B has nothing running.
        assert ctx.tracker is not old and not bridge.state.is_running
        assert tray.state is bridge.state
        # Favourites and totals are per profile: the switched-to profile's are in use.
        assert menu.comforts is not None and menu.comforts.tracker is ctx.tracker
        assert "(1 entry syncing)" in _profile_actions(tray)["default"].text()

        sim_a.state.set_offline(False)

        def on_a() -> bool:
            with sim_a.state.lock:
                return any(t.description == "queued on A" for t in sim_a.state.timesheets.values())

        qtbot.waitUntil(on_a, timeout=WAIT_MS)
        qtbot.waitUntil(lambda: not switcher.background_pending(), timeout=WAIT_MS)
        assert _profile_actions(tray)["default"].text() == "default"
    finally:
        closing = asyncio.ensure_future(switcher.aclose())
        qtbot.waitUntil(closing.done, timeout=WAIT_MS)
        menu.close()
        tray.close()
        bridge.close()


def test_tracking_mode_disables_begin_editing_in_the_popup(
    qtbot: QtBot, ctx: AppContext, running_qloop: asyncio.AbstractEventLoop
) -> None:
    bridge = StateBridge(ctx.tracker.subscribe, ctx.tracker.state)
    popup = PopupWindow(ctx.tracker, bridge)
    qtbot.addWidget(popup)
    popup.set_rules(ServerRules(TimesheetConfig(tracking_mode=TrackingMode.PUNCH)))
    assert not popup.started_at.isEnabled() and not popup.running_begin.isEnabled()
    popup.set_rules(ServerRules())
    assert popup.started_at.isEnabled() and popup.running_begin.isEnabled()
    bridge.close()


def test_profile_label_counts_what_is_still_syncing() -> None:
    assert profile_label("work", 0) == "work"
    assert profile_label("work", 2) == "work (2 entries syncing)"


def test_switching_to_a_profile_without_a_secret_shows_offline_not_connecting(
    qtbot: QtBot,
    ctx: AppContext,
    simulator_factory: SimulatorFactory,
    memory_keyring: MemoryKeyring,
    running_qloop: asyncio.AbstractEventLoop,
) -> None:
    sim_a = simulator_factory(seed="demo")
    ctx.save_config(
        replace(ctx.config, server_url=sim_a.url, profiles=(Profile("b", "https://b.invalid"),))
    )
    ctx.store_secret(config_for(ctx.file_config or ctx.config, "default"), SIMULATOR_TOKEN)
    switcher = ProfileSwitcher(ctx, retry_s=0.2)
    bridge = StateBridge(ctx.tracker.subscribe, ctx.tracker.state)
    popup = PopupWindow(ctx.tracker, bridge)
    qtbot.addWidget(popup)
    tray = TrayController(ctx.tracker, bridge, toggle_popup=lambda: None, quit_app=lambda: None)
    menu = install_profiles(switcher, bridge, popup, tray, with_comforts=True)
    try:
        switcher.attach(ctx.make_backend())
        qtbot.waitUntil(lambda: bridge.state.online, timeout=WAIT_MS)  # A's first sync is over
        _profile_actions(tray)["b"].trigger()
        qtbot.waitUntil(lambda: menu.comforts is not None and menu.comforts.tracker is ctx.tracker)
        # B has no token in the keyring: no client, so no sync will ever answer.
        assert switcher.active_backend is None
        assert not tray.connecting
    finally:
        closing = asyncio.ensure_future(switcher.aclose())
        qtbot.waitUntil(closing.done, timeout=WAIT_MS)
        menu.close()
        tray.close()
        bridge.close()
