"""How long has the user been away? One interface, one source per desktop; never a guess.

- X11: the MIT-SCREEN-SAVER extension (`XScreenSaverQueryInfo().idle`, ms) via python-xlib.
- GNOME (also on Wayland): `org.gnome.Mutter.IdleMonitor.GetIdletime` (ms) on the session bus.
- KDE / freedesktop: `org.freedesktop.ScreenSaver.GetSessionIdleTime` (ms on KDE).
- Windows: `GetLastInputInfo` against `GetTickCount`. macOS: `HIDIdleTime` (ns) from `ioreg`.

`detect_idle_source()` returns None with a reason when nothing applies, so settings can say so.
The D-Bus, Windows and macOS sources cannot run on this machine; they are small and tested
against fakes of their edge (a bus call, user32, the ioreg output).
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol


class IdleSource(Protocol):
    name: str

    def idle_seconds(self) -> float | None:
        """Seconds since the last keyboard/mouse input, or None when it cannot be read now."""
        ...


class X11IdleSource:
    name = "X11 screen saver extension"

    def __init__(self, display_name: str | None = None) -> None:
        from Xlib import display as xdisplay
        from Xlib.ext import screensaver  # noqa: F401 - registers the extension methods

        self._display: Any = xdisplay.Display(display_name)
        if not self._display.has_extension("MIT-SCREEN-SAVER"):
            self._display.close()
            raise OSError("the X server has no MIT-SCREEN-SAVER extension")
        self._root: Any = self._display.screen().root

    def idle_seconds(self) -> float | None:
        try:
            return float(self._root.screensaver_query_info().idle) / 1000.0
        except Exception:  # a broken X connection must not take the app down
            return None

    def close(self) -> None:
        self._display.close()


BusCall = Callable[[str, str, str, str], object]
"""(service, path, interface, method) -> reply value, or raises OSError."""


class DBusIdleSource:
    """A session-bus idle query (GNOME Mutter or freedesktop ScreenSaver), reply in ms."""

    def __init__(self, name: str, call: BusCall, target: tuple[str, str, str, str]) -> None:
        self.name = name
        self._call = call
        self._target = target

    def idle_seconds(self) -> float | None:
        try:
            value = self._call(*self._target)
        except OSError:
            return None
        if isinstance(value, int | float) and value >= 0:
            return float(value) / 1000.0
        return None


MUTTER = (
    "org.gnome.Mutter.IdleMonitor",
    "/org/gnome/Mutter/IdleMonitor/Core",
    "org.gnome.Mutter.IdleMonitor",
    "GetIdletime",
)
FREEDESKTOP = (
    "org.freedesktop.ScreenSaver",
    "/org/freedesktop/ScreenSaver",
    "org.freedesktop.ScreenSaver",
    "GetSessionIdleTime",
)


def qt_bus_call(service: str, path: str, interface: str, method: str) -> object:
    """A blocking call on the session bus through QtDBus (local and fast)."""
    from PySide6.QtDBus import QDBusConnection, QDBusInterface, QDBusMessage

    bus = QDBusConnection.sessionBus()
    if not bus.isConnected():
        raise OSError("no D-Bus session bus")
    reply = QDBusInterface(service, path, interface, bus).call(method)
    if reply.type() == QDBusMessage.MessageType.ErrorMessage:
        raise OSError(reply.errorMessage())
    args = reply.arguments()
    return args[0] if args else None


class WindowsIdleSource:  # pragma: no cover - the ctypes structures need Windows
    name = "Windows GetLastInputInfo"

    def idle_seconds(self) -> float | None:
        import ctypes

        class LastInputInfo(ctypes.Structure):
            _fields_ = [("cbSize", ctypes.c_uint), ("dwTime", ctypes.c_uint)]

        info = LastInputInfo()
        info.cbSize = ctypes.sizeof(info)
        user32 = ctypes.windll.user32  # type: ignore[attr-defined]
        if not user32.GetLastInputInfo(ctypes.byref(info)):
            return None
        ticks = ctypes.windll.kernel32.GetTickCount()  # type: ignore[attr-defined]
        return windows_idle_from_ticks(int(ticks), int(info.dwTime))


def windows_idle_from_ticks(now_ticks: int, last_input_ticks: int) -> float:
    """Idle seconds from two 32-bit millisecond tick counts (they wrap every 49.7 days)."""
    return ((now_ticks - last_input_ticks) & 0xFFFFFFFF) / 1000.0


_HID_IDLE = re.compile(r'"HIDIdleTime"\s*=\s*(\d+)')


class MacIdleSource:
    name = "macOS HIDIdleTime"

    def __init__(self, run: Callable[[], str] | None = None) -> None:
        self._run = run or _ioreg_output

    def idle_seconds(self) -> float | None:
        try:
            match = _HID_IDLE.search(self._run())
        except OSError:
            return None
        return int(match.group(1)) / 1e9 if match else None


def _ioreg_output() -> str:  # pragma: no cover - macOS only
    return subprocess.run(
        ["ioreg", "-c", "IOHIDSystem", "-d", "4"], capture_output=True, text=True, check=True
    ).stdout


@dataclass(frozen=True, slots=True)
class IdleDetection:
    source: IdleSource | None
    reason: str  # why there is none, for the settings dialog


def detect_idle_source(
    env: Mapping[str, str] | None = None,
    platform: str = sys.platform,
    bus_call: BusCall | None = None,
) -> IdleDetection:
    """The first idle source that answers here; None with a one-sentence reason otherwise."""
    env = os.environ if env is None else env
    if platform == "win32":  # pragma: no cover - Windows only
        return IdleDetection(WindowsIdleSource(), "")
    if platform == "darwin":  # pragma: no cover - macOS only
        return IdleDetection(MacIdleSource(), "")
    call = bus_call or qt_bus_call
    candidates: list[IdleSource] = [
        DBusIdleSource("GNOME idle monitor", call, MUTTER),
        DBusIdleSource("freedesktop screen saver", call, FREEDESKTOP),
    ]
    wayland = bool(env.get("WAYLAND_DISPLAY")) or env.get("XDG_SESSION_TYPE") == "wayland"
    if env.get("DISPLAY") and not wayland:
        # No usable X idle: fall through to the D-Bus sources.
        with contextlib.suppress(Exception):
            candidates.insert(0, X11IdleSource(env["DISPLAY"]))
    for source in candidates:
        if source.idle_seconds() is not None:
            return IdleDetection(source, "")
    return IdleDetection(
        None,
        "This desktop does not report idle time, so kimai-tray cannot notice when you are away.",
    )
