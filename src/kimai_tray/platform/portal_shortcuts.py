"""Global shortcuts on Wayland through the xdg-desktop-portal GlobalShortcuts portal (D-Bus).

Wayland forbids key grabs; a desktop with xdg-desktop-portal >= 1.17 offers
`org.freedesktop.portal.GlobalShortcuts` instead: the app *asks* for shortcuts, the desktop
may show a dialog where the user confirms or picks other keys, then signals `Activated`.

Pure Python D-Bus (jeepney), on the app's asyncio loop: no thread, no Qt. Every await on the
bus has a timeout, so a dead portal never hangs the app. Importing this module raises
ImportError when jeepney is missing; callers treat that as "no portal".
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import socket
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from jeepney import (  # type: ignore[import-untyped]
    DBusAddress,
    HeaderFields,
    MatchRule,
    Message,
    MessageType,
    Parser,
    Properties,
    message_bus,
    new_method_call,
)
from jeepney.bus import get_connectable_addresses  # type: ignore[import-untyped]
from jeepney.io.asyncio import open_dbus_router  # type: ignore[import-untyped]
from jeepney.io.blocking import prep_socket  # type: ignore[import-untyped]

from kimai_tray.platform.hotkeys import Hotkey, HotkeyError, HotkeyUnavailableError

log = logging.getLogger(__name__)

PORTAL_BUS_NAME = "org.freedesktop.portal.Desktop"
PORTAL_PATH = "/org/freedesktop/portal/desktop"
SHORTCUTS_INTERFACE = "org.freedesktop.portal.GlobalShortcuts"
REQUEST_INTERFACE = "org.freedesktop.portal.Request"
SESSION_INTERFACE = "org.freedesktop.portal.Session"
REGISTRY_INTERFACE = "org.freedesktop.host.portal.Registry"
APP_ID = "org.kimai.KimaiTray"  # packaging/linux/org.kimai.KimaiTray.desktop

RESPONSE_CANCELLED = 1

_T = TypeVar("_T")

# XDG shortcut format: SHIFT, CTRL, ALT, LOGO, then an xkb keysym name.
_XDG_MODIFIERS = (("ctrl", "CTRL"), ("alt", "ALT"), ("shift", "SHIFT"), ("super", "LOGO"))
_KEYSYM_NAMES = {
    "space": "space",
    "pause": "Pause",
    "insert": "Insert",
    "delete": "Delete",
    "home": "Home",
    "end": "End",
    "pageup": "Page_Up",
    "pagedown": "Page_Down",
    "up": "Up",
    "down": "Down",
    "left": "Left",
    "right": "Right",
    "return": "Return",
    "enter": "Return",
    "escape": "Escape",
    "esc": "Escape",
    "tab": "Tab",
    "backspace": "BackSpace",
    "print": "Print",
}


class PortalCancelledError(HotkeyError):
    default_message = (
        "The global shortcuts were not confirmed in the desktop's dialog: "
        "save the hotkeys in Settings to be asked again."
    )


class PortalRefusedError(HotkeyError):
    default_message = (
        "The desktop could not set up the global shortcuts: "
        "bind 'kimai-tray toggle' in your desktop's keyboard settings instead."
    )


class PortalTimeoutError(HotkeyError):
    default_message = (
        "The desktop did not answer the global-shortcuts request in time: "
        "restart kimai-tray to try again."
    )


def xdg_trigger(hotkey: Hotkey) -> str:
    """The portal's `preferred_trigger` for a hotkey, e.g. "CTRL+ALT+t"."""
    key = hotkey.key
    if len(key) == 1:
        name = key.lower()
    elif key.startswith("f") and key[1:].isdigit():
        name = key.upper()
    else:
        name = _KEYSYM_NAMES.get(key, key)
    mods = [xdg for mod, xdg in _XDG_MODIFIERS if mod in hotkey.modifiers]
    return "+".join([*mods, name])


def request_path(unique_name: str, token: str) -> str:
    """Where the portal will emit `Response` for a call made with `handle_token=token`."""
    sender = unique_name.lstrip(":").replace(".", "_")
    return f"{PORTAL_PATH}/request/{sender}/{token}"


def _error_name(message: Message) -> str:
    return str(message.header.fields.get(HeaderFields.error_name, "unknown error"))


# --- detection (synchronous: hotkey_support() runs at start and in the settings dialog) -------


