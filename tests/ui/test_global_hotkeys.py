"""GlobalHotkeys without an X server: where grabs are impossible, nothing is attempted.

The real X11 grab, key press and conflict paths run under Xvfb in tests/ipc/test_hotkey_xvfb.py.
Windows (RegisterHotKey) is not wired into the app yet, so it is treated like "no grab" here.
"""

from __future__ import annotations

import pytest

from kimai_tray.platform.config import Preferences
from kimai_tray.platform.hotkeys import HotkeyBackend, HotkeySupport
from kimai_tray.ui.global_hotkeys import GlobalHotkeys, wanted_hotkeys


def no_backend() -> HotkeyBackend:
    raise AssertionError("no key grab may be attempted on this desktop")


@pytest.mark.parametrize("kind", ["none", "wayland-portal", "windows"])
def test_no_grab_where_the_desktop_forbids_it(kind: str) -> None:
    reports: list[str] = []
    hotkeys = GlobalHotkeys(
        {}, reports.append, support=HotkeySupport(kind, "Use a desktop shortcut."),
        make_backend=no_backend,
    )  # fmt: skip
    assert hotkeys.apply(Preferences()) == []
    assert reports == [] and hotkeys.registered == {}
    hotkeys.close()


def test_defaults_toggle_and_popup_differ() -> None:
    assert wanted_hotkeys(Preferences()) == {"toggle": "Ctrl+Alt+T", "popup": "Ctrl+Alt+K"}
