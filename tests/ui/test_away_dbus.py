"""Screen lock/unlock over a real D-Bus session bus (a private one from dbus-run-session)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CHILD = Path(__file__).with_name("away_dbus_child.py")


@pytest.mark.skipif(
    shutil.which("dbus-run-session") is None, reason="needs dbus-run-session (apt dbus)"
)
def test_screen_saver_signals_on_the_session_bus_open_the_dialog_for_long_locks() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    done = subprocess.run(
        ["dbus-run-session", "--", sys.executable, str(CHILD)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert done.returncode == 0 and lines, done.stderr[-2000:]
    assert json.loads(lines[-1]) == {
        "connected": True,
        "lock_seen": True,
        "short_unlock_seen": True,
        "dialog_after_short_lock": False,
        "reason": "lock",
        "seconds": 1800.0,
    }