def portal_shortcuts_version(bus_address: str | None, timeout: float = 1.0) -> int | None:
    """The GlobalShortcuts portal's `version`, or None when this session has none.

    Asks the bus for the property (no version strings): any error, a missing bus or a bus
    that does not answer within `timeout` seconds means "not available".
    """
    if not bus_address:
        return None
    deadline = time.monotonic() + timeout
    try:
        sock = prep_socket(_socket_path(bus_address), timeout=timeout)
    except (OSError, EOFError, ValueError, RuntimeError) as exc:
        log.info("kimai-tray: no D-Bus session bus for the shortcuts portal: %s", exc)
        return None
    shortcuts = DBusAddress(PORTAL_PATH, bus_name=PORTAL_BUS_NAME, interface=SHORTCUTS_INTERFACE)
    with sock:
        try:
            parser, serials = Parser(), itertools.count(1)
            _blocking_call(sock, parser, message_bus.Hello(), next(serials), deadline)
            get = Properties(shortcuts).get("version")
            reply = _blocking_call(sock, parser, get, next(serials), deadline)
        except (OSError, EOFError, ValueError) as exc:  # TimeoutError is an OSError
            log.info("kimai-tray: the D-Bus session bus did not answer: %r", exc)
            return None
    if reply.header.message_type is MessageType.error:
        log.info("kimai-tray: no GlobalShortcuts portal here (%s)", _error_name(reply))
        return None
    _signature, version = reply.body[0]
    return int(version)


def _socket_path(bus_address: str) -> str:
    return str(next(get_connectable_addresses(bus_address)))


def _blocking_call(
    sock: socket.socket, parser: Any, message: Message, serial: int, deadline: float
) -> Message:
    """Send one call and read until its reply, never past `deadline` (jeepney's blocking
    connection waits for Hello's reply without a limit, so this reads the socket itself)."""
    sock.settimeout(max(deadline - time.monotonic(), 0.001))
    sock.sendall(message.serialise(serial=serial))
    while True:
        incoming = parser.get_next_message()
        if incoming is None:
            sock.settimeout(max(deadline - time.monotonic(), 0.001))
            data = sock.recv(4096)
            if not data:
                raise EOFError("the D-Bus connection was closed")
            parser.add_data(data)
            continue
        if incoming.header.fields.get(HeaderFields.reply_serial) == serial:
            return incoming


# --- the asyncio client -------------------------------------------------------------------------


