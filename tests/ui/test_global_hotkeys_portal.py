"""GlobalHotkeys on Wayland: hotkeys requested from the GlobalShortcuts portal, on the Qt loop.

Real parts: a private dbus-daemon, the app's jeepney client, a qasync loop driven by Qt. The
portal service itself is a fake (tests/helpers/fake_portal.py): no desktop here has
xdg-desktop-portal >= 1.17.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable, Iterator

import pytest
from pytestqt.qtbot import QtBot

from helpers.fake_portal import FakePortal, dbus_daemon_missing
from kimai_tray.platform.config import Preferences
from kimai_tray.platform.hotkeys import HotkeySupport
from kimai_tray.platform.portal_shortcuts import PortalShortcuts
from kimai_tray.ui.global_hotkeys import BIND_FAILED, GlobalHotkeys

pytestmark = pytest.mark.skipif(dbus_daemon_missing(), reason="needs dbus-daemon (apt dbus)")

PORTAL = HotkeySupport("wayland-portal", "Your desktop manages this app's global shortcuts.")


FAST_RECOVERY = (0.1, 0.2, 0.4)  # the app waits 1 s and more; tests need not


class CountingPortal(PortalShortcuts):
    """The real client, counting how often a session is asked for (`open()` asks once)."""

    def __init__(self, on_activated: Callable[[str], None], bus: str) -> None:
        super().__init__(on_activated, bus=bus)
        self.session_starts = 0

    async def start_session(self) -> None:
        self.session_starts += 1
        await super().start_session()


class Harness:
    def __init__(self, portal_bus: str) -> None:
        self.fired: list[str] = []
        self.reports: list[str] = []
        self.portals: list[CountingPortal] = []

        def make_portal(on_activated: Callable[[str], None]) -> PortalShortcuts:
            self.portals.append(CountingPortal(on_activated, portal_bus))
            return self.portals[-1]

        self.hotkeys = GlobalHotkeys(
            {"toggle": lambda: self.fired.append("toggle"), "popup": self._popup},
            self.reports.append,
            support=PORTAL,
            make_portal=make_portal,
            recovery_delays=FAST_RECOVERY,
        )

    def session_starts(self) -> int:
        return sum(portal.session_starts for portal in self.portals)

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


@pytest.fixture
def second_portal(portal_bus: str) -> Iterator[FakePortal]:
    """Another fake portal on the same bus, not started: the first one's successor."""
    successor = FakePortal(portal_bus)
    yield successor
    successor.stop()


