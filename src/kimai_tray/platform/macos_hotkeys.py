"""macOS global hotkeys through a Quartz event tap, with ctypes only (no pyobjc).

An active event tap (`kCGEventTapOptionDefault`) sees every key-down of the session and may
swallow one, which is what a global hotkey needs. macOS allows it only to apps the user trusts
under Privacy & Security → Accessibility; without that `CGEventTapCreate` returns NULL.

The tap's run-loop source goes on the main run loop, which Qt's Cocoa event loop runs, so the
callback arrives in the GUI thread. It must return quickly (macOS disables a slow tap), so it
only queues the hotkey's name and calls the wake-up; the Qt side then calls `poll()`.

Keys are matched by virtual keycode, i.e. by the position of the key on a US (ANSI) keyboard,
like Carbon's `RegisterEventHotKey`: on a German layout "Ctrl+Alt+Z" is the key labelled Y.

Every native call goes through the `QuartzApi` protocol so the logic is tested on Linux with a
fake; `CtypesQuartzApi` is the thin real part and loads the frameworks only when constructed.
"""

from __future__ import annotations

import ctypes
import logging
from collections.abc import Callable
from typing import Any, Protocol

from kimai_tray.platform.hotkeys import Hotkey, HotkeyError, HotkeyUnavailableError

log = logging.getLogger(__name__)

ACCESSIBILITY_REQUIRED = (
    "macOS does not yet allow kimai-tray to watch for its hotkeys: allow kimai-tray in "
    "System Settings → Privacy & Security → Accessibility, then quit and reopen it."
)

ACCESSIBILITY_EXPLANATION = (
    "On macOS a global hotkey needs the Accessibility permission, because only a trusted app "
    "may notice a key press while another app is in front. kimai-tray compares each key press "
    "with your hotkeys and takes only those; it does not record, store or send any other key. "
    "When you continue, macOS asks you to allow kimai-tray in System Settings → Privacy & "
    "Security → Accessibility; quit and reopen kimai-tray after allowing it."
)

# CoreGraphics constants (CGEventTypes.h).
KCG_SESSION_EVENT_TAP = 1
KCG_HEAD_INSERT_EVENT_TAP = 0
KCG_EVENT_TAP_OPTION_DEFAULT = 0  # active tap: may swallow events (listen-only is 1)
KCG_EVENT_KEY_DOWN = 10
KCG_EVENT_TAP_DISABLED_BY_TIMEOUT = 0xFFFFFFFE
KCG_EVENT_TAP_DISABLED_BY_USER_INPUT = 0xFFFFFFFF
KCG_KEYBOARD_EVENT_AUTOREPEAT = 8
KCG_KEYBOARD_EVENT_KEYCODE = 9

FLAG_CAPS_LOCK = 0x10000
FLAG_SHIFT = 0x20000
FLAG_CONTROL = 0x40000
FLAG_OPTION = 0x80000
FLAG_COMMAND = 0x100000
# Only these take part in matching: CapsLock, NumericPad (arrows) and Fn (F-keys on laptops)
# are set by the keyboard itself and must not stop a hotkey.
MATCHED_FLAGS = FLAG_SHIFT | FLAG_CONTROL | FLAG_OPTION | FLAG_COMMAND

MODIFIER_FLAGS = {
    "ctrl": FLAG_CONTROL,
    "alt": FLAG_OPTION,
    "shift": FLAG_SHIFT,
    "super": FLAG_COMMAND,
}

# Carbon Events.h: kVK_ANSI_* are US-layout positions, the rest are layout-independent.
_ANSI_KEYCODES = {
    "a": 0x00, "s": 0x01, "d": 0x02, "f": 0x03, "h": 0x04, "g": 0x05, "z": 0x06, "x": 0x07,
    "c": 0x08, "v": 0x09, "b": 0x0B, "q": 0x0C, "w": 0x0D, "e": 0x0E, "r": 0x0F, "y": 0x10,
    "t": 0x11, "1": 0x12, "2": 0x13, "3": 0x14, "4": 0x15, "6": 0x16, "5": 0x17, "=": 0x18,
    "9": 0x19, "7": 0x1A, "-": 0x1B, "8": 0x1C, "0": 0x1D, "]": 0x1E, "o": 0x1F, "u": 0x20,
    "[": 0x21, "i": 0x22, "p": 0x23, "l": 0x25, "j": 0x26, "'": 0x27, "k": 0x28, ";": 0x29,
    "\\": 0x2A, ",": 0x2B, "/": 0x2C, "n": 0x2D, "m": 0x2E, ".": 0x2F, "`": 0x32,
}  # fmt: skip
_NAMED_KEYCODES = {
    "return": 0x24, "enter": 0x24, "tab": 0x30, "space": 0x31, "escape": 0x35, "esc": 0x35,
    # A PC keyboard's Insert key sends Help on a Mac.
    "insert": 0x72, "help": 0x72, "home": 0x73, "pageup": 0x74, "end": 0x77, "pagedown": 0x79,
    "left": 0x7B, "right": 0x7C, "down": 0x7D, "up": 0x7E,
    "f1": 0x7A, "f2": 0x78, "f3": 0x63, "f4": 0x76, "f5": 0x60, "f6": 0x61, "f7": 0x62,
    "f8": 0x64, "f9": 0x65, "f10": 0x6D, "f11": 0x67, "f12": 0x6F, "f13": 0x69, "f14": 0x6B,
    "f15": 0x71, "f16": 0x6A, "f17": 0x40, "f18": 0x4F, "f19": 0x50, "f20": 0x5A,
}  # fmt: skip


