"""Settings: the daily target row (hours and minutes, 0 = off), saved with the rest."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from helpers.keyring_fixtures import MemoryKeyring
from kimai_tray.platform.config import Config, Preferences, load_config, save_config
from kimai_tray.platform.credentials import CredentialStore
from kimai_tray.platform.hotkeys import HotkeySupport
from kimai_tray.ui.settings import SettingsDialog

X11 = HotkeySupport("x11", "")


def open_dialog(qtbot: QtBot, config_path: Path, keyring: MemoryKeyring) -> SettingsDialog:
    dialog = SettingsDialog(
        load_config(config_path), config_path, CredentialStore(keyring), hotkey_support=X11
    )
    qtbot.addWidget(dialog)
    return dialog


@pytest.fixture
def config_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))  # autostart file stays in tmp
    path = tmp_path / "config.toml"
    save_config(path, Config(server_url="https://kimai.example"))
    return path


def test_daily_target_is_saved_and_shown_again_on_reopening(
    qtbot: QtBot, config_path: Path, memory_keyring: MemoryKeyring
) -> None:
    dialog = open_dialog(qtbot, config_path, memory_keyring)
    target = dialog.daily_target
    assert (target.hours.value(), target.mins.value()) == (0, 0)  # off by default
    target.hours.setValue(7)
    target.mins.setValue(30)
    with qtbot.waitSignal(dialog.saved) as saved:
        dialog.save()
    assert isinstance(saved.args[0], Config)
    assert saved.args[0].preferences.daily_target_minutes == 450
    assert load_config(config_path).preferences.daily_target_minutes == 450

    reopened = open_dialog(qtbot, config_path, memory_keyring)
    assert (reopened.daily_target.hours.value(), reopened.daily_target.mins.value()) == (7, 30)
    reopened.daily_target.hours.setValue(0)
    reopened.daily_target.mins.setValue(0)
    with qtbot.waitSignal(reopened.saved):
        reopened.save()
    assert load_config(config_path).preferences.daily_target_minutes == 0  # 0 = no target


def test_daily_target_is_capped_at_a_day_and_other_preferences_survive(
    qtbot: QtBot, config_path: Path, memory_keyring: MemoryKeyring
) -> None:
    prefs = Preferences(daily_target_minutes=24 * 60, idle_minutes=12, toggle_hotkey="Alt+F2")
    save_config(config_path, Config(server_url="https://kimai.example", preferences=prefs))
    dialog = open_dialog(qtbot, config_path, memory_keyring)
    assert dialog.daily_target.hours.value() == 24
    dialog.daily_target.mins.setValue(45)  # 24 h 45 min is more than a day
    with qtbot.waitSignal(dialog.saved):
        dialog.save()
    saved = load_config(config_path).preferences
    assert saved.daily_target_minutes == 24 * 60
    assert (saved.idle_minutes, saved.toggle_hotkey) == (12, "Alt+F2")
