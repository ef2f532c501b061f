"""End to end on a real X server: Xvfb + trayer (XEmbed tray host) + the app as a subprocess.

The test drives the app only the way a user would (xdotool clicks and keys) and reads its
log lines; in demo mode it checks the in-process simulator over real HTTP.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers.xvfb_fixtures import start_xvfb

pytestmark = pytest.mark.xvfb

DEMO_TOKEN = "kimai-tray-demo-token"
# Generous: a full CI run loads both cores (Xvfb, trayer, the app and the tests share them).
WAIT_S = 60.0
ATTEMPT_S = 5.0  # how long one user action may take to show its effect before it is repeated


@dataclass
class Desktop:
    display: str
    env: dict[str, str]

    def xdotool(self, *args: str) -> None:
        subprocess.run(["xdotool", *args], env=self.env, check=True, timeout=10)

    def menu_keys(self, app: App, x: int, y: int, *keys: str) -> None:
        """Open the tray menu (right click on the icon), wait until it opens, press `keys`."""
        shown = app.count("kimai-tray: menu shown")
        self.xdotool("mousemove", str(x), str(y), "click", "3")
        # The app logs when the menu is about to show: keys sent earlier would be lost.
        wait_until("the tray menu", lambda: app.count("kimai-tray: menu shown") > shown, ATTEMPT_S)
        self.xdotool("key", "--delay", "100", *keys)

    def search_and_start(self, query: str) -> None:
        self.xdotool("key", "ctrl+a")
        self.xdotool("type", "--delay", "20", query)
        self.xdotool("key", "Return")

    def screenshot(self, path: Path) -> None:
        subprocess.run(["import", "-window", "root", str(path)], env=self.env, timeout=30)


@pytest.fixture
def desktop() -> Iterator[Desktop]:
    missing = [tool for tool in ("Xvfb", "trayer", "xdotool", "import") if not shutil.which(tool)]
    if missing:
        pytest.skip(
            f"E2E tray test needs {', '.join(missing)} (apt: xvfb trayer xdotool imagemagick)"
        )
    xvfb, display = start_xvfb()
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    env["DISPLAY"] = display
    trayer = subprocess.Popen(
        ["trayer", "--edge", "top", "--align", "right", "--widthtype", "request", "--height", "32",
         "--transparent", "false", "--SetDockType", "true"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        yield Desktop(display, env)
    finally:
        for proc in (trayer, xvfb):
            proc.terminate()
            proc.wait(timeout=10)


def wait_until(what: str, check: Callable[[], object], timeout: float = WAIT_S) -> object:
    """Poll `check` until it returns something truthy; fail with `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.05)  # poll interval of a bounded wait, not a fixed delay
    pytest.fail(f"timed out waiting for {what}")


def act_until(what: str, action: Callable[[], None], done: Callable[[], object]) -> None:
    """Repeat a user action until `done`: the UI may not be ready at first, or a key got lost.

    Each attempt (the action, e.g. waiting for the menu, and its effect) has ATTEMPT_S.
    """
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        try:
            action()
            wait_until(what, done, timeout=ATTEMPT_S)
            return
        except pytest.fail.Exception:
            continue
    pytest.fail(f"timed out waiting for {what}")


class App:
    def __init__(self, desktop: Desktop, home: Path, log: Path, *args: str) -> None:
        self.log = log
        env = {**desktop.env, "KIMAI_TRAY_HOME": str(home)}
        self._file = log.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kimai_tray", *args], env=env, stderr=self._file
        )

    def lines(self) -> list[str]:
        return self.log.read_text().splitlines()

    def count(self, text: str) -> int:
        return sum(text in line for line in self.lines())

    def quit_requested(self) -> bool:
        """Quit was chosen: the app logs it at once; shutting down may take longer under load."""
        return self.proc.poll() is not None or self.count("kimai-tray: quitting") > 0

    def wait_line(self, pattern: str) -> re.Match[str]:
        regex = re.compile(pattern)

        def find() -> re.Match[str] | None:
            if self.proc.poll() is not None:
                pytest.fail(f"app exited early:\n{self.log.read_text()}")
            return next((m for line in self.lines() if (m := regex.search(line))), None)

        found = wait_until(pattern, find)
        assert isinstance(found, re.Match)
        return found

    def icon_centre(self) -> tuple[int, int]:
        """Where trayer put the icon: the app logs each geometry change; use a real position."""
        self.wait_line(r"tray shown")

        def placed() -> tuple[int, int] | None:
            geos = [
                re.search(r"tray geometry (\d+),(\d+),(\d+),(\d+)", line) for line in self.lines()
            ]
            real = [g for g in geos if g and (int(g[1]), int(g[2])) != (0, 0)]
            if not real:
                return None
            x, y, w, h = (int(v) for v in real[-1].groups())
            return x + w // 2, y + h // 2

        centre = wait_until("the tray icon to be placed", placed)
        assert isinstance(centre, tuple)
        return centre

    def close(self) -> int:
        """Wait for the exit the test asked for; a test that failed early gets a SIGTERM."""
        try:
            return self.proc.wait(timeout=WAIT_S)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            return self.proc.wait(timeout=WAIT_S)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self._file.close()


def test_tray_click_opens_popup_and_menu_quits(desktop: Desktop, tmp_path: Path) -> None:
    app = App(desktop, tmp_path / "home", tmp_path / "app.log")
    try:
        x, y = app.icon_centre()
        assert not any("no system tray available" in line for line in app.lines())
        desktop.xdotool("mousemove", str(x), str(y), "click", "1")
        app.wait_line(r"kimai-tray: popup shown")
        desktop.screenshot(tmp_path / "popup.png")
        desktop.xdotool("mousemove", str(x), str(y), "click", "3")
        desktop.screenshot(tmp_path / "menu.png")
        desktop.xdotool("key", "Escape")
        # Up from an unselected menu wraps to its last item, which is Quit.
        act_until(
            "Quit from the menu",
            lambda: desktop.menu_keys(app, x, y, "Up", "Return"),
            app.quit_requested,
        )
    finally:
        code = app.close()
    assert code == 0, app.log.read_text()
    assert "kimai-tray: stopped" in app.lines()


def active_timesheets(url: str) -> list[dict[str, object]]:
    request = urllib.request.Request(
        f"{url}/api/timesheets/active", headers={"Authorization": f"Bearer {DEMO_TOKEN}"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        data = json.load(response)
    assert isinstance(data, list)
    return data


@pytest.mark.slow
@pytest.mark.skipif(
    __import__("importlib").util.find_spec("kimai_tray.simulator.server") is None,
    reason="kimai_tray.simulator.server has not landed yet",
)
def test_start_in_popup_and_stop_from_menu_reach_the_server(
    desktop: Desktop, tmp_path: Path
) -> None:
    app = App(desktop, tmp_path / "home", tmp_path / "app.log", "--demo")
    try:
        url = app.wait_line(r"demo simulator on (http://127\.0\.0\.1:\d+)")[1]
        x, y = app.icon_centre()
        assert active_timesheets(url) == []
        desktop.xdotool("mousemove", str(x), str(y), "click", "1")
        app.wait_line(r"kimai-tray: popup shown")
        # Search the catalog for a demo activity; Return starts the best match.
        act_until(
            "the started timesheet on the server",
            lambda: desktop.search_and_start("Meeting"),
            lambda: active_timesheets(url),
        )
        desktop.screenshot(tmp_path / "running.png")
        # Stop is the menu's first item while a timer runs.
        act_until(
            "the stop on the server",
            lambda: desktop.menu_keys(app, x, y, "Down", "Return"),
            lambda: not active_timesheets(url),
        )
        desktop.screenshot(tmp_path / "stopped.png")
        act_until(
            "Quit from the menu",
            lambda: desktop.menu_keys(app, x, y, "Up", "Return"),
            app.quit_requested,
        )
    finally:
        code = app.close()
    assert code == 0, app.log.read_text()
    assert "kimai-tray: stopped" in app.lines()
