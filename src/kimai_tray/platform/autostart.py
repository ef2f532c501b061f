"""Start at login: an XDG autostart file on Linux, the Run key on Windows, a LaunchAgent on macOS.

One small interface (`Autostart`) with one implementation per platform. The Windows and macOS
implementations take their OS edge (registry, home folder) as parameters so they can be unit
tested here; only `winreg` itself cannot run on this machine.
"""

from __future__ import annotations

import os
import plistlib
import shlex
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from kimai_tray import APP_ID

RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
RUN_VALUE_NAME = "kimai-tray"


class Autostart(Protocol):
    def is_enabled(self) -> bool: ...

    def enable(self) -> None: ...

    def disable(self) -> None: ...


def launch_command() -> list[str]:
    """The command that starts this kimai-tray installation (bundle, script or module)."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    script = shutil.which("kimai-tray")
    if script:
        return [script]
    return [sys.executable, "-m", "kimai_tray"]


def _desktop_exec(command: Sequence[str]) -> str:
    # The Desktop Entry spec quotes with double quotes and escapes ", `, $ and \ inside them.
    def quote(arg: str) -> str:
        if arg and all(c.isalnum() or c in "/._-+=:," for c in arg):
            return arg
        escaped = "".join("\\" + c if c in '"`$\\' else c for c in arg)
        return f'"{escaped}"'

    return " ".join(quote(a) for a in command)


class XdgAutostart:
    """`$XDG_CONFIG_HOME/autostart/<app id>.desktop` (freedesktop Desktop Application Autostart)."""

    def __init__(
        self, config_home: Path | None = None, command: Sequence[str] | None = None
    ) -> None:
        base = config_home or Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
        self.path = base / "autostart" / f"{APP_ID}.desktop"
        self._command = list(command) if command is not None else launch_command()

    def is_enabled(self) -> bool:
        return self.path.is_file()

    def enable(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = (
            "[Desktop Entry]\n"
            "Type=Application\n"
            "Name=kimai-tray\n"
            "Comment=Time tracking for Kimai in the system tray\n"
            f"Exec={_desktop_exec(self._command)}\n"
            f"Icon={APP_ID}\n"
            "Terminal=false\n"
            "Categories=Office;ProjectManagement;\n"
            "X-GNOME-Autostart-enabled=true\n"
            # The tray needs the panel; starting a few seconds late avoids "no tray" at login.
            "X-GNOME-Autostart-Delay=3\n"
        )
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, self.path)

    def disable(self) -> None:
        self.path.unlink(missing_ok=True)


class Registry(Protocol):
    """The three registry operations the Run key needs (HKEY_CURRENT_USER)."""

    def get(self, key: str, name: str) -> str | None: ...

    def set(self, key: str, name: str, value: str) -> None: ...

    def delete(self, key: str, name: str) -> None: ...


class WinRegistry:  # pragma: no cover - needs Windows
    """The real HKEY_CURRENT_USER through `winreg`."""

    def get(self, key: str, name: str) -> str | None:
        import winreg  # type: ignore[import-not-found,unused-ignore]

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, key) as handle:  # type: ignore[attr-defined,unused-ignore]
                value, _ = winreg.QueryValueEx(handle, name)  # type: ignore[attr-defined,unused-ignore]
                return str(value)
        except OSError:
            return None

    def set(self, key: str, name: str, value: str) -> None:
        import winreg  # type: ignore[import-not-found,unused-ignore]

        with winreg.CreateKey(winreg.HKEY_CURRENT_USER, key) as handle:  # type: ignore[attr-defined,unused-ignore]
            winreg.SetValueEx(handle, name, 0, winreg.REG_SZ, value)  # type: ignore[attr-defined,unused-ignore]

    def delete(self, key: str, name: str) -> None:
        import winreg  # type: ignore[import-not-found,unused-ignore]

        try:
            with winreg.OpenKey(  # type: ignore[attr-defined,unused-ignore]
                winreg.HKEY_CURRENT_USER,  # type: ignore[attr-defined,unused-ignore]
                key,
                0,
                winreg.KEY_SET_VALUE,  # type: ignore[attr-defined,unused-ignore]
            ) as handle:
                winreg.DeleteValue(handle, name)  # type: ignore[attr-defined,unused-ignore]
        except FileNotFoundError:
            pass


class WindowsRunKey:
    """`HKCU\\...\\CurrentVersion\\Run` value `kimai-tray`."""

    def __init__(self, registry: Registry, command: Sequence[str] | None = None) -> None:
        self._registry = registry
        self._command = list(command) if command is not None else launch_command()

    def is_enabled(self) -> bool:
        return self._registry.get(RUN_KEY, RUN_VALUE_NAME) is not None

    def enable(self) -> None:
        value = " ".join(f'"{a}"' if " " in a else a for a in self._command)
        self._registry.set(RUN_KEY, RUN_VALUE_NAME, value)

    def disable(self) -> None:
        self._registry.delete(RUN_KEY, RUN_VALUE_NAME)


class MacLaunchAgent:
    """`~/Library/LaunchAgents/<app id>.plist` with RunAtLoad."""

    def __init__(self, home: Path | None = None, command: Sequence[str] | None = None) -> None:
        self.path = (home or Path.home()) / "Library" / "LaunchAgents" / f"{APP_ID}.plist"
        self._command = list(command) if command is not None else launch_command()

    def is_enabled(self) -> bool:
        return self.path.is_file()

    def enable(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "Label": APP_ID,
            "ProgramArguments": self._command,
            "RunAtLoad": True,
            "ProcessType": "Interactive",
        }
        self.path.write_bytes(plistlib.dumps(payload))

    def disable(self) -> None:
        self.path.unlink(missing_ok=True)


def autostart_for_platform(platform: str = sys.platform) -> Autostart:
    """The autostart mechanism of this OS."""
    if platform == "win32":  # pragma: no cover - needs Windows
        return WindowsRunKey(WinRegistry())
    if platform == "darwin":
        return MacLaunchAgent()
    return XdgAutostart()


def describe_command(command: Sequence[str]) -> str:
    """A shell-quoted command line, for messages."""
    return shlex.join(command)
