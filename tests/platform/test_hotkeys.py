"""Global hotkeys: a real X11 key grab under Xvfb, pressed with xdotool."""

from __future__ import annotations

import select
import time
from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from helpers.xvfb_fixtures import xdotool
from kimai_tray.platform.hotkeys import (
    WM_HOTKEY,
    Hotkey,
    HotkeyConflictError,
    HotkeyError,
    WindowsHotkeyBackend,
    X11HotkeyBackend,
    desktop_shortcut_instructions,
    hotkey_support,
    parse_hotkey,
)


def test_parse_hotkey_normalises_names() -> None:
    assert parse_hotkey("ctrl+ALT+t") == Hotkey(frozenset({"ctrl", "alt"}), "t")
    assert str(parse_hotkey("Control + Shift + F5")) == "Ctrl+Shift+F5"
    for bad in ("", "T", "Hyper+T", "Ctrl+Alt"):
        with pytest.raises(HotkeyError):
            parse_hotkey(bad)


@pytest.fixture
def x11(xvfb_display: str) -> Iterator[X11HotkeyBackend]:
    backend = X11HotkeyBackend(xvfb_display)
    yield backend
    backend.close()


def _wait_for_hotkey(backend: X11HotkeyBackend, timeout: float = 5.0) -> list[str]:
    """Block on the X connection's fd (like the app's QSocketNotifier) until a hotkey fires."""
    deadline = time.monotonic() + timeout
    fd = backend.fileno()
    assert fd is not None
    while time.monotonic() < deadline:
        fired = backend.poll()
        if fired:
            return fired
        select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
    return []


def test_x11_grab_fires_on_xdotool_keypress(x11: X11HotkeyBackend, xvfb_display: str) -> None:
    x11.register("toggle", parse_hotkey("Ctrl+Alt+T"))
    xdotool(xvfb_display, "key", "ctrl+alt+t")
    assert _wait_for_hotkey(x11) == ["toggle"]

    xdotool(xvfb_display, "key", "ctrl+t")  # without Alt: not ours
    xdotool(xvfb_display, "key", "ctrl+alt+t")
    assert _wait_for_hotkey(x11) == ["toggle"]


@pytest.mark.parametrize(("text", "keys"), [("Ctrl+Space", "ctrl+space"), ("Super+F9", "super+F9")])
def test_x11_named_keys_the_recorder_offers_are_grabbed(
    x11: X11HotkeyBackend, xvfb_display: str, text: str, keys: str
) -> None:
    """Xlib spells Space only in lower case; F-keys capitalised: both must resolve."""
    x11.register("popup", parse_hotkey(text))
    xdotool(xvfb_display, "key", keys)
    assert _wait_for_hotkey(x11) == ["popup"]


def test_x11_grab_still_fires_with_numlock_on(x11: X11HotkeyBackend, xvfb_display: str) -> None:
    x11.register("popup", parse_hotkey("Ctrl+Alt+K"))
    xdotool(xvfb_display, "key", "Num_Lock")
    try:
        xdotool(xvfb_display, "key", "ctrl+alt+k")
        assert _wait_for_hotkey(x11) == ["popup"]
    finally:
        xdotool(xvfb_display, "key", "Num_Lock")


def test_x11_combination_owned_by_another_client_is_reported(
    x11: X11HotkeyBackend, xvfb_display: str
) -> None:
    x11.register("toggle", parse_hotkey("Ctrl+Alt+J"))
    other = X11HotkeyBackend(xvfb_display)
    try:
        with pytest.raises(HotkeyConflictError) as info:
            other.register("toggle", parse_hotkey("Ctrl+Alt+J"))
        assert "Another program already uses Ctrl+Alt+J" in info.value.user_message
    finally:
        other.close()


class FakeUser32:
    """Stands in for user32.dll: RegisterHotKey cannot run on this Linux machine."""

    def __init__(self, taken: set[tuple[int, int]] | None = None) -> None:
        self.taken = taken or set()
        self.registered: dict[int, tuple[int, int]] = {}

    def RegisterHotKey(self, hwnd: object, id: int, modifiers: int, vk: int) -> int:
        if (modifiers & 0xF, vk) in self.taken:
            return 0
        self.registered[id] = (modifiers, vk)
        return 1

    def UnregisterHotKey(self, hwnd: object, id: int) -> int:
        return int(self.registered.pop(id, None) is not None)


def test_windows_backend_maps_modifiers_and_reports_conflicts() -> None:
    # Not exercised here: the native event filter that delivers WM_HOTKEY on Windows.
    user32 = FakeUser32(taken={(0x2 | 0x1, ord("X"))})
    backend = WindowsHotkeyBackend(user32)
    backend.register("toggle", parse_hotkey("Ctrl+Alt+T"))
    assert user32.registered[1] == (0x4000 | 0x2 | 0x1, ord("T"))
    assert backend.handle_message(WM_HOTKEY, 1) is True
    assert backend.handle_message(WM_HOTKEY, 99) is False
    assert backend.poll() == ["toggle"] and backend.poll() == []
    with pytest.raises(HotkeyConflictError):
        backend.register("popup", parse_hotkey("Ctrl+Alt+X"))
    backend.close()
    assert user32.registered == {}


def test_wayland_without_portal_explains_desktop_shortcut() -> None:
    support = hotkey_support(
        {"WAYLAND_DISPLAY": "wayland-0", "XDG_CURRENT_DESKTOP": "GNOME"},
        platform="linux",
        portal_version=lambda: None,
    )
    assert support.kind == "none"
    assert "kimai-tray toggle" in support.message and "Keyboard" in support.message
    assert hotkey_support({"WAYLAND_DISPLAY": "w"}, "linux", lambda: 1).kind == "wayland-portal"
    assert hotkey_support({"DISPLAY": ":0"}, "linux").kind == "x11"
    assert "System Settings" in desktop_shortcut_instructions("KDE")


def test_windows_hotkey_reaches_the_qt_service_through_the_native_filter(qtbot: QtBot) -> None:
    # Not exercised here: decoding Windows' MSG structure in nativeEventFilter (Windows only);
    # the filter's handling from (message, wParam) on is the same code.
    from kimai_tray.platform.hotkey_service import QtHotkeyService, WindowsHotkeyFilter

    backend = WindowsHotkeyBackend(FakeUser32())
    service = QtHotkeyService(backend)
    try:
        service.register("toggle", "Ctrl+Alt+T")
        native_filter = service._filter
        assert isinstance(native_filter, WindowsHotkeyFilter)
        with qtbot.waitSignal(service.activated, timeout=5000) as fired:
            assert native_filter.on_message(WM_HOTKEY, 1) is True
        assert fired.args == ["toggle"]
        assert native_filter.on_message(WM_HOTKEY + 1, 1) is False
    finally:
        service.close()
