"""The GlobalShortcuts portal client against a fake portal on a real, private D-Bus daemon.

The client's D-Bus traffic is real (dbus-daemon routes it); only the portal service is a fake
(tests/helpers/fake_portal.py), because no desktop with xdg-desktop-portal >= 1.17 runs here.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import time

import pytest
from jeepney import DBusAddress, MessageType, Properties, message_bus
from jeepney.io.blocking import open_dbus_connection

from helpers.fake_portal import FakePortal, dbus_daemon_missing
from kimai_tray.platform.hotkeys import (
    HotkeyError,
    HotkeyUnavailableError,
    hotkey_support,
    parse_hotkey,
)
from kimai_tray.platform.portal_shortcuts import (
    APP_ID,
    PortalCancelledError,
    PortalRefusedError,
    PortalShortcuts,
    PortalTimeoutError,
    portal_shortcuts_version,
    xdg_trigger,
)

pytestmark = pytest.mark.skipif(dbus_daemon_missing(), reason="needs dbus-daemon (apt dbus)")

HOTKEYS = {
    "toggle": (parse_hotkey("Ctrl+Alt+T"), "Start or stop the timer"),
    "popup": (parse_hotkey("Ctrl+Alt+K"), "Open kimai-tray"),
}


def test_xdg_trigger_format() -> None:
    assert xdg_trigger(parse_hotkey("Ctrl+Alt+T")) == "CTRL+ALT+t"
    assert xdg_trigger(parse_hotkey("Super+Shift+F5")) == "SHIFT+LOGO+F5"
    assert xdg_trigger(parse_hotkey("Ctrl+Space")) == "CTRL+space"
    assert xdg_trigger(parse_hotkey("Alt+PageUp")) == "ALT+Page_Up"


def test_version_probe_present(portal: FakePortal, portal_bus: str) -> None:
    portal.shortcuts_version = 2
    assert portal_shortcuts_version(portal_bus) == 2
    assert [c.body for c in portal.calls_to("Get")] == [
        ("org.freedesktop.portal.GlobalShortcuts", "version")
    ]


def test_version_probe_portal_without_the_interface(portal: FakePortal, portal_bus: str) -> None:
    portal.shortcuts_version = None  # like xdg-desktop-portal 1.16 (Debian 12)
    assert portal_shortcuts_version(portal_bus) is None
    assert len(portal.calls_to("Get")) == 1  # it did ask the bus


def test_version_probe_no_portal_service_or_no_bus(portal_bus: str, tmp_path: object) -> None:
    assert portal_shortcuts_version(portal_bus) is None  # nobody owns the name: ServiceUnknown
    assert portal_shortcuts_version(None) is None
    assert portal_shortcuts_version(f"unix:path={tmp_path}/no-such-socket") is None


def test_version_probe_times_out_on_a_silent_bus(tmp_path: object) -> None:
    """A socket that accepts but never speaks D-Bus: the probe gives up within its timeout."""
    import socket
    import time

    path = f"{tmp_path}/mute"
    server = socket.socket(socket.AF_UNIX)
    server.bind(path)
    server.listen(1)
    try:
        started = time.monotonic()
        assert portal_shortcuts_version(f"unix:path={path}", timeout=0.3) is None
        assert time.monotonic() - started < 2.0
    finally:
        server.close()


async def _open(portal_bus: str, pressed: list[str], **kwargs: float) -> PortalShortcuts:
    client = PortalShortcuts(pressed.append, bus=portal_bus, **kwargs)
    await client.open()
    return client


def test_bind_sends_preferred_triggers_and_a_press_calls_back(
    portal: FakePortal, portal_bus: str, qloop: asyncio.AbstractEventLoop
) -> None:
    portal.assigned = {"popup": "Super+K"}  # the user picked other keys in the dialog
    pressed: list[str] = []

    async def scenario() -> dict[str, str]:
        both = asyncio.Event()

        def on_activated(shortcut_id: str) -> None:
            pressed.append(shortcut_id)
            if len(pressed) == 2:
                both.set()

        client = PortalShortcuts(on_activated, bus=portal_bus)
        await client.open()
        try:
            assigned = await client.bind(HOTKEYS)
            portal.press("popup")
            portal.press("toggle")
            await asyncio.wait_for(both.wait(), 10)
            return assigned
        finally:
            await client.close()

    assigned = qloop.run_until_complete(scenario())
    assert assigned == {"toggle": "CTRL+ALT+t", "popup": "Super+K"}
    assert pressed == ["popup", "toggle"]
    (bind,) = portal.calls_to("BindShortcuts")
    sent = {sid: {k: v[1] for k, v in props.items()} for sid, props in bind.body[1]}
    assert sent == {
        "toggle": {"description": "Start or stop the timer", "preferred_trigger": "CTRL+ALT+t"},
        "popup": {"description": "Open kimai-tray", "preferred_trigger": "CTRL+ALT+k"},
    }
    assert [c.body[0] for c in portal.calls_to("Register")] == [APP_ID]
    # Registry first on the connection, before the session exists.
    assert [c.member for c in portal.calls][:2] == ["Register", "CreateSession"]


def test_works_without_the_registry_interface(
    portal: FakePortal, portal_bus: str, qloop: asyncio.AbstractEventLoop
) -> None:
    portal.has_registry = False  # portals 1.17 and 1.18

    async def scenario() -> dict[str, str]:
        client = await _open(portal_bus, [])
        try:
            return await client.bind(HOTKEYS)
        finally:
            await client.close()

    assert qloop.run_until_complete(scenario())["toggle"] == "CTRL+ALT+t"


@pytest.mark.parametrize(
    ("code", "error", "words"),
    [(1, PortalCancelledError, "Settings"), (2, PortalRefusedError, "kimai-tray toggle")],
)
def test_cancel_and_refusal_raise_a_clear_sentence(
    portal: FakePortal,
    portal_bus: str,
    qloop: asyncio.AbstractEventLoop,
    code: int,
    error: type[HotkeyError],
    words: str,
) -> None:
    portal.bind_response = code

    async def scenario() -> None:
        client = await _open(portal_bus, [])
        try:
            await client.bind(HOTKEYS)
        finally:
            await client.close()

    with pytest.raises(error) as info:
        qloop.run_until_complete(scenario())
    message = info.value.user_message
    assert words in message and message.endswith(".") and message.count(". ") == 0


def test_a_portal_that_never_answers_times_out(
    portal: FakePortal, portal_bus: str, qloop: asyncio.AbstractEventLoop
) -> None:
    portal.answer_bind = False

    async def scenario() -> None:
        client = await _open(portal_bus, [], dialog_timeout=0.5)
        try:
            await client.bind(HOTKEYS)
        finally:
            await client.close()

    with pytest.raises(PortalTimeoutError) as info:
        qloop.run_until_complete(scenario())
    assert "did not answer" in info.value.user_message


def test_close_closes_the_portal_session(
    portal: FakePortal, portal_bus: str, qloop: asyncio.AbstractEventLoop
) -> None:
    async def scenario() -> str | None:
        client = await _open(portal_bus, [])
        await client.bind(HOTKEYS)
        session = client.session
        await client.close()
        return session

    session = qloop.run_until_complete(scenario())
    assert session is not None
    assert [c.path for c in portal.calls_to("Close")] == [session]
    assert session not in portal.bound


def test_no_portal_service_is_reported_as_unavailable(
    portal_bus: str, qloop: asyncio.AbstractEventLoop
) -> None:
    async def scenario() -> None:
        client = PortalShortcuts([].append, bus=portal_bus)
        try:
            await client.open()
        finally:
            await client.close()

    with pytest.raises(HotkeyUnavailableError) as info:
        qloop.run_until_complete(scenario())
    assert "keyboard settings" in info.value.user_message


REAL_PORTAL = "/usr/libexec/xdg-desktop-portal"


@pytest.mark.skipif(
    not os.path.exists(REAL_PORTAL), reason="needs xdg-desktop-portal (apt xdg-desktop-portal)"
)
def test_the_real_debian_portal_without_global_shortcuts_means_none(portal_bus: str) -> None:
    """Debian 12's xdg-desktop-portal 1.16 has no GlobalShortcuts: detection must say so."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "WAYLAND", "DISPLAY"))}
    env["DBUS_SESSION_BUS_ADDRESS"] = portal_bus
    daemon = subprocess.Popen(
        [REAL_PORTAL], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        with open_dbus_connection(portal_bus) as conn:
            owned = message_bus.NameHasOwner("org.freedesktop.portal.Desktop")
            deadline = time.monotonic() + 30
            while not conn.send_and_get_reply(owned, timeout=5).body[0]:
                assert daemon.poll() is None and time.monotonic() < deadline, "no portal started"
                time.sleep(0.05)  # a separate process starting up: poll the bus
            # The portal is alive and answers for the interfaces it has ...
            monitor = DBusAddress(
                "/org/freedesktop/portal/desktop",
                bus_name="org.freedesktop.portal.Desktop",
                interface="org.freedesktop.portal.NetworkMonitor",
            )
            reply = conn.send_and_get_reply(Properties(monitor).get("version"), timeout=5)
            assert reply.header.message_type is MessageType.method_return
        # ... but not for GlobalShortcuts.
        assert portal_shortcuts_version(portal_bus) is None
        wayland = {"WAYLAND_DISPLAY": "wayland-0", "DBUS_SESSION_BUS_ADDRESS": portal_bus}
        support = hotkey_support(wayland, platform="linux")
        assert support.kind == "none" and "kimai-tray toggle" in support.message
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)


