"""A private D-Bus session bus and a fake xdg-desktop-portal GlobalShortcuts service on it.

`private_session_bus()` runs a real `dbus-daemon` with a config of our own: no service
directories, so nothing is ever auto-started (not the machine's real xdg-desktop-portal).
`FakePortal` owns `org.freedesktop.portal.Desktop` on that bus from a plain thread with a
blocking jeepney connection (no Qt), answers the calls a GlobalShortcuts client makes,
records them for assertions, and `press(id)` emits `Activated` + `Deactivated`.
`change_shortcuts()` emits `ShortcutsChanged` (the user edited a key in the desktop's settings),
`close_session()` emits `Session.Closed`; `stop()` then a new `FakePortal(address).start()` is a
portal restart (the bus announces the name's owner leaving and coming back).

Signals are sent as broadcasts (no destination), so a client only sees them after it
subscribed with AddMatch, as the portal spec asks clients to do.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from jeepney import (
    DBusAddress,
    HeaderFields,
    Message,
    MessageType,
    new_error,
    new_method_return,
    new_signal,
)
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import open_dbus_connection

from kimai_tray.platform.portal_shortcuts import (
    PORTAL_BUS_NAME,
    PORTAL_PATH,
    REGISTRY_INTERFACE,
    REQUEST_INTERFACE,
    SESSION_INTERFACE,
    SHORTCUTS_INTERFACE,
    request_path,
)

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={dir}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""

UNKNOWN_INTERFACE = "org.freedesktop.DBus.Error.UnknownInterface"
UNKNOWN_METHOD = "org.freedesktop.DBus.Error.UnknownMethod"


def dbus_daemon_missing() -> bool:
    return shutil.which("dbus-daemon") is None


@contextlib.contextmanager
def private_session_bus() -> Iterator[str]:
    """A fresh dbus-daemon; yields its address ("unix:path=..."), killed afterwards."""
    workdir = Path(tempfile.mkdtemp(prefix="kt-bus-"))
    config = workdir / "bus.conf"
    config.write_text(BUS_CONFIG.format(dir=workdir), encoding="utf-8")
    daemon = subprocess.Popen(
        ["dbus-daemon", "--nofork", f"--config-file={config}", "--print-address=1"],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert daemon.stdout is not None
        address = daemon.stdout.readline().strip()  # printed once it listens
        if not address:
            raise RuntimeError(f"dbus-daemon did not start (exit {daemon.poll()})")
        yield address
    finally:
        daemon.terminate()
        try:
            daemon.wait(timeout=10)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()
        if daemon.stdout is not None:
            daemon.stdout.close()
        shutil.rmtree(workdir, ignore_errors=True)


@dataclass
class Call:
    member: str
    sender: str
    path: str
    body: tuple[Any, ...]
    at: float = field(default_factory=time.monotonic)  # when the portal got it


@dataclass
class FakePortal:
    """Behaviour knobs may be changed between calls; `calls` records every method call."""

    address: str
    shortcuts_version: int | None = 1  # None: no GlobalShortcuts interface (portal 1.16)
    has_registry: bool = True  # org.freedesktop.host.portal.Registry (portal >= 1.19)
    bind_response: int = 0  # 0 success, 1 user cancelled, 2 other error
    answer_bind: bool = True  # False: BindShortcuts never gets its Response
    refuse_sessions: int = 0  # this many CreateSession calls get response 2 (portal error)
    assigned: dict[str, str] = field(default_factory=dict)  # id -> trigger_description
    calls: list[Call] = field(default_factory=list)
    bound: dict[str, dict[str, str]] = field(default_factory=dict)  # session -> id -> trigger

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._send_lock = threading.Lock()
        self._conn: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> FakePortal:
        self._conn = open_dbus_connection(self.address)
        reply = self._conn.send_and_get_reply(message_bus.RequestName(PORTAL_BUS_NAME), timeout=5)
        assert reply.body == (1,), f"could not own {PORTAL_BUS_NAME}: {reply.body}"
        self._thread = threading.Thread(target=self._serve, name="fake-portal", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._conn is not None:
            self._conn.close()

    def __enter__(self) -> FakePortal:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- what tests look at / do ------------------------------------------------------------

    def calls_to(self, member: str) -> list[Call]:
        return [call for call in list(self.calls) if call.member == member]

    def wait_for_call(self, member: str, count: int = 1, timeout: float = 30.0) -> list[Call]:
        """Block until `member` was called `count` times (for calls from another process)."""
        deadline = time.monotonic() + timeout
        while len(self.calls_to(member)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"the portal got no {member} call; got {self.calls}")
            time.sleep(0.05)  # the caller is another process: no event to wait on here
        return self.calls_to(member)

    def press(self, shortcut_id: str) -> None:
        """The user pressed a bound shortcut: Activated, then Deactivated (key released)."""
        sessions = [s for s, ids in self.bound.items() if shortcut_id in ids]
        assert sessions, f"{shortcut_id!r} is not bound in any session: {self.bound}"
        emitter = DBusAddress(PORTAL_PATH, interface=SHORTCUTS_INTERFACE)
        stamp = int(time.monotonic() * 1000)
        for member in ("Activated", "Deactivated"):
            signal = new_signal(emitter, member, "osta{sv}", (sessions[-1], shortcut_id, stamp, {}))
            self._send(signal)

    def latest_session(self) -> str:
        assert self.bound, "no session is open"
        return list(self.bound)[-1]

    def change_shortcuts(self, triggers: dict[str, str]) -> str:
        """The user changed keys in the desktop's settings: `ShortcutsChanged` on the latest
        session with every shortcut of it (as portals send); returns the session."""
        session = self.latest_session()
        self.bound[session].update(triggers)
        shortcuts = [
            (sid, {"description": ("s", sid), "trigger_description": ("s", trigger)})
            for sid, trigger in self.bound[session].items()
        ]
        emitter = DBusAddress(PORTAL_PATH, interface=SHORTCUTS_INTERFACE)
        self._send(new_signal(emitter, "ShortcutsChanged", "oa(sa{sv})", (session, shortcuts)))
        return session

    def close_session(self) -> str:
        """The portal ends the latest session itself: `Session.Closed`; returns the session."""
        session = self.latest_session()
        del self.bound[session]
        emitter = DBusAddress(session, interface=SESSION_INTERFACE)
        self._send(new_signal(emitter, "Closed", "a{sv}", ({},)))
        return session

    # --- the service ------------------------------------------------------------------------

    def _send(self, message: Message) -> None:
        with self._send_lock:
            self._conn.send(message)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                message = self._conn.receive(timeout=0.1)  # wakes up to notice stop()
            except TimeoutError:
                continue
            except (OSError, EOFError):
                return
            if message.header.message_type is MessageType.method_call:
                self._handle(message)

    def _handle(self, message: Message) -> None:
        fields = message.header.fields
        interface = fields.get(HeaderFields.interface, "")
        member = fields.get(HeaderFields.member, "")
        path = fields.get(HeaderFields.path, "")
        sender = fields.get(HeaderFields.sender, "")
        call = Call(member, sender, path, tuple(message.body))
        if interface == "org.freedesktop.DBus.Properties" and member == "Get":
            self.calls.append(call)
            self._get_property(message)
        elif interface == REGISTRY_INTERFACE and self.has_registry and member == "Register":
            self.calls.append(call)
            self._send(new_method_return(message))
        elif interface == SHORTCUTS_INTERFACE and self.shortcuts_version is not None:
            self.calls.append(call)
            if member == "CreateSession":
                self._create_session(message, sender)
            elif member == "BindShortcuts":
                self._bind_shortcuts(message, sender)
            else:
                self._send(new_error(message, UNKNOWN_METHOD, "s", (member,)))
        elif interface == SESSION_INTERFACE and member == "Close" and path in self.bound:
            self.calls.append(call)
            del self.bound[path]
            self._send(new_method_return(message))
        else:
            self._send(new_error(message, UNKNOWN_INTERFACE, "s", (f"{interface}.{member}",)))

    def _get_property(self, message: Message) -> None:
        interface, name = message.body
        if interface != SHORTCUTS_INTERFACE or self.shortcuts_version is None:
            self._send(new_error(message, UNKNOWN_INTERFACE, "s", (interface,)))
        elif name != "version":
            self._send(new_error(message, "org.freedesktop.DBus.Error.UnknownProperty"))
        else:
            self._send(new_method_return(message, "v", (("u", self.shortcuts_version),)))

    def _respond(self, message: Message, sender: str, token: str) -> str:
        """Reply with the request path; the caller then emits Response there."""
        path = request_path(sender, token)
        self._send(new_method_return(message, "o", (path,)))
        return path

    def _emit_response(self, path: str, code: int, results: dict[str, Any]) -> None:
        request = DBusAddress(path, interface=REQUEST_INTERFACE)
        self._send(new_signal(request, "Response", "ua{sv}", (code, results)))

    def _create_session(self, message: Message, sender: str) -> None:
        (options,) = message.body
        token = options["handle_token"][1]
        if self.refuse_sessions > 0:
            self.refuse_sessions -= 1
            self._emit_response(self._respond(message, sender, token), 2, {})
            return
        escaped = sender.lstrip(":").replace(".", "_")
        session = f"{PORTAL_PATH}/session/{escaped}/{options['session_handle_token'][1]}"
        self.bound[session] = {}
        path = self._respond(message, sender, token)
        self._emit_response(path, 0, {"session_handle": ("s", session)})

    def _bind_shortcuts(self, message: Message, sender: str) -> None:
        session, shortcuts, _parent, options = message.body
        path = self._respond(message, sender, options["handle_token"][1])
        if not self.answer_bind:
            return
        if self.bind_response != 0:
            self._emit_response(path, self.bind_response, {})
            return
        result = []
        triggers: dict[str, str] = {}
        for shortcut_id, props in shortcuts:
            trigger = self.assigned.get(shortcut_id, props["preferred_trigger"][1])
            triggers[shortcut_id] = trigger
            description = ("s", props["description"][1])
            result.append(
                (shortcut_id, {"description": description, "trigger_description": ("s", trigger)})
            )
        self.bound[session] = triggers
        self._emit_response(path, 0, {"shortcuts": ("a(sa{sv})", result)})


@pytest.fixture(scope="module")
def portal_bus() -> Iterator[str]:
    """A private session bus for the module's tests (no service activation)."""
    with private_session_bus() as address:
        yield address


@pytest.fixture
def portal(portal_bus: str) -> Iterator[FakePortal]:
    """A FakePortal (GlobalShortcuts version 1) owning org.freedesktop.portal.Desktop."""
    with FakePortal(portal_bus) as fake:
        yield fake
