"""A tray host (trayer) that starts after the app, on a real X server (Xvfb).

Panels often start after autostart apps: the app must begin as a window and turn into a tray
icon with a popup once the host is there. Driven like test_tray_e2e.py: the app is a
subprocess, observed through its log lines and the X server (xdotool), clicked with xdotool.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_tray_e2e import App, Desktop, wait_until

from helpers.xvfb_fixtures import start_xvfb

pytestmark = pytest.mark.xvfb

TRAYER = ["trayer", "--edge", "top", "--align", "right", "--widthtype", "request",
          "--height", "32", "--transparent", "false", "--SetDockType", "true"]  # fmt: skip
WINDOW_TITLE = "^Kimai Tray$"  # the popup while it is a window (ui/tray_host.py)


@pytest.fixture
def bare_desktop() -> Iterator[Desktop]:
    """Xvfb without a tray host; the test starts trayer itself."""
    missing = [tool for tool in ("Xvfb", "trayer", "xdotool") if not shutil.which(tool)]
    if missing:
        pytest.skip(f"late tray host test needs {', '.join(missing)} (apt: xvfb trayer xdotool)")
    xvfb, display = start_xvfb()
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    env["DISPLAY"] = display
    try:
        yield Desktop(display, env)
    finally:
        xvfb.terminate()
        xvfb.wait(timeout=10)


def visible_windows(desktop: Desktop, title: str) -> list[str]:
    """X window ids of mapped windows whose title matches `title` (a regex)."""
    result = subprocess.run(
        ["xdotool", "search", "--onlyvisible", "--name", title],
        env=desktop.env, capture_output=True, text=True, timeout=10, check=False,
    )  # fmt: skip
    return result.stdout.split()


def window_type(desktop: Desktop, window: str) -> str:
    result = subprocess.run(
        ["xprop", "-id", window, "_NET_WM_WINDOW_TYPE"],
        env=desktop.env, capture_output=True, text=True, timeout=10, check=False,
    )  # fmt: skip
    return result.stdout


def test_window_turns_into_tray_popup_when_a_tray_host_starts_later(
    bare_desktop: Desktop, tmp_path: Path
) -> None:
    desktop = bare_desktop
    app = App(desktop, tmp_path / "home", tmp_path / "app.log")
    trayer: subprocess.Popen[bytes] | None = None
    try:
        app.wait_line(r"no system tray available; showing the window instead")
        wait_until("the window on screen", lambda: visible_windows(desktop, WINDOW_TITLE))
        assert app.count("tray became available") == 0

        trayer = subprocess.Popen(
            TRAYER, env=desktop.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        app.wait_line(r"kimai-tray: tray became available")
        # Embedded by the host: it placed the icon somewhere real (not 0,0).
        x, y = app.icon_centre()
        # The window went back to being the popup: hidden until the icon is clicked.
        wait_until("the window to be gone", lambda: not visible_windows(desktop, WINDOW_TITLE))
        shown = app.count("kimai-tray: popup shown")
        desktop.xdotool("mousemove", str(x), str(y), "click", "1")
        wait_until("the popup", lambda: app.count("kimai-tray: popup shown") > shown)
        # Opened as the popup again, not as the titled window.
        assert not visible_windows(desktop, WINDOW_TITLE)
        if shutil.which("xprop"):  # x11-utils: the window type says "popup" (Qt.Tool) too
            types = [window_type(desktop, w) for w in visible_windows(desktop, "")]
            assert any("_NET_WM_WINDOW_TYPE_UTILITY" in t for t in types), types
        app.proc.send_signal(signal.SIGTERM)
    finally:
        code = app.close()
        if trayer is not None:
            trayer.terminate()
            trayer.wait(timeout=10)
    assert code == 0, app.log.read_text()
    assert "kimai-tray: stopped" in app.lines()
