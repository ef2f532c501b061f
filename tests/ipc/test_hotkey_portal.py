"""Wayland global hotkeys end to end: the real app asks the GlobalShortcuts portal for its keys.

The app runs as in a Wayland session (WAYLAND_DISPLAY, XDG_SESSION_TYPE=wayland, no DISPLAY)
with its session bus pointed at a private dbus-daemon. On that bus the portal service is a
fake (tests/helpers/fake_portal.py), because no desktop here has xdg-desktop-portal >= 1.17;
`press()` emits the `Activated` signal a desktop would send. The simulator is polled over HTTP.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.fake_portal import FakePortal, dbus_daemon_missing
from ipc.app_process import (
    AppProcess,
    active_timesheets,
    base_env,
    project_and_activity,
    run_cli,
    wait_for,
)
from kimai_tray.platform.portal_shortcuts import APP_ID

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(dbus_daemon_missing(), reason="needs dbus-daemon (apt dbus)"),
]


def wayland_env(home: Path, bus: str) -> dict[str, str]:
    env = base_env(home)  # strips XDG_*, WAYLAND*, DISPLAY
    env.update(
        WAYLAND_DISPLAY="wayland-test",
        XDG_SESSION_TYPE="wayland",
        DBUS_SESSION_BUS_ADDRESS=bus,
    )
    return env


def test_portal_shortcuts_start_stop_and_open_the_popup(portal_bus: str, short_home: Path) -> None:
    with FakePortal(portal_bus) as portal:
        app = AppProcess(wayland_env(short_home, portal_bus), "--demo")
        try:
            url = app.wait_line(r"demo simulator on (http://127\.0\.0\.1:\d+)")[1].group(1)
            env = base_env(Path(app.wait_line(r"demo home (\S+)")[1].group(1)))
            app.wait_line(r"global hotkey CTRL\+ALT\+t registered for toggle through the desktop")
            app.wait_line(r"global hotkey CTRL\+ALT\+k registered for popup through the desktop")
            (bind,) = portal.calls_to("BindShortcuts")
            triggers = {sid: props["preferred_trigger"][1] for sid, props in bind.body[1]}
            assert triggers == {"toggle": "CTRL+ALT+t", "popup": "CTRL+ALT+k"}
            assert [call.body[0] for call in portal.calls_to("Register")] == [APP_ID]

            # Give the app a last entry to restart (a fresh demo has none), then stop it.
            project_id, activity_id = project_and_activity(url)
            started = run_cli(
                env, "start", "--project", str(project_id), "--activity", str(activity_id)
            )
            assert started.returncode == 0, started.stderr
            assert run_cli(env, "stop").returncode == 0
            wait_for("no timer on the simulator", lambda: not active_timesheets(url))

            portal.press("toggle")
            active = wait_for("the hotkey's timer on the simulator", lambda: active_timesheets(url))
            assert isinstance(active, list) and len(active) == 1
            portal.press("toggle")
            wait_for("the hotkey's stop on the simulator", lambda: not active_timesheets(url))
            assert app.text().count("kimai-tray: hotkey toggle pressed") == 2

            mark = app.mark()
            portal.press("popup")
            app.wait_line(r"hotkey popup pressed", after=mark)
        finally:
            app.stop()


@pytest.mark.parametrize("service", ["no portal service", "portal without GlobalShortcuts"])
def test_without_the_portal_the_app_says_so_and_still_starts(
    portal_bus: str, short_home: Path, service: str
) -> None:
    portal = FakePortal(portal_bus, shortcuts_version=None)  # like Debian 12's portal 1.16
    if service == "portal without GlobalShortcuts":
        portal.start()
    app = AppProcess(wayland_env(short_home, portal_bus), "--demo")
    try:
        app.wait_line(r"demo simulator on http://127\.0\.0\.1:\d+")
        app.wait_line(r"no global hotkey is available here \(none\): Wayland does not let apps")
        assert "registered for toggle" not in app.text()
        assert app.proc.poll() is None  # still running
        if service == "portal without GlobalShortcuts":
            assert [call.body for call in portal.calls_to("Get")] == [
                ("org.freedesktop.portal.GlobalShortcuts", "version")
            ]
            assert portal.calls_to("CreateSession") == []
    finally:
        app.stop()
        portal.stop()
