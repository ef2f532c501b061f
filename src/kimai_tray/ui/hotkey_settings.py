"""Settings section for the global hotkeys and start at login.

The hotkeys are recorded from key presses (ui/hotkey_edit.py) and checked again with
`parse_hotkey` before anything is saved; whether another program owns a combination is only
known when the app grabs it (reported by GlobalHotkeys).
Where the desktop forbids grabs (Wayland without the portal), the section says how to bind
`kimai-tray toggle` as a desktop shortcut, with a button that copies those instructions.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import replace

from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QPushButton,
    QWidget,
)

from kimai_tray.platform.autostart import Autostart, autostart_for_platform
from kimai_tray.platform.config import Preferences
from kimai_tray.platform.hotkeys import (
    HotkeyError,
    HotkeySupport,
    desktop_shortcut_instructions,
    hotkey_support,
    parse_hotkey,
)
from kimai_tray.ui.hotkey_edit import HotkeyEdit

log = logging.getLogger(__name__)


ASSIGNED_LABELS = {"toggle": "Start/stop", "popup": "Open window"}


def assigned_text(assigned: Mapping[str, str]) -> str:
    """e.g. "Your desktop assigned: Start/stop = Ctrl+Alt+T" ("" when it assigned nothing)."""
    parts = [
        f"{label} = {assigned[name]}"
        for name, label in ASSIGNED_LABELS.items()
        if assigned.get(name)
    ]
    return f"Your desktop assigned: {', '.join(parts)}" if parts else ""


class HotkeySettingsBox(QGroupBox):
    """Toggle and popup hotkeys, the Wayland shortcut instructions, and start at login."""

    def __init__(
        self,
        preferences: Preferences,
        *,
        support: HotkeySupport | None = None,
        autostart: Autostart | None = None,
        assigned: Mapping[str, str] | None = None,
        ask_permission: Callable[[bool], bool] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        """`ask_permission(prompt)`: macOS' Accessibility check (injectable for tests)."""
        super().__init__("Hotkeys and start-up", parent)
        self.support = support or hotkey_support()
        self._autostart = autostart or autostart_for_platform()
        form = QFormLayout(self)
        defaults = Preferences()
        # Key recorders: click, press the combination (or "Type" it); see ui/hotkey_edit.py.
        self.toggle_hotkey = HotkeyEdit(preferences.toggle_hotkey, defaults.toggle_hotkey)
        self.popup_hotkey = HotkeyEdit(preferences.hotkey, defaults.hotkey)
        form.addRow("Start/stop &hotkey", self.toggle_hotkey)
        form.addRow("&Open-window hotkey", self.popup_hotkey)

        self.instructions = desktop_shortcut_instructions(os.environ.get("XDG_CURRENT_DESKTOP", ""))
        self.support_label = QLabel(self.support.message)
        self.support_label.setWordWrap(True)
        self.copy_button = QPushButton("Cop&y shortcut instructions")
        self.copy_button.clicked.connect(self.copy_instructions)
        self.permission_button = QPushButton("Allow in System Settings…")
        self.permission_button.clicked.connect(self.ask_permission)
        self._ask_permission = ask_permission
        if self.support.kind == "none":
            # No grab is possible here: the fields are kept (the config is shared with X11
            # sessions), but the way that works is a desktop shortcut.
            form.addRow("", self.support_label)
            form.addRow("", self.copy_button)
        elif self.support.message:
            # The desktop portal (Wayland) or macOS' Accessibility permission: say what to expect.
            if self.support.kind == "wayland-portal" and (text := assigned_text(assigned or {})):
                self.support_label.setText(f"{self.support.message}\n{text}")
            form.addRow("", self.support_label)
            self.copy_button.hide()
        else:
            self.support_label.hide()
            self.copy_button.hide()
        if self.support.kind == "macos":
            form.addRow("", self.permission_button)
        else:
            self.permission_button.hide()

        # The file on disk is the truth: it may have been added or removed by hand.
        self.start_at_login = QCheckBox("Start Kimai Tray when I &log in")
        self.start_at_login.setChecked(self._autostart.is_enabled())
        form.addRow("", self.start_at_login)

    def ask_permission(self) -> None:
        """macOS: show the system's Accessibility prompt (it lists the app to switch on)."""
        ask = self._ask_permission
        if ask is None:  # pragma: no cover - macOS only
            from kimai_tray.platform.macos_hotkeys import accessibility_trusted

            ask = accessibility_trusted
        if ask(True):
            self.support_label.setText("Kimai Tray may use global hotkeys.")
        else:
            self.support_label.setText(
                f"{self.support.message}\nAfter allowing it, quit and reopen Kimai Tray."
            )

    def copy_instructions(self) -> None:
        clipboard = QApplication.clipboard()
        clipboard.setText(self.instructions)
        self.support_label.setText(f"{self.support.message}\n(Copied to the clipboard.)")

    def apply(self, preferences: Preferences) -> Preferences:
        """`preferences` with this section's values; raises HotkeyError on an invalid text."""
        toggle = self.toggle_hotkey.text().strip() or Preferences().toggle_hotkey
        popup = self.popup_hotkey.text().strip() or Preferences().hotkey
        toggle_key, popup_key = parse_hotkey(toggle), parse_hotkey(popup)
        if toggle_key == popup_key:
            raise HotkeyError("The two hotkeys must differ.")
        return replace(
            preferences,
            toggle_hotkey=str(toggle_key),
            hotkey=str(popup_key),
            autostart=self.start_at_login.isChecked(),
        )

    def apply_autostart(self) -> None:
        """Write or remove the start-at-login entry to match the checkbox (raises OSError)."""
        wanted = self.start_at_login.isChecked()
        if wanted == self._autostart.is_enabled():
            return
        if wanted:
            self._autostart.enable()
        else:
            self._autostart.disable()
        log.info("start at login %s", "enabled" if wanted else "disabled")