def test_hotkey_support_probes_the_bus_from_its_environment(
    portal: FakePortal, portal_bus: str
) -> None:
    wayland = {"WAYLAND_DISPLAY": "wayland-0", "DBUS_SESSION_BUS_ADDRESS": portal_bus}
    support = hotkey_support(wayland, platform="linux")
    assert support.kind == "wayland-portal" and "confirm" in support.message
    assert len(portal.calls_to("Get")) == 1
    assert hotkey_support({"WAYLAND_DISPLAY": "wayland-0"}, platform="linux").kind == "none"


def test_a_key_changed_in_the_desktop_settings_is_told(
    portal: FakePortal, portal_bus: str, qloop: asyncio.AbstractEventLoop
) -> None:
    changes: list[dict[str, str]] = []

    async def scenario() -> str | None:
        told = asyncio.Event()

        def on_changed(triggers: dict[str, str]) -> None:
            changes.append(triggers)
            told.set()

        client = PortalShortcuts([].append, bus=portal_bus)
        client.watch(on_changed=on_changed)
        await client.open()
        try:
            await client.bind(HOTKEYS)
            portal.change_shortcuts({"toggle": "Ctrl+Alt+Y"})
            await asyncio.wait_for(told.wait(), 10)
            return client.session
        finally:
            await client.close()

    session = qloop.run_until_complete(scenario())
    assert changes == [{"toggle": "Ctrl+Alt+Y", "popup": "CTRL+ALT+k"}]
    assert session is not None  # a change is not the end of the session


