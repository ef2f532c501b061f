"""Idle sources: real X11 idle time under Xvfb; D-Bus/Windows/macOS against fakes of their edge."""

from __future__ import annotations

import pytest

from helpers.xvfb_fixtures import xdotool
from kimai_tray.platform.idle import (
    FREEDESKTOP,
    MUTTER,
    DBusIdleSource,
    MacIdleSource,
    X11IdleSource,
    detect_idle_source,
    windows_idle_from_ticks,
)


def test_x11_idle_time_is_real_and_resets_on_input(xvfb_display: str) -> None:
    source = X11IdleSource(xvfb_display)
    try:
        xdotool(xvfb_display, "mousemove", "10", "10")
        after_input = source.idle_seconds()
        assert after_input is not None and after_input < 1.0
        # Idle time must grow while nobody touches the (virtual) keyboard: wait on X itself.
        xdotool(xvfb_display, "sleep", "0.3")
        later = source.idle_seconds()
        assert later is not None and later >= after_input + 0.25
        xdotool(xvfb_display, "key", "shift")
        reset = source.idle_seconds()
        assert reset is not None and reset < later
    finally:
        source.close()


def test_detect_prefers_x11_when_display_is_x(xvfb_display: str) -> None:
    def no_bus(*_: str) -> object:
        raise OSError("no bus here")

    found = detect_idle_source({"DISPLAY": xvfb_display}, "linux", bus_call=no_bus)
    assert isinstance(found.source, X11IdleSource)
    found.source.close()


def test_detect_says_so_when_nothing_reports_idle_time() -> None:
    def no_bus(*_: str) -> object:
        raise OSError("no bus here")

    found = detect_idle_source({}, "linux", bus_call=no_bus)
    assert found.source is None
    assert "does not report idle time" in found.reason


def test_dbus_sources_read_milliseconds() -> None:
    # Fake of the session bus: GNOME Shell / KDE are not running on this machine.
    calls: list[tuple[str, str, str, str]] = []

    def bus(service: str, path: str, interface: str, method: str) -> object:
        calls.append((service, path, interface, method))
        if service == MUTTER[0]:
            raise OSError("not GNOME")
        return 90_500

    found = detect_idle_source({"WAYLAND_DISPLAY": "wayland-0"}, "linux", bus_call=bus)
    assert found.source is not None and found.source.name == "freedesktop screen saver"
    assert found.source.idle_seconds() == pytest.approx(90.5)
    assert calls[0] == MUTTER and calls[1] == FREEDESKTOP
    assert DBusIdleSource("x", lambda *a: "garbage", MUTTER).idle_seconds() is None


def test_windows_tick_arithmetic_survives_wraparound() -> None:
    # Not exercised here: the GetLastInputInfo ctypes call (Windows only).
    assert windows_idle_from_ticks(10_000, 4_000) == 6.0
    assert windows_idle_from_ticks(1_000, 0xFFFFFFFF - 999) == 2.0


def test_mac_hid_idle_time_parsed_from_ioreg() -> None:
    # Not exercised here: running ioreg (macOS only).
    output = '    |   "HIDIdleTime" = 4200000000\n'
    assert MacIdleSource(run=lambda: output).idle_seconds() == pytest.approx(4.2)
    assert MacIdleSource(run=lambda: "nothing").idle_seconds() is None
