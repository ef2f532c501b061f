"""Start at login: XDG file checked with desktop-file-validate; Windows/macOS against fakes."""

from __future__ import annotations

import plistlib
import shutil
import subprocess
from pathlib import Path

import pytest

from kimai_tray import APP_ID
from kimai_tray.platform.autostart import (
    RUN_KEY,
    RUN_VALUE_NAME,
    MacLaunchAgent,
    WindowsRunKey,
    XdgAutostart,
    autostart_for_platform,
)


def test_xdg_enable_writes_valid_desktop_file_and_disable_removes_it(tmp_path: Path) -> None:
    autostart = XdgAutostart(config_home=tmp_path, command=["/opt/kimai tray/kimai-tray"])
    assert not autostart.is_enabled()

    autostart.enable()

    path = tmp_path / "autostart" / f"{APP_ID}.desktop"
    assert autostart.is_enabled() and path.is_file()
    text = path.read_text(encoding="utf-8")
    assert 'Exec="/opt/kimai tray/kimai-tray"' in text
    validator = shutil.which("desktop-file-validate")
    if validator is None:
        pytest.skip("desktop-file-validate is not installed (apt: desktop-file-utils)")
    result = subprocess.run([validator, str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr

    autostart.disable()
    assert not path.exists() and not autostart.is_enabled()
    autostart.disable()  # disabling twice is fine


def test_xdg_honours_xdg_config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    autostart = autostart_for_platform("linux")
    assert isinstance(autostart, XdgAutostart)
    assert autostart.path == tmp_path / "cfg" / "autostart" / f"{APP_ID}.desktop"


class FakeRegistry:
    """Stands in for HKEY_CURRENT_USER: winreg cannot run on this Linux machine."""

    def __init__(self) -> None:
        self.values: dict[tuple[str, str], str] = {}

    def get(self, key: str, name: str) -> str | None:
        return self.values.get((key, name))

    def set(self, key: str, name: str, value: str) -> None:
        self.values[(key, name)] = value

    def delete(self, key: str, name: str) -> None:
        self.values.pop((key, name), None)


def test_windows_run_key_round_trip_against_fake_registry() -> None:
    # Not exercised here: the real winreg calls in WinRegistry (Windows only).
    registry = FakeRegistry()
    autostart = WindowsRunKey(registry, command=[r"C:\Program Files\kimai-tray\kimai-tray.exe"])
    assert not autostart.is_enabled()
    autostart.enable()
    assert registry.values[(RUN_KEY, RUN_VALUE_NAME)] == (
        r'"C:\Program Files\kimai-tray\kimai-tray.exe"'
    )
    assert autostart.is_enabled()
    autostart.disable()
    assert not autostart.is_enabled()


def test_macos_launch_agent_plist(tmp_path: Path) -> None:
    # Not exercised here: launchd actually loading the agent (macOS only).
    autostart = MacLaunchAgent(home=tmp_path, command=["/Applications/kimai-tray.app/x"])
    autostart.enable()
    payload = plistlib.loads(autostart.path.read_bytes())
    assert payload["Label"] == APP_ID
    assert payload["RunAtLoad"] is True
    assert payload["ProgramArguments"] == ["/Applications/kimai-tray.app/x"]
    autostart.disable()
    assert not autostart.is_enabled()