def test_a_session_closed_by_the_portal_is_told_and_a_new_one_opens(
    portal: FakePortal, portal_bus: str, qloop: asyncio.AbstractEventLoop
) -> None:
    lost: list[bool] = []

    async def scenario() -> tuple[str | None, str | None]:
        told = asyncio.Event()

        def on_lost(portal_gone: bool) -> None:
            lost.append(portal_gone)
            told.set()

        client = PortalShortcuts([].append, bus=portal_bus)
        client.watch(on_lost=on_lost)
        await client.open()
        try:
            await client.bind(HOTKEYS)
            first = client.session
            portal.close_session()
            await asyncio.wait_for(told.wait(), 10)
            assert client.session is None
            await client.start_session()  # same connection, new session
            await client.bind(HOTKEYS)
            return first, client.session
        finally:
            await client.close()

    first, second = qloop.run_until_complete(scenario())
    assert lost == [False]
    assert first is not None and second is not None and first != second
    assert len(portal.calls_to("CreateSession")) == 2
    assert [call.body[0] for call in portal.calls_to("BindShortcuts")] == [first, second]


def test_a_portal_restart_is_told_and_presses_work_on_the_new_session(
    portal: FakePortal, portal_bus: str, qloop: asyncio.AbstractEventLoop
) -> None:
    """The fake portal leaves the bus (its connection closes, as when the service crashes)
    and a new one takes the name: the bus's NameOwnerChanged is what the client hears."""
    events: list[str] = []
    pressed: list[str] = []
    restarted = FakePortal(portal_bus)

    async def scenario() -> None:
        changed = asyncio.Event()

        def note(event: str) -> None:
            events.append(event)
            changed.set()

        async def next_event() -> None:
            await asyncio.wait_for(changed.wait(), 10)
            changed.clear()

        def on_activated(shortcut_id: str) -> None:
            note(f"pressed {shortcut_id}")
            pressed.append(shortcut_id)

        client = PortalShortcuts(on_activated, bus=portal_bus)
        client.watch(on_lost=lambda gone: note(f"lost gone={gone}"), on_back=lambda: note("back"))
        await client.open()
        try:
            await client.bind(HOTKEYS)
            portal.stop()
            await next_event()
            assert client.session is None
            restarted.start()
            await next_event()
            await client.start_session()
            assert (await client.bind(HOTKEYS))["toggle"] == "CTRL+ALT+t"
            restarted.press("toggle")
            await next_event()
        finally:
            await client.close()

    try:
        qloop.run_until_complete(scenario())
    finally:
        restarted.stop()
    assert events == ["lost gone=True", "back", "pressed toggle"]
    assert len(restarted.calls_to("CreateSession")) == 1
    assert [c.body[0] for c in restarted.calls_to("Register")] == [APP_ID]
    (bind,) = restarted.calls_to("BindShortcuts")
    assert {sid: p["preferred_trigger"][1] for sid, p in bind.body[1]} == {
        "toggle": "CTRL+ALT+t",
        "popup": "CTRL+ALT+k",
    }