def macos_keycode(key: str) -> int:
    """The macOS virtual keycode (kVK_*) of one of our key names."""
    code = _ANSI_KEYCODES.get(key, _NAMED_KEYCODES.get(key))
    if code is None:
        raise HotkeyError(
            f"The key '{key}' does not exist on a Mac keyboard: choose a letter, a digit, "
            "F1–F20, Space, Home or End for the hotkey."
        )
    return code


def macos_modifier_flags(hotkey: Hotkey) -> int:
    """The CGEventFlags a key-down carries when exactly `hotkey`'s modifiers are held."""
    flags = 0
    for modifier in hotkey.modifiers:
        flags |= MODIFIER_FLAGS[modifier]
    return flags


# CGEventRef (*)(CGEventTapProxy, CGEventType, CGEventRef, void *userInfo)
TAP_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint32, ctypes.c_void_p, ctypes.c_void_p
)


class QuartzApi(Protocol):
    """The CoreGraphics / CoreFoundation / HIServices calls the backend makes.

    References (CFMachPortRef, CFRunLoopSourceRef, CGEventRef, ...) are plain addresses;
    None stands for NULL.
    """

    def event_tap_create(  # CGEventTapCreate(..., userInfo=NULL)
        self, tap: int, place: int, options: int, events_of_interest: int, callback: Any
    ) -> int | None: ...

    def event_tap_enable(self, tap: int, enable: bool) -> None: ...  # CGEventTapEnable

    def mach_port_create_run_loop_source(self, port: int) -> int | None: ...

    def mach_port_invalidate(self, port: int) -> None: ...  # CFMachPortInvalidate

    def run_loop_get_main(self) -> int: ...  # CFRunLoopGetMain

    def run_loop_common_modes(self) -> int: ...  # the kCFRunLoopCommonModes string

    def run_loop_add_source(self, loop: int, source: int, mode: int) -> None: ...

    def run_loop_remove_source(self, loop: int, source: int, mode: int) -> None: ...

    def release(self, ref: int) -> None: ...  # CFRelease

    def event_get_integer_value_field(self, event: int, field: int) -> int: ...

    def event_get_flags(self, event: int) -> int: ...  # CGEventGetFlags

    def is_process_trusted(self, prompt: bool) -> bool: ...  # AXIsProcessTrustedWithOptions


def accessibility_trusted(prompt: bool, api: QuartzApi | None = None) -> bool:
    """Whether macOS trusts this app for Accessibility; prompt=True shows macOS's own dialog."""
    quartz = api if api is not None else CtypesQuartzApi()
    return quartz.is_process_trusted(prompt)