class PortalShortcuts:
    """One GlobalShortcuts client: `open()`, `bind()` (again after settings change), `close()`.

    `on_activated(shortcut_id)` runs on the asyncio loop when the user presses a bound shortcut.
    The connection outlives the portal's sessions: `watch()` tells when the desktop changed a
    key, when our session ended (closed by the portal, or the portal left the bus) and when the
    portal is back on the bus; `start_session()` then opens a new one on the same connection.
    """

    def __init__(
        self,
        on_activated: Callable[[str], None],
        *,
        bus: str = "SESSION",
        app_id: str = APP_ID,
        call_timeout: float = 5.0,
        dialog_timeout: float = 300.0,  # the first bind may wait for the user in a dialog
    ) -> None:
        self._on_activated = on_activated
        self._on_changed: Callable[[dict[str, str]], None] | None = None
        self._on_lost: Callable[[bool], None] | None = None
        self._on_back: Callable[[], None] | None = None
        self._bus = bus
        self._app_id = app_id
        self._call_timeout = call_timeout
        self._dialog_timeout = dialog_timeout
        self._portal = DBusAddress(PORTAL_PATH, bus_name=PORTAL_BUS_NAME)
        self._tokens = itertools.count(1)
        self._opener: Any = None
        self._router: Any = None
        self._filters: list[Any] = []
        self._listener: asyncio.Task[None] | None = None
        self.session: str | None = None

    def watch(
        self,
        *,
        on_changed: Callable[[dict[str, str]], None] | None = None,
        on_lost: Callable[[bool], None] | None = None,
        on_back: Callable[[], None] | None = None,
    ) -> None:
        """Callbacks on the asyncio loop: `on_changed(id -> trigger)` when the user changed keys
        in the desktop's settings, `on_lost(portal_gone)` when our session ended (the portal
        closed it, or left the bus: `portal_gone`), `on_back()` when a portal owns the name
        again."""
        self._on_changed, self._on_lost, self._on_back = on_changed, on_lost, on_back

    async def open(self) -> None:
        """Connect, listen for the portal's signals, register our app id, create the session."""
        opener = open_dbus_router(self._bus)
        try:
            self._router = await self._bounded(opener.__aenter__(), self._call_timeout)
        except (OSError, EOFError, KeyError, ValueError, RuntimeError) as exc:
            raise HotkeyUnavailableError(
                "The desktop's D-Bus session is not reachable, so no global hotkey can be set "
                "up: start kimai-tray from your desktop session.",
                detail=repr(exc),
            ) from exc
        self._opener = opener
        signals: asyncio.Queue[Message] = asyncio.Queue()
        for local, on_bus in _signal_rules():
            await self._call(message_bus.AddMatch(on_bus))
            self._filters.append(self._router.filter(local, queue=signals))
        self._listener = asyncio.get_running_loop().create_task(self._listen(signals))
        await self.start_session()

    async def start_session(self) -> None:
        """Register our app id and create a session (again, after the portal came back)."""
        if self._router is None:
            raise RuntimeError("PortalShortcuts.start_session() before open()")
        await self._register_app()
        session_token = f"kimai_tray_{next(self._tokens)}"

        def create_session(token: str) -> Message:
            options = {"handle_token": ("s", token), "session_handle_token": ("s", session_token)}
            return new_method_call(
                self._on(SHORTCUTS_INTERFACE), "CreateSession", "a{sv}", (options,)
            )

        results = await self._request(create_session, self._call_timeout)
        _signature, handle = results.get("session_handle", ("s", ""))
        if not handle:
            raise PortalRefusedError(detail="CreateSession returned no session_handle")
        self.session = str(handle)
        log.info("kimai-tray: global shortcuts session %s", self.session)

    async def bind(self, hotkeys: Mapping[str, tuple[Hotkey, str]]) -> dict[str, str]:
        """Ask the desktop for `id -> (hotkey, description)`; returns id -> the trigger the
        desktop assigned (its own words, e.g. "Ctrl+Alt+T"; empty when it assigned none)."""
        session = self.session
        if session is None:
            raise RuntimeError("PortalShortcuts.bind() before open()")
        shortcuts = [
            (shortcut_id, {"description": ("s", text), "preferred_trigger": ("s", xdg_trigger(hk))})
            for shortcut_id, (hk, text) in hotkeys.items()
        ]

        def bind_shortcuts(token: str) -> Message:
            return new_method_call(
                self._on(SHORTCUTS_INTERFACE),
                "BindShortcuts",
                "oa(sa{sv})sa{sv}",
                (session, shortcuts, "", {"handle_token": ("s", token)}),
            )

        results = await self._request(bind_shortcuts, self._dialog_timeout)
        _signature, bound = results.get("shortcuts", ("a(sa{sv})", []))
        return _triggers(bound)

    async def close(self) -> None:
        """Close the portal session (the desktop forgets the binding) and the connection."""
        if self.session is not None and self._router is not None:
            session = DBusAddress(
                self.session, bus_name=PORTAL_BUS_NAME, interface=SESSION_INTERFACE
            )
            try:
                await self._call(new_method_call(session, "Close"))
            except HotkeyError as exc:
                log.info("kimai-tray: closing the shortcuts session: %s", exc.detail)
        self.session = None
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None
        for handle in self._filters:
            handle.close()
        self._filters.clear()
        opener, self._opener, self._router = self._opener, None, None
        if opener is not None:
            try:
                await opener.__aexit__(None, None, None)
            except (OSError, EOFError) as exc:  # the bus went away first: nothing left to close
                log.debug("kimai-tray: closing the portal connection: %r", exc)

    # --- plumbing ---------------------------------------------------------------------------

    def _on(self, interface: str) -> Any:
        return DBusAddress(PORTAL_PATH, bus_name=PORTAL_BUS_NAME, interface=interface)

    async def _bounded(self, step: Awaitable[_T], limit_s: float) -> _T:
        try:
            return await asyncio.wait_for(step, limit_s)
        except TimeoutError as exc:
            raise PortalTimeoutError(detail=f"no answer within {limit_s} s") from exc

    async def _call(self, message: Message) -> tuple[Any, ...]:
        """A method call; D-Bus errors become HotkeyUnavailableError."""
        try:
            reply = await self._bounded(
                self._router.send_and_get_reply(message), self._call_timeout
            )
        except (OSError, EOFError) as exc:
            raise HotkeyUnavailableError(
                "The connection to the desktop's D-Bus session was lost: restart kimai-tray.",
                detail=repr(exc),
            ) from exc
        if reply.header.message_type is MessageType.error:
            raise HotkeyUnavailableError(
                "The desktop's global-shortcuts portal refused the request: bind "
                "'kimai-tray toggle' in your desktop's keyboard settings instead.",
                detail=f"{_error_name(reply)}: {reply.body}",
            )
        return tuple(reply.body)

    async def _request(self, make_call: Callable[[str], Message], limit_s: float) -> dict[str, Any]:
        """A portal method that answers later with `Request.Response` on a predictable path;
        subscribe first so an immediate answer cannot be missed."""
        token = f"kimai_tray_{next(self._tokens)}"
        path = request_path(self._router.unique_name, token)
        rule = MatchRule(type="signal", interface=REQUEST_INTERFACE, member="Response", path=path)
        await self._call(message_bus.AddMatch(rule))
        try:
            with self._router.filter(rule, queue=asyncio.Queue()) as responses:
                (handle,) = await self._call(make_call(token))
                if handle != path:  # portals before 0.9 used other paths; no GlobalShortcuts there
                    raise PortalRefusedError(detail=f"unexpected request path {handle}")
                response = await self._bounded(responses.get(), limit_s)
        finally:
            with contextlib.suppress(OSError, EOFError):
                await self._router.send(message_bus.RemoveMatch(rule))
        code, results = response.body
        if code == RESPONSE_CANCELLED:
            raise PortalCancelledError(detail="the user cancelled the portal dialog")
        if code != 0:
            raise PortalRefusedError(detail=f"portal response {code}: {results}")
        return dict(results)

    async def _register_app(self) -> None:
        """Tell the portal our app id (portal >= 1.19), so its dialog names kimai-tray; older
        portals do not know the call, which changes nothing else."""
        registry = DBusAddress(PORTAL_PATH, bus_name=PORTAL_BUS_NAME, interface=REGISTRY_INTERFACE)
        call = new_method_call(registry, "Register", "sa{sv}", (self._app_id, {}))
        try:
            await self._call(call)
        except HotkeyError as exc:
            log.debug("kimai-tray: portal registry: %s", exc.detail)

    async def _listen(self, signals: asyncio.Queue[Message]) -> None:
        while True:
            signal = await signals.get()
            try:
                self._dispatch(signal)
            except Exception:  # a failing callback must not end the hotkeys
                log.exception("kimai-tray: handling the portal's %s failed", _member(signal))

    def _dispatch(self, signal: Message) -> None:
        member = _member(signal)
        if member == "NameOwnerChanged":
            _name, old_owner, new_owner = signal.body
            if old_owner:  # also when one owner hands over to another: our session died
                self._lose(portal_gone=True)
            if new_owner:
                log.info("kimai-tray: the desktop's portal is on the bus (%s)", new_owner)
                if self._on_back is not None:
                    self._on_back()
        elif member == "Closed":  # Session.Closed: the portal ended a session
            if signal.header.fields.get(HeaderFields.path) == self.session:
                self._lose(portal_gone=False)
        elif signal.body[0] != self.session:
            return  # another session of ours (an earlier one) or another app's
        elif member == "Activated":
            self._on_activated(str(signal.body[1]))
        elif member == "ShortcutsChanged" and self._on_changed is not None:
            self._on_changed(_triggers(signal.body[1]))

    def _lose(self, *, portal_gone: bool) -> None:
        """Our session is over: forget it, and say so once (a portal that closes the session
        and then leaves the bus still tells that it left, so a new session waits for it)."""
        had_session, self.session = self.session is not None, None
        if (had_session or portal_gone) and self._on_lost is not None:
            self._on_lost(portal_gone)


