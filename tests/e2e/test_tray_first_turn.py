"""On a real tray (Xvfb + trayer, XEmbed) the first icon comes before the comforts, and the
comforts (favourites, totals) are still built and wired right after it.

The app runs as a subprocess; only its log lines are read.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from bench.desktop import missing_tools, real_tray

from kimai_tray.context import AppContext

pytestmark = pytest.mark.xvfb

WAIT_S = 60.0  # generous: Xvfb, trayer, the app and other suites share two cores
FAVOURITES_TOLD = "told the user (tray message)"


def _wait_for_line(log: Path, proc: subprocess.Popen[bytes], needle: str) -> list[str]:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        lines = log.read_text().splitlines()
        if any(needle in line and "favourites.sqlite" in line for line in lines):
            return lines
        if proc.poll() is not None:
            pytest.fail(f"app exited early:\n{log.read_text()}")
        time.sleep(0.05)  # poll interval of a bounded wait, not a fixed delay
    pytest.fail(f"timed out waiting for {needle!r}:\n{log.read_text()}")


def test_comforts_are_built_after_the_first_icon_and_still_wired(tmp_path: Path) -> None:
    if missing := missing_tools():
        pytest.skip(f"needs {', '.join(missing)} (apt: xvfb trayer)")
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    env["KIMAI_TRAY_HOME"] = str(home)
    ctx = AppContext.build(env, log_to_file=False)
    try:
        data = ctx.profile_data_dir()
    finally:
        ctx.close()
    # Only the comforts open this file: its one-sentence notice proves they were built and
    # wired to the tray (it goes out as a tray message), and when.
    (data / "favourites.sqlite").write_bytes(b"not SQLite " * 100)
    log = tmp_path / "app.log"
    with real_tray() as desktop, log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "kimai_tray"], env=desktop.env(env), stderr=out
        )
        try:
            lines = _wait_for_line(log, proc, FAVOURITES_TOLD)
        finally:
            proc.terminate()
            proc.wait(timeout=WAIT_S)
    assert proc.returncode == 0, log.read_text()

    def index(text: str) -> int:
        return next(i for i, line in enumerate(lines) if text in line)

    assert not any("no system tray available" in line for line in lines)
    shown = index("kimai-tray: tray shown")
    rendered = index("kimai-tray: first state rendered")
    # Logged by the comforts as they open the file, i.e. when they are built: after the
    # first icon (they are not needed for it), before the popup (which shows them).
    opened = index("favourites.sqlite is damaged")
    popup = index("kimai-tray: building the popup")
    told = index(FAVOURITES_TOLD)
    assert shown < rendered < opened < popup
    assert opened < told
    # The damaged file was kept aside (not deleted) when the comforts opened it.
    assert (data / "favourites.sqlite.broken-0").is_file()