def test_a_key_changed_in_the_desktop_settings_updates_what_is_assigned(
    portal: FakePortal, harness: Harness, qtbot: QtBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    harness.hotkeys.apply(Preferences())
    wait(qtbot, lambda: len(harness.hotkeys.registered) == 2)

    portal.change_shortcuts({"toggle": "Ctrl+Alt+Y"})
    wait(qtbot, lambda: harness.hotkeys.registered.get("toggle") == "Ctrl+Alt+Y")
    assert harness.hotkeys.assigned() == {"toggle": "Ctrl+Alt+Y", "popup": "CTRL+ALT+k"}
    assert "the desktop changed global hotkey toggle to 'Ctrl+Alt+Y'" in caplog.text
    assert "popup to" not in caplog.text  # unchanged keys are not logged as changes

    portal.change_shortcuts({"popup": ""})  # the user removed the key
    wait(qtbot, lambda: "popup" not in harness.hotkeys.registered)
    assert harness.hotkeys.assigned() == {"toggle": "Ctrl+Alt+Y"}
    assert harness.reports == []  # the user's own choice: no nag
    assert len(portal.calls_to("BindShortcuts")) == 1  # and no rebinding over it
    portal.press("toggle")
    wait(qtbot, lambda: harness.fired == ["toggle"])


def test_a_restarted_portal_gets_a_new_session_and_the_hotkeys_work_again(
    portal: FakePortal,
    second_portal: FakePortal,
    harness: Harness,
    qtbot: QtBot,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    harness.hotkeys.apply(Preferences())
    wait(qtbot, lambda: len(harness.hotkeys.registered) == 2)

    portal.stop()  # the portal's connection closes, as when the service crashes
    wait(qtbot, lambda: "do not fire until it is back" in caplog.text)
    assert harness.hotkeys.assigned() == {}
    # While nobody owns the portal's name, nothing is tried: no polling, no loop. Proving that
    # something does *not* happen needs a window of time; the Qt loop runs through it.
    qtbot.wait(3 * sum(FAST_RECOVERY) * 1000)
    assert harness.session_starts() == 1  # the first session only

    second_portal.start()
    wait(qtbot, lambda: len(harness.hotkeys.registered) == 2)
    assert harness.hotkeys.assigned() == {"toggle": "CTRL+ALT+t", "popup": "CTRL+ALT+k"}
    assert harness.session_starts() == 2 and len(harness.portals) == 1  # same connection
    assert len(second_portal.calls_to("CreateSession")) == 1
    (bind,) = second_portal.calls_to("BindShortcuts")
    triggers = {sid: props["preferred_trigger"][1] for sid, props in bind.body[1]}
    assert triggers == {"toggle": "CTRL+ALT+t", "popup": "CTRL+ALT+k"}
    second_portal.press("toggle")
    wait(qtbot, lambda: harness.fired == ["toggle"])
    assert caplog.text.count("do not fire until it is back") == 1
    assert harness.reports == []


def test_a_session_closed_by_the_portal_is_bound_again(
    portal: FakePortal, harness: Harness, qtbot: QtBot
) -> None:
    harness.hotkeys.apply(Preferences())
    wait(qtbot, lambda: len(harness.hotkeys.registered) == 2)
    closed = portal.close_session()

    wait(qtbot, lambda: len(portal.calls_to("BindShortcuts")) == 2)
    wait(qtbot, lambda: len(harness.hotkeys.registered) == 2)
    assert portal.latest_session() != closed
    assert len(portal.calls_to("CreateSession")) == 2
    portal.press("popup")
    wait(qtbot, lambda: harness.fired == ["popup"])


def test_a_refusing_portal_is_retried_with_growing_waits_then_given_up(
    portal: FakePortal,
    second_portal: FakePortal,
    harness: Harness,
    qtbot: QtBot,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    harness.hotkeys.apply(Preferences())
    wait(qtbot, lambda: len(harness.hotkeys.registered) == 2)
    second_portal.refuse_sessions = 100  # comes back broken
    portal.stop()
    wait(qtbot, lambda: "do not fire until it is back" in caplog.text)
    second_portal.start()

    wait(qtbot, lambda: harness.reports)
    assert harness.reports == [
        "The global hotkeys stopped because the desktop's shortcut service did not come back: "
        "restart kimai-tray to get them back."
    ]
    tries = second_portal.calls_to("CreateSession")
    assert len(tries) == len(FAST_RECOVERY) == harness.session_starts() - 1  # bounded
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(tries)]
    # Each wait is the next, longer one (the fake stamps calls as they arrive).
    assert all(gap >= wanted * 0.9 for gap, wanted in zip(gaps, FAST_RECOVERY[1:], strict=True))
    assert harness.hotkeys.assigned() == {}


def test_a_portal_that_refuses_at_first_is_retried_until_it_binds(
    portal: FakePortal, second_portal: FakePortal, harness: Harness, qtbot: QtBot
) -> None:
    harness.hotkeys.apply(Preferences())
    wait(qtbot, lambda: len(harness.hotkeys.registered) == 2)
    second_portal.refuse_sessions = 2  # still starting up: the first two requests fail
    portal.stop()
    wait(qtbot, lambda: harness.hotkeys.assigned() == {})
    second_portal.start()

    wait(qtbot, lambda: len(harness.hotkeys.registered) == 2)
    assert len(second_portal.calls_to("CreateSession")) == 3
    assert len(second_portal.calls_to("BindShortcuts")) == 1
    second_portal.press("toggle")
    wait(qtbot, lambda: harness.fired == ["toggle"])
    assert harness.reports == []


def test_an_unexpected_failure_while_binding_is_reported_not_raised(
    portal: FakePortal, qtbot: QtBot, running_qloop: asyncio.AbstractEventLoop
) -> None:
    """A client that breaks in a way it does not translate (a bug, a malformed reply) must
    not escape into the Qt loop: one sentence, and tracking goes on without hotkeys."""

    class BrokenPortal(PortalShortcuts):
        async def bind(self, wanted: object) -> dict[str, str]:  # type: ignore[override]
            raise ValueError("malformed reply")

    reports: list[str] = []
    hotkeys = GlobalHotkeys(
        {},
        reports.append,
        support=PORTAL,
        make_portal=lambda on_activated: BrokenPortal(on_activated, bus=portal.address),
        loop=running_qloop,
    )
    hotkeys.apply(Preferences())
    wait(qtbot, lambda: reports)
    assert reports == [BIND_FAILED] and hotkeys.registered == {}
    closing = running_qloop.create_task(hotkeys.aclose())
    qtbot.waitUntil(closing.done, timeout=10_000)
    assert closing.exception() is None
