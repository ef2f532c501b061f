"""Global hotkeys on a real X server: the app grabs Ctrl+Alt+T, `xdotool key` presses it.

Qt itself runs offscreen; the key grab is python-xlib's own X connection to the Xvfb display,
exactly as in a real X11 session. The simulator is polled over HTTP with a deadline.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from helpers.xvfb_fixtures import xdotool
from ipc.app_process import (
    AppProcess,
    active_timesheets,
    base_env,
    project_and_activity,
    run_cli,
    wait_for,
)
from kimai_tray.platform.config import Preferences
from kimai_tray.platform.hotkeys import HotkeySupport, X11HotkeyBackend, parse_hotkey
from kimai_tray.ui.global_hotkeys import GlobalHotkeys

pytestmark = [pytest.mark.xvfb, pytest.mark.slow]


def test_ctrl_alt_t_starts_then_stops_a_timesheet(xvfb_display: str, short_home: Path) -> None:
    if shutil.which("xdotool") is None:
        pytest.skip("xdotool is not installed (apt: xdotool)")
    app = AppProcess(base_env(short_home, display=xvfb_display), "--demo")
    try:
        url = app.wait_line(r"demo simulator on (http://127\.0\.0\.1:\d+)")[1].group(1)
        env = base_env(Path(app.wait_line(r"demo home (\S+)")[1].group(1)))
        app.wait_line(r"global hotkey Ctrl\+Alt\+T registered for toggle")
        # Give the app a last entry to restart (a fresh demo has none), then stop it.
        project_id, activity_id = project_and_activity(url)
        result = run_cli(env, "start", "--project", str(project_id), "--activity", str(activity_id))
        assert result.returncode == 0, result.stderr
        assert run_cli(env, "stop").returncode == 0
        wait_for("no timer on the simulator", lambda: not active_timesheets(url))

        xdotool(xvfb_display, "key", "ctrl+alt+t")
        active = wait_for("the hotkey's timer on the simulator", lambda: active_timesheets(url))
        assert isinstance(active, list) and len(active) == 1
        xdotool(xvfb_display, "key", "ctrl+alt+t")
        wait_for("the hotkey's stop on the simulator", lambda: not active_timesheets(url))
        assert app.text().count("kimai-tray: hotkey toggle pressed") == 2
        # The second hotkey opens the popup.
        mark = app.mark()
        xdotool(xvfb_display, "key", "ctrl+alt+k")
        app.wait_line(r"hotkey popup pressed", after=mark)
    finally:
        app.stop()


def test_a_taken_combination_is_reported_once_not_raised(xvfb_display: str, qtbot: QtBot) -> None:
    other_program = X11HotkeyBackend(xvfb_display)
    other_program.register("theirs", parse_hotkey("Ctrl+Alt+J"))
    reports: list[str] = []
    hotkeys = GlobalHotkeys(
        {},
        reports.append,
        support=HotkeySupport("x11", ""),
        make_backend=lambda: X11HotkeyBackend(xvfb_display),
    )
    try:
        prefs = Preferences(toggle_hotkey="Ctrl+Alt+J", hotkey="Ctrl+Alt+K")
        problems = hotkeys.apply(prefs)
        assert len(problems) == 1 and "Ctrl+Alt+J" in problems[0]
        assert hotkeys.registered == {"popup": "Ctrl+Alt+K"}  # the free one still works
        hotkeys.apply(prefs)  # applied again (a settings save): not shown a second time
        assert reports == problems
    finally:
        hotkeys.close()
        other_program.close()