def _member(message: Message) -> str:
    return str(message.header.fields.get(HeaderFields.member, ""))


def _triggers(shortcuts: Any) -> dict[str, str]:
    """`a(sa{sv})` shortcuts -> id -> the desktop's trigger_description ("" for none)."""
    assigned: dict[str, str] = {}
    for shortcut_id, props in shortcuts:
        _sig, trigger = props.get("trigger_description", ("s", ""))
        assigned[str(shortcut_id)] = str(trigger)
    return assigned


def _signal_rules() -> list[tuple[MatchRule, MatchRule]]:
    """(local filter, bus subscription) for each signal the client listens to.

    The bus resolves the portal's well-known sender name; jeepney's local filter sees only the
    unique name, so the local rules leave the sender out."""
    rules: list[tuple[MatchRule, MatchRule]] = []
    for member in ("Activated", "ShortcutsChanged"):
        fields = {"type": "signal", "interface": SHORTCUTS_INTERFACE, "member": member}
        local = MatchRule(**fields, path=PORTAL_PATH)
        rules.append((local, MatchRule(**fields, path=PORTAL_PATH, sender=PORTAL_BUS_NAME)))
    closed = {"type": "signal", "interface": SESSION_INTERFACE, "member": "Closed"}
    rules.append((MatchRule(**closed), MatchRule(**closed, sender=PORTAL_BUS_NAME)))
    # The portal leaving and coming back (a restart, a crash): the bus itself says so.
    owner = MatchRule(
        type="signal",
        sender="org.freedesktop.DBus",
        interface="org.freedesktop.DBus",
        member="NameOwnerChanged",
        path="/org/freedesktop/DBus",
    )
    owner.add_arg_condition(0, PORTAL_BUS_NAME)
    rules.append((owner, owner))
    return rules