class MacEventTapHotkeyBackend:
    """`HotkeyBackend` on macOS: one active event tap on the main run loop for all hotkeys.

    The tap exists only while at least one hotkey is registered, so with no hotkeys no key
    press is looked at.
    """

    def __init__(self, api: QuartzApi | None = None) -> None:
        self._api = api if api is not None else CtypesQuartzApi()
        self._hotkeys: dict[tuple[int, int], str] = {}
        self._fired: list[str] = []
        self._wakeup: Callable[[], None] | None = None
        self._tap: int | None = None
        self._source: int | None = None
        # macOS calls this pointer until the tap is invalidated: it must outlive the tap,
        # or the process crashes in the next key press after a garbage collection.
        self._callback: Any = TAP_CALLBACK(self._on_event)

    def set_wakeup(self, callback: Callable[[], None]) -> None:
        """`callback` runs inside the tap callback (GUI thread) after a hotkey was queued.

        It should only schedule `poll()` (e.g. `QTimer.singleShot(0, ...)`): the tap callback
        must return quickly or macOS disables the tap.
        """
        self._wakeup = callback

    def register(self, name: str, hotkey: Hotkey) -> None:
        combination = (macos_keycode(hotkey.key), macos_modifier_flags(hotkey))
        if self._tap is None:
            self._start_tap()
        self._hotkeys[combination] = name
        log.info("global hotkey %s registered for %s", hotkey, name)

    def _start_tap(self) -> None:
        api = self._api
        tap = api.event_tap_create(
            KCG_SESSION_EVENT_TAP,
            KCG_HEAD_INSERT_EVENT_TAP,
            KCG_EVENT_TAP_OPTION_DEFAULT,
            1 << KCG_EVENT_KEY_DOWN,
            self._callback,
        )
        if not tap:
            raise HotkeyUnavailableError(
                ACCESSIBILITY_REQUIRED, detail="CGEventTapCreate returned NULL"
            )
        source = api.mach_port_create_run_loop_source(tap)
        if not source:
            api.mach_port_invalidate(tap)
            api.release(tap)
            raise HotkeyUnavailableError(detail="CFMachPortCreateRunLoopSource returned NULL")
        api.run_loop_add_source(api.run_loop_get_main(), source, api.run_loop_common_modes())
        api.event_tap_enable(tap, True)
        self._tap, self._source = tap, source

    def _on_event(
        self, proxy: int | None, event_type: int, event: int | None, user_info: int | None
    ) -> int | None:
        """The tap callback: the returned event is delivered on, None swallows it."""
        try:
            return self._handle(event_type, event)
        except Exception:  # an exception escaping into ctypes would swallow the key
            log.exception("kimai-tray: error in the hotkey event tap")
            return event

    def _handle(self, event_type: int, event: int | None) -> int | None:
        if event_type in (KCG_EVENT_TAP_DISABLED_BY_TIMEOUT, KCG_EVENT_TAP_DISABLED_BY_USER_INPUT):
            log.info(
                "kimai-tray: macOS disabled the hotkey event tap (%#x); re-enabling", event_type
            )
            if self._tap is not None:
                self._api.event_tap_enable(self._tap, True)
            return event
        if event_type != KCG_EVENT_KEY_DOWN or not event:
            return event
        keycode = self._api.event_get_integer_value_field(event, KCG_KEYBOARD_EVENT_KEYCODE)
        flags = self._api.event_get_flags(event) & MATCHED_FLAGS
        name = self._hotkeys.get((keycode, flags))
        if name is None:
            return event
        # Holding the combination repeats the key-down: one press, one action. The repeats
        # are still swallowed so the focused app does not receive them either.
        if not self._api.event_get_integer_value_field(event, KCG_KEYBOARD_EVENT_AUTOREPEAT):
            self._fired.append(name)
            if self._wakeup is not None:
                self._wakeup()
        return None

    def unregister_all(self) -> None:
        self._hotkeys.clear()
        tap, source = self._tap, self._source
        self._tap = self._source = None
        api = self._api
        if tap is not None:
            api.event_tap_enable(tap, False)
        if source is not None:
            api.run_loop_remove_source(api.run_loop_get_main(), source, api.run_loop_common_modes())
            api.release(source)
        if tap is not None:
            api.mach_port_invalidate(tap)
            api.release(tap)

    def fileno(self) -> int | None:
        return None  # delivered by the tap callback through the wake-up instead

    def poll(self) -> list[str]:
        fired, self._fired = self._fired, []
        return fired

    def close(self) -> None:
        self.unregister_all()
        self._wakeup = None


# --- the real ctypes layer --------------------------------------------------------------------

_APPLICATION_SERVICES = (
    "/System/Library/Frameworks/ApplicationServices.framework/ApplicationServices"
)
_CORE_FOUNDATION = "/System/Library/Frameworks/CoreFoundation.framework/CoreFoundation"

_REF = ctypes.c_void_p  # every CFTypeRef / CGEventRef / CFAllocatorRef is pointer-sized
_CF_INDEX = ctypes.c_long  # CFIndex is signed long

_Signatures = dict[str, tuple[Any, list[Any]]]  # function name -> (restype, argtypes)

