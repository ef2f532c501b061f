"""Settings: hotkey fields, start at login (the real XDG file), the Wayland instructions."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from helpers.keyring_fixtures import MemoryKeyring
from kimai_tray import APP_ID
from kimai_tray.platform.config import Config, load_config
from kimai_tray.platform.credentials import CredentialStore
from kimai_tray.platform.hotkeys import HotkeySupport
from kimai_tray.ui.settings import SettingsDialog

CONFIG = Config(server_url="https://kimai.example")
X11 = HotkeySupport("x11", "")


def dialog_for(
    qtbot: QtBot, tmp_path: Path, keyring: MemoryKeyring, support: HotkeySupport
) -> SettingsDialog:
    config_path = tmp_path / "config.toml"
    config = load_config(config_path) if config_path.exists() else CONFIG
    dialog = SettingsDialog(config, config_path, CredentialStore(keyring), hotkey_support=support)
    qtbot.addWidget(dialog)
    return dialog


def test_start_at_login_checkbox_writes_and_removes_the_autostart_file(
    qtbot: QtBot, tmp_path: Path, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The default wiring (autostart_for_platform -> XDG) with the XDG config home in tmp.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    desktop_file = tmp_path / "xdg" / "autostart" / f"{APP_ID}.desktop"
    dialog = dialog_for(qtbot, tmp_path, memory_keyring, X11)
    assert not dialog.hotkeys_box.start_at_login.isChecked()
    dialog.hotkeys_box.start_at_login.setChecked(True)
    with qtbot.waitSignal(dialog.saved):
        dialog.save()
    assert desktop_file.is_file()
    assert "Exec=" in desktop_file.read_text(encoding="utf-8")
    assert load_config(tmp_path / "config.toml").preferences.autostart is True

    reopened = dialog_for(qtbot, tmp_path, memory_keyring, X11)
    assert reopened.hotkeys_box.start_at_login.isChecked()  # read back from the file
    reopened.hotkeys_box.start_at_login.setChecked(False)
    with qtbot.waitSignal(reopened.saved):
        reopened.save()
    assert not desktop_file.exists()
    assert load_config(tmp_path / "config.toml").preferences.autostart is False


def test_hotkeys_are_validated_and_saved_normalised(
    qtbot: QtBot, tmp_path: Path, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    dialog = dialog_for(qtbot, tmp_path, memory_keyring, X11)
    assert dialog.hotkeys_box.toggle_hotkey.text() == "Ctrl+Alt+T"
    assert dialog.hotkeys_box.popup_hotkey.text() == "Ctrl+Alt+K"
    saved: list[object] = []
    dialog.saved.connect(saved.append)

    dialog.hotkeys_box.toggle_hotkey.setText("T")  # no modifier: not a global hotkey
    dialog.save()
    assert saved == [] and not (tmp_path / "config.toml").exists()
    assert "modifier" in dialog.result_label.text()

    dialog.hotkeys_box.toggle_hotkey.setText("ctrl+alt+k")  # same as the popup hotkey
    dialog.save()
    assert saved == [] and "differ" in dialog.result_label.text()

    dialog.hotkeys_box.toggle_hotkey.setText("ctrl+shift+f5")
    dialog.save()
    assert len(saved) == 1
    prefs = load_config(tmp_path / "config.toml").preferences
    assert (prefs.toggle_hotkey, prefs.hotkey) == ("Ctrl+Shift+F5", "Ctrl+Alt+K")


def test_recorded_hotkeys_are_saved_to_the_config_file(
    qtbot: QtBot, tmp_path: Path, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Real key presses on the dialog's recorders, then Save: the file holds what was pressed."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    dialog = dialog_for(qtbot, tmp_path, memory_keyring, X11)
    dialog.show()
    qtbot.waitExposed(dialog)
    ctrl_alt = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
    box = dialog.hotkeys_box
    qtbot.keyClick(box.toggle_hotkey.field, Qt.Key.Key_J, ctrl_alt)
    qtbot.keyClick(box.popup_hotkey.field, Qt.Key.Key_P)  # no modifier: refused, K kept
    assert box.popup_hotkey.hint.isVisible()
    qtbot.keyClick(box.popup_hotkey.field, Qt.Key.Key_F9, Qt.KeyboardModifier.MetaModifier)
    with qtbot.waitSignal(dialog.saved):
        qtbot.mouseClick(
            dialog.buttons.button(dialog.buttons.StandardButton.Save), Qt.MouseButton.LeftButton
        )
    prefs = load_config(tmp_path / "config.toml").preferences
    assert (prefs.toggle_hotkey, prefs.hotkey) == ("Ctrl+Alt+J", "Super+F9")

    reopened = dialog_for(qtbot, tmp_path, memory_keyring, X11)
    assert reopened.hotkeys_box.toggle_hotkey.text() == "Ctrl+Alt+J"
    # Recording the other one's combination is caught at save time, as with typed text.
    qtbot.keyClick(reopened.hotkeys_box.popup_hotkey.field, Qt.Key.Key_J, ctrl_alt)
    reopened.save()
    assert "differ" in reopened.result_label.text()
    assert load_config(tmp_path / "config.toml").preferences.hotkey == "Super+F9"


def test_wayland_shows_and_copies_the_desktop_shortcut_instructions(
    qtbot: QtBot, tmp_path: Path, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("XDG_CURRENT_DESKTOP", "GNOME")
    wayland = HotkeySupport("none", "Wayland does not let apps grab keys.")
    dialog = dialog_for(qtbot, tmp_path, memory_keyring, wayland)
    box = dialog.hotkeys_box
    assert not box.copy_button.isHidden() and not box.support_label.isHidden()
    assert "Wayland" in box.support_label.text()
    box.copy_button.click()
    copied = QApplication.clipboard().text()
    assert "kimai-tray toggle" in copied and "Keyboard" in copied  # the GNOME route

    on_x11 = dialog_for(qtbot, tmp_path, memory_keyring, X11)
    assert on_x11.hotkeys_box.copy_button.isHidden()


def test_portal_and_macos_say_what_to_expect_without_shortcut_instructions(
    qtbot: QtBot, tmp_path: Path, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kimai_tray.platform.hotkeys import hotkey_support
    from kimai_tray.ui.hotkey_settings import HotkeySettingsBox

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    portal = dialog_for(qtbot, tmp_path, memory_keyring, HotkeySupport("wayland-portal", "Ask."))
    box = portal.hotkeys_box
    assert box.support_label.text() == "Ask." and not box.support_label.isHidden()
    assert box.copy_button.isHidden() and box.permission_button.isHidden()

    # macOS: the Accessibility explanation, and a button that shows the system's prompt
    # (the real AXIsProcessTrustedWithOptions is macOS only: a recorder stands in here).
    asked: list[bool] = []
    answers = iter([False, True])

    def ask(prompt: bool) -> bool:
        asked.append(prompt)
        return next(answers)

    mac = HotkeySettingsBox(
        Config().preferences, support=hotkey_support(env={}, platform="darwin"), ask_permission=ask
    )
    qtbot.addWidget(mac)
    assert "Accessibility" in mac.support_label.text() and not mac.permission_button.isHidden()
    mac.permission_button.click()
    assert "quit and reopen" in mac.support_label.text()
    mac.permission_button.click()
    assert asked == [True, True]
    assert mac.support_label.text() == "Kimai Tray may use global hotkeys."


def test_the_portal_shows_what_the_desktop_assigned(qtbot: QtBot) -> None:
    from kimai_tray.ui.hotkey_settings import HotkeySettingsBox

    portal = HotkeySupport("wayland-portal", "Your desktop manages these shortcuts.")
    box = HotkeySettingsBox(
        Config().preferences, support=portal, assigned={"toggle": "Ctrl+Alt+T", "popup": ""}
    )
    qtbot.addWidget(box)
    assert box.support_label.text().endswith("Your desktop assigned: Start/stop = Ctrl+Alt+T")
    nothing = HotkeySettingsBox(Config().preferences, support=portal, assigned={})
    qtbot.addWidget(nothing)
    assert nothing.support_label.text() == portal.message
