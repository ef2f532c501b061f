"""GlobalHotkeys on Wayland: hotkeys requested from the GlobalShortcuts portal, on the Qt loop.

Real parts: a private dbus-daemon, the app's jeepney client, a qasync loop driven by Qt. The
portal service itself is a fake (tests/helpers/fake_portal.py): no desktop here has
xdg-desktop-portal >= 1.17.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator

import pytest
from pytestqt.qtbot import QtBot

from helpers.fake_portal import FakePortal, dbus_daemon_missing
from kimai_tray.platform.config import Preferences
from kimai_tray.platform.hotkeys import HotkeySupport
from kimai_tray.platform.portal_shortcuts import PortalShortcuts
from kimai_tray.ui.global_hotkeys import GlobalHotkeys

pytestmark = pytest.mark.skipif(dbus_daemon_missing(), reason="needs dbus-daemon (apt dbus)")

PORTAL = HotkeySupport("wayland-portal", "Your desktop manages this app's global shortcuts.")


class Harness:
    def __init__(self, portal_bus: str) -> None:
        self.fired: list[str] = []
        self.reports: list[str] = []
        self.hotkeys = GlobalHotkeys(
            {"toggle": lambda: self.fired.append("toggle"), "popup": self._popup},
            self.reports.append,
            support=PORTAL,
            make_portal=lambda on_activated: PortalShortcuts(on_activated, bus=portal_bus),
        )

    def _popup(self) -> None:
        self.fired.append("popup")


@pytest.fixture
def harness(
    portal_bus: str, qtbot: QtBot, running_qloop: asyncio.AbstractEventLoop
) -> Iterator[Harness]:
    made = Harness(portal_bus)
    yield made
    closing = running_qloop.create_task(made.hotkeys.aclose())
    qtbot.waitUntil(closing.done, timeout=10_000)
    closing.result()


def wait(qtbot: QtBot, condition: Callable[[], object]) -> None:
    qtbot.waitUntil(lambda: bool(condition()), timeout=10_000)


def test_bound_hotkeys_run_the_actions(
    portal: FakePortal, harness: Harness, qtbot: QtBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    assert harness.hotkeys.apply(Preferences()) == []  # the answer comes later
    wait(qtbot, lambda: len(harness.hotkeys.registered) == 2)
    assert harness.hotkeys.registered == {"toggle": "CTRL+ALT+t", "popup": "CTRL+ALT+k"}
    assert "global hotkey CTRL+ALT+t registered for toggle" in caplog.text

    portal.press("toggle")
    wait(qtbot, lambda: harness.fired == ["toggle"])
    portal.press("popup")
    wait(qtbot, lambda: harness.fired == ["toggle", "popup"])
    assert harness.reports == []


def test_a_cancelled_dialog_is_reported_once(
    portal: FakePortal, harness: Harness, qtbot: QtBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    portal.bind_response = 1
    harness.hotkeys.apply(Preferences())
    wait(qtbot, lambda: harness.reports)
    assert len(harness.reports) == 1 and "Settings" in harness.reports[0]
    assert harness.hotkeys.registered == {}

    harness.hotkeys.apply(Preferences())  # saved again, cancelled again: no second nag
    wait(qtbot, lambda: caplog.text.count("the user cancelled") == 2)
    assert len(harness.reports) == 1


def test_reapply_rebinds_on_the_same_session(
    portal: FakePortal, harness: Harness, qtbot: QtBot
) -> None:
    harness.hotkeys.apply(Preferences())
    wait(qtbot, lambda: harness.hotkeys.registered.get("toggle") == "CTRL+ALT+t")

    harness.hotkeys.apply(Preferences(toggle_hotkey="Ctrl+Shift+F5", hotkey="Ctrl+Alt+K"))
    wait(qtbot, lambda: harness.hotkeys.registered.get("toggle") == "CTRL+SHIFT+F5")
    assert len(portal.calls_to("CreateSession")) == 1
    binds = portal.calls_to("BindShortcuts")
    assert len(binds) == 2 and binds[0].body[0] == binds[1].body[0]
    portal.press("toggle")
    wait(qtbot, lambda: harness.fired == ["toggle"])


def test_the_desktop_assigning_no_key_is_reported(
    portal: FakePortal, harness: Harness, qtbot: QtBot
) -> None:
    portal.assigned = {"popup": ""}  # the user cleared it in the dialog
    harness.hotkeys.apply(Preferences())
    wait(qtbot, lambda: harness.reports)
    assert harness.hotkeys.registered == {"toggle": "CTRL+ALT+t"}
    assert harness.reports == [
        "The desktop assigned no key to 'Open the kimai-tray window': "
        "choose one in your desktop's keyboard shortcut settings."
    ]


def test_a_missing_portal_is_reported_not_raised(
    portal_bus: str, harness: Harness, qtbot: QtBot
) -> None:
    # No FakePortal: nobody owns org.freedesktop.portal.Desktop on this bus.
    assert harness.hotkeys.apply(Preferences()) == []
    wait(qtbot, lambda: harness.reports)
    assert "keyboard settings" in harness.reports[0] and harness.hotkeys.registered == {}


def test_aclose_closes_the_portal_session(
    portal: FakePortal, harness: Harness, qtbot: QtBot, running_qloop: asyncio.AbstractEventLoop
) -> None:
    harness.hotkeys.apply(Preferences())
    wait(qtbot, lambda: len(harness.hotkeys.registered) == 2)
    (session,) = portal.bound
    closing = running_qloop.create_task(harness.hotkeys.aclose())
    wait(qtbot, closing.done)
    assert [call.path for call in portal.calls_to("Close")] == [session]
