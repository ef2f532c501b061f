"""GlobalHotkeys without an X server: where grabs are impossible, nothing is attempted.

The real X11 grab, key press and conflict paths run under Xvfb in tests/ipc/test_hotkey_xvfb.py;
the Wayland portal path in tests/ui/test_global_hotkeys_portal.py.
Windows (RegisterHotKey) is not wired into the app yet, so it is treated like "no grab" here.
"""

from __future__ import annotations

from kimai_tray.platform.config import Preferences
from kimai_tray.platform.hotkeys import HotkeyBackend, HotkeySupport
from kimai_tray.platform.portal_shortcuts import PortalShortcuts
from kimai_tray.ui.global_hotkeys import GlobalHotkeys, wanted_hotkeys


def no_backend() -> HotkeyBackend:
    raise AssertionError("no key grab may be attempted on this desktop")


def no_portal(on_activated: object) -> PortalShortcuts:
    raise AssertionError("the portal may only be asked where the desktop offers it")


def test_no_grab_where_the_desktop_forbids_it() -> None:
    reports: list[str] = []
    hotkeys = GlobalHotkeys(
        {}, reports.append, support=HotkeySupport("none", "Use a desktop shortcut."),
        make_backend=no_backend, make_portal=no_portal,
    )  # fmt: skip
    assert hotkeys.apply(Preferences()) == []
    assert reports == [] and hotkeys.registered == {}
    hotkeys.close()


def test_windows_grabs_through_register_hotkey(qtbot: object) -> None:
    # Not exercised here: the real user32.dll (Windows only); a fake stands in for it.
    from kimai_tray.platform.hotkeys import WindowsHotkeyBackend

    class FakeUser32:
        def __init__(self) -> None:
            self.registered: dict[int, tuple[int, int]] = {}

        def RegisterHotKey(self, hwnd: object, id: int, modifiers: int, vk: int) -> int:
            self.registered[id] = (modifiers, vk)
            return 1

        def UnregisterHotKey(self, hwnd: object, id: int) -> int:
            return int(self.registered.pop(id, None) is not None)

    user32 = FakeUser32()
    hotkeys = GlobalHotkeys(
        {}, [].append, support=HotkeySupport("windows", ""),
        make_backend=lambda: WindowsHotkeyBackend(user32),
    )  # fmt: skip
    assert hotkeys.apply(Preferences()) == []
    assert hotkeys.registered == {"toggle": "Ctrl+Alt+T", "popup": "Ctrl+Alt+K"}
    assert sorted(vk for _, vk in user32.registered.values()) == [ord("K"), ord("T")]
    hotkeys.close()
    assert user32.registered == {}


def test_defaults_toggle_and_popup_differ() -> None:
    assert wanted_hotkeys(Preferences()) == {"toggle": "Ctrl+Alt+T", "popup": "Ctrl+Alt+K"}