# ApplicationServices re-exports CoreGraphics (CG*) and HIServices (AX*).
APPLICATION_SERVICES_SIGNATURES: _Signatures = {
    "CGEventTapCreate": (
        _REF,
        [ctypes.c_uint32, ctypes.c_uint32, ctypes.c_uint32, ctypes.c_uint64, TAP_CALLBACK, _REF],
    ),
    "CGEventTapEnable": (None, [_REF, ctypes.c_bool]),
    "CGEventGetIntegerValueField": (ctypes.c_int64, [_REF, ctypes.c_uint32]),
    "CGEventGetFlags": (ctypes.c_uint64, [_REF]),
    "AXIsProcessTrustedWithOptions": (ctypes.c_ubyte, [_REF]),  # Boolean
}
CORE_FOUNDATION_SIGNATURES: _Signatures = {
    "CFMachPortCreateRunLoopSource": (_REF, [_REF, _REF, _CF_INDEX]),
    "CFMachPortInvalidate": (None, [_REF]),
    "CFRunLoopGetMain": (_REF, []),
    "CFRunLoopAddSource": (None, [_REF, _REF, _REF]),
    "CFRunLoopRemoveSource": (None, [_REF, _REF, _REF]),
    "CFRelease": (None, [_REF]),
    "CFDictionaryCreate": (
        _REF,
        [_REF, ctypes.POINTER(_REF), ctypes.POINTER(_REF), _CF_INDEX, _REF, _REF],
    ),
}


def _load(path: str, signatures: _Signatures) -> Any:  # pragma: no cover - macOS only
    library = ctypes.cdll.LoadLibrary(path)
    for name, (restype, argtypes) in signatures.items():
        function = getattr(library, name)
        function.restype, function.argtypes = restype, argtypes
    return library


class CtypesQuartzApi:  # pragma: no cover - macOS only
    """`QuartzApi` on the real frameworks; raises HotkeyUnavailableError where they are absent."""

    def __init__(self) -> None:
        try:
            self._app = _load(_APPLICATION_SERVICES, APPLICATION_SERVICES_SIGNATURES)
            self._cf = _load(_CORE_FOUNDATION, CORE_FOUNDATION_SIGNATURES)
        except (OSError, AttributeError) as exc:
            raise HotkeyUnavailableError(detail=f"Quartz frameworks not loadable: {exc}") from exc

    def _symbol(self, library: Any, name: str) -> int:
        """The value of an exported CFStringRef/CFBooleanRef constant."""
        return int(ctypes.c_void_p.in_dll(library, name).value or 0)

    def event_tap_create(
        self, tap: int, place: int, options: int, events_of_interest: int, callback: Any
    ) -> int | None:
        result = self._app.CGEventTapCreate(tap, place, options, events_of_interest, callback, None)
        return int(result) if result else None

    def event_tap_enable(self, tap: int, enable: bool) -> None:
        self._app.CGEventTapEnable(tap, enable)

    def mach_port_create_run_loop_source(self, port: int) -> int | None:
        result = self._cf.CFMachPortCreateRunLoopSource(None, port, 0)
        return int(result) if result else None

    def mach_port_invalidate(self, port: int) -> None:
        self._cf.CFMachPortInvalidate(port)

    def run_loop_get_main(self) -> int:
        return int(self._cf.CFRunLoopGetMain())

    def run_loop_common_modes(self) -> int:
        return self._symbol(self._cf, "kCFRunLoopCommonModes")

    def run_loop_add_source(self, loop: int, source: int, mode: int) -> None:
        self._cf.CFRunLoopAddSource(loop, source, mode)

    def run_loop_remove_source(self, loop: int, source: int, mode: int) -> None:
        self._cf.CFRunLoopRemoveSource(loop, source, mode)

    def release(self, ref: int) -> None:
        self._cf.CFRelease(ref)

    def event_get_integer_value_field(self, event: int, field: int) -> int:
        return int(self._app.CGEventGetIntegerValueField(event, field))

    def event_get_flags(self, event: int) -> int:
        return int(self._app.CGEventGetFlags(event))

    def is_process_trusted(self, prompt: bool) -> bool:
        keys = (ctypes.c_void_p * 1)(self._symbol(self._app, "kAXTrustedCheckOptionPrompt"))
        values = (ctypes.c_void_p * 1)(
            self._symbol(self._cf, "kCFBooleanTrue" if prompt else "kCFBooleanFalse")
        )
        # The callback structs are exported data; CFDictionaryCreate wants their addresses.
        key_callbacks = ctypes.addressof(
            ctypes.c_byte.in_dll(self._cf, "kCFTypeDictionaryKeyCallBacks")
        )
        value_callbacks = ctypes.addressof(
            ctypes.c_byte.in_dll(self._cf, "kCFTypeDictionaryValueCallBacks")
        )
        options = self._cf.CFDictionaryCreate(None, keys, values, 1, key_callbacks, value_callbacks)
        try:
            return bool(self._app.AXIsProcessTrustedWithOptions(options))
        finally:
            if options:
                self._cf.CFRelease(options)
