"""Global hotkeys: one interface, a real key grab per platform.

- X11: `XGrabKey` through python-xlib on the root window, with the NumLock/CapsLock variants
  (otherwise the hotkey dies whenever NumLock is on). A `BadAccess` reply means another program
  owns the combination, which we report as `HotkeyConflictError`.
- Windows: `RegisterHotKey` with no window; Qt's event loop receives `WM_HOTKEY`, which a native
  event filter picks up. Not exercised on this Linux machine.
- Wayland forbids grabs: only the xdg-desktop-portal GlobalShortcuts portal (>= 1.17) can do it
  (`portal_shortcuts.py`; detected by asking the session bus). Where it is missing,
  `hotkey_support()` explains how to bind `kimai-tray toggle` as a desktop shortcut instead.
- macOS: a Quartz event tap (`macos_hotkeys.py`), which needs the Accessibility permission.
  Not exercised on this Linux machine.

The Qt glue (`QtHotkeyService`) reads the X connection through a `QSocketNotifier`, so no thread.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from kimai_tray.core.errors import KimaiTrayError

log = logging.getLogger(__name__)

DEFAULT_TOGGLE_HOTKEY = "Ctrl+Alt+T"
DEFAULT_POPUP_HOTKEY = "Ctrl+Alt+K"

_MODIFIER_ALIASES = {
    "ctrl": "ctrl",
    "control": "ctrl",
    "alt": "alt",
    "shift": "shift",
    "super": "super",
    "meta": "super",
    "win": "super",
    "cmd": "super",
}


class HotkeyError(KimaiTrayError):
    default_message = "The global hotkey could not be set up."


class HotkeyConflictError(HotkeyError):
    default_message = "Another program already uses this key combination: choose another hotkey."


class HotkeyUnavailableError(HotkeyError):
    default_message = "Global hotkeys are not available on this desktop."


@dataclass(frozen=True, slots=True)
class Hotkey:
    modifiers: frozenset[str]
    key: str  # lower-case key name: "t", "f5", "space"

    def __str__(self) -> str:
        order = ["ctrl", "alt", "shift", "super"]
        mods = [m.capitalize() for m in order if m in self.modifiers]
        return "+".join([*mods, self.key.upper() if len(self.key) == 1 else self.key.capitalize()])


def parse_hotkey(text: str) -> Hotkey:
    """Parse 'Ctrl+Alt+T' (case-insensitive); at least one modifier is required."""
    parts = [p.strip().lower() for p in text.split("+") if p.strip()]
    if not parts:
        raise HotkeyError("The hotkey is empty: type a combination such as Ctrl+Alt+T.")
    *mods, key = parts
    unknown = [m for m in mods if m not in _MODIFIER_ALIASES]
    if unknown:
        raise HotkeyError(
            f"Unknown modifier '{unknown[0]}' in the hotkey: use Ctrl, Alt, Shift or Super."
        )
    if not mods:
        raise HotkeyError("A global hotkey needs a modifier (Ctrl, Alt, Shift or Super).")
    if key in _MODIFIER_ALIASES:
        raise HotkeyError("The hotkey needs a key after the modifiers, such as Ctrl+Alt+T.")
    return Hotkey(frozenset(_MODIFIER_ALIASES[m] for m in mods), key)


class HotkeyBackend(Protocol):
    """Grab hotkeys; `fileno()` + `poll()` deliver activations without a thread."""

    def register(self, name: str, hotkey: Hotkey) -> None: ...

    def unregister_all(self) -> None: ...

    def fileno(self) -> int | None: ...

    def poll(self) -> list[str]: ...

    def close(self) -> None: ...


class X11HotkeyBackend:
    """Real XGrabKey on the root window of an X display (also XWayland apps cannot use it)."""

    def __init__(self, display_name: str | None = None) -> None:
        try:
            from Xlib import X
            from Xlib import display as xdisplay
            from Xlib.error import DisplayError
        except ImportError as exc:  # pragma: no cover - python-xlib is a Linux dependency
            raise HotkeyUnavailableError(detail=str(exc)) from exc
        try:
            self._display: Any = xdisplay.Display(display_name)
        except (DisplayError, OSError) as exc:
            raise HotkeyUnavailableError(
                "No X11 display is reachable, so no global hotkey can be set up.", detail=str(exc)
            ) from exc
        self._X: Any = X
        self._root: Any = self._display.screen().root
        self._grabs: dict[tuple[int, int], str] = {}
        # NumLock and CapsLock change the modifier state; grab every combination of them.
        self._ignored = (0, X.LockMask, X.Mod2Mask, X.LockMask | X.Mod2Mask)

    def _mask(self, hotkey: Hotkey) -> int:
        X = self._X  # noqa: N806 - Xlib's own name for its constants
        masks = {
            "ctrl": X.ControlMask,
            "alt": X.Mod1Mask,
            "shift": X.ShiftMask,
            "super": X.Mod4Mask,
        }
        mask = 0
        for mod in hotkey.modifiers:
            mask |= masks[mod]
        return mask

    def _keycode(self, hotkey: Hotkey) -> int:
        from Xlib import XK

        name = hotkey.key if len(hotkey.key) == 1 else hotkey.key.capitalize()
        keysym = XK.string_to_keysym(name)
        # Xlib spells some keys only in lower case ("space"), letters in either case.
        for other in (hotkey.key, hotkey.key.upper()):
            if keysym == 0:
                keysym = XK.string_to_keysym(other)
        keycode = int(self._display.keysym_to_keycode(keysym)) if keysym else 0
        if keycode == 0:
            raise HotkeyError(f"The key '{hotkey.key}' does not exist on this keyboard layout.")
        return keycode

    def register(self, name: str, hotkey: Hotkey) -> None:
        from Xlib import error as xerror

        X = self._X  # noqa: N806 - Xlib's own name for its constants
        keycode, mask = self._keycode(hotkey), self._mask(hotkey)
        for extra in self._ignored:
            catcher = xerror.CatchError(xerror.BadAccess)
            self._root.grab_key(
                keycode, mask | extra, True, X.GrabModeAsync, X.GrabModeAsync, onerror=catcher
            )
            self._display.sync()
            if catcher.get_error() is not None:
                for done in self._ignored[: self._ignored.index(extra)]:
                    self._root.ungrab_key(keycode, mask | done)
                self._display.sync()
                raise HotkeyConflictError(
                    f"Another program already uses {hotkey}: choose another hotkey in Settings."
                )
        self._grabs[(keycode, mask)] = name
        log.info("global hotkey %s registered for %s", hotkey, name)

    def unregister_all(self) -> None:
        for keycode, mask in self._grabs:
            for extra in self._ignored:
                self._root.ungrab_key(keycode, mask | extra)
        self._grabs.clear()
        self._display.sync()

    def fileno(self) -> int | None:
        return int(self._display.fileno())

    def poll(self) -> list[str]:
        X = self._X  # noqa: N806 - Xlib's own name for its constants
        fired: list[str] = []
        strip = ~(X.LockMask | X.Mod2Mask)
        while self._display.pending_events():
            event = self._display.next_event()
            if event.type != X.KeyPress:
                continue
            key = (event.detail, event.state & strip & 0xFF)
            if key in self._grabs:
                fired.append(self._grabs[key])
        return fired

    def close(self) -> None:
        try:
            self.unregister_all()
        finally:
            self._display.close()


# --- Windows ---------------------------------------------------------------------------------

MOD_ALT, MOD_CONTROL, MOD_SHIFT, MOD_WIN, MOD_NOREPEAT = 0x1, 0x2, 0x4, 0x8, 0x4000
WM_HOTKEY = 0x0312


class User32(Protocol):
    def RegisterHotKey(self, hwnd: Any, id: int, modifiers: int, vk: int) -> int: ...  # noqa: N802

    def UnregisterHotKey(self, hwnd: Any, id: int) -> int: ...  # noqa: N802


def windows_virtual_key(key: str) -> int:
    """The Windows virtual-key code of a key name."""
    if len(key) == 1 and key.isalnum():
        return ord(key.upper())
    if key.startswith("f") and key[1:].isdigit() and 1 <= int(key[1:]) <= 24:
        return 0x6F + int(key[1:])
    named = {"space": 0x20, "pause": 0x13, "insert": 0x2D, "home": 0x24, "end": 0x23}
    if key in named:
        return named[key]
    raise HotkeyError(f"The key '{key}' cannot be used for a global hotkey on Windows.")


class WindowsHotkeyBackend:
    """`RegisterHotKey(NULL, ...)`: WM_HOTKEY arrives in the GUI thread's queue (Qt's loop).

    `user32` is injectable so the mapping and conflict handling are unit-tested on Linux; the
    native event filter that delivers WM_HOTKEY is only exercised on Windows.
    """

    def __init__(self, user32: User32 | None = None) -> None:
        if user32 is None:  # pragma: no cover - Windows only
            import ctypes

            user32 = ctypes.windll.user32  # type: ignore[attr-defined]
        self._user32 = user32
        self._ids: dict[int, str] = {}
        self._fired: list[str] = []

    def register(self, name: str, hotkey: Hotkey) -> None:
        mods = MOD_NOREPEAT
        for mod, flag in (
            ("alt", MOD_ALT),
            ("ctrl", MOD_CONTROL),
            ("shift", MOD_SHIFT),
            ("super", MOD_WIN),
        ):
            if mod in hotkey.modifiers:
                mods |= flag
        hotkey_id = len(self._ids) + 1
        if not self._user32.RegisterHotKey(None, hotkey_id, mods, windows_virtual_key(hotkey.key)):
            raise HotkeyConflictError(
                f"Another program already uses {hotkey}: choose another hotkey in Settings."
            )
        self._ids[hotkey_id] = name

    def handle_message(self, message: int, wparam: int) -> bool:
        """Feed a native message; True when it was one of our hotkeys."""
        if message == WM_HOTKEY and wparam in self._ids:
            self._fired.append(self._ids[wparam])
            return True
        return False

    def unregister_all(self) -> None:
        for hotkey_id in self._ids:
            self._user32.UnregisterHotKey(None, hotkey_id)
        self._ids.clear()

    def fileno(self) -> int | None:
        return None  # delivered through the native event filter instead

    def poll(self) -> list[str]:
        fired, self._fired = self._fired, []
        return fired

    def close(self) -> None:
        self.unregister_all()


# --- which mechanism applies here ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HotkeySupport:
    kind: str  # "x11" | "windows" | "wayland-portal" | "none"
    message: str  # shown in settings when kind is "none" or needs a user step


def desktop_shortcut_instructions(desktop: str) -> str:
    """How to bind `kimai-tray toggle` by hand on a desktop that forbids key grabs."""
    command = "kimai-tray toggle"
    desktop = desktop.lower()
    if "gnome" in desktop or "unity" in desktop or "cinnamon" in desktop:
        return (
            "Open Settings → Keyboard → View and Customize Shortcuts → Custom Shortcuts, "
            f"add one with the command '{command}' and press your key combination."
        )
    if "kde" in desktop or "plasma" in desktop:
        return (
            "Open System Settings → Shortcuts → Add New → Command or Script, "
            f"enter '{command}' and choose your key combination."
        )
    return f"Bind the command '{command}' to a key combination in your desktop's keyboard settings."


def probe_portal_version(env: Mapping[str, str], timeout: float = 1.0) -> int | None:
    """Ask this session's D-Bus for the GlobalShortcuts portal (None: absent, or no jeepney)."""
    try:
        from kimai_tray.platform.portal_shortcuts import portal_shortcuts_version
    except ImportError as exc:  # jeepney is a Linux-only dependency
        log.info("kimai-tray: no D-Bus library for the shortcuts portal: %s", exc)
        return None
    return portal_shortcuts_version(env.get("DBUS_SESSION_BUS_ADDRESS"), timeout)


def hotkey_support(
    env: Mapping[str, str] | None = None,
    platform: str = sys.platform,
    portal_version: Callable[[], int | None] | None = None,
) -> HotkeySupport:
    """Decide which hotkey mechanism this session offers, and what to tell the user."""
    env = os.environ if env is None else env
    if platform == "win32":
        return HotkeySupport("windows", "")
    if platform == "darwin":
        from kimai_tray.platform.macos_hotkeys import ACCESSIBILITY_EXPLANATION

        return HotkeySupport("macos", ACCESSIBILITY_EXPLANATION)
    desktop = env.get("XDG_CURRENT_DESKTOP", "")
    wayland = env.get("WAYLAND_DISPLAY") or env.get("XDG_SESSION_TYPE") == "wayland"
    if wayland:
        probe = portal_version or (lambda: probe_portal_version(env))
        version = probe()
        if version is not None and version >= 1:
            return HotkeySupport(
                "wayland-portal",
                "Your desktop manages this app's global shortcuts: it may ask you to confirm "
                "them the first time.",
            )
        return HotkeySupport(
            "none",
            "Wayland does not let apps grab keys and this desktop has no global-shortcuts "
            "portal. " + desktop_shortcut_instructions(desktop),
        )
    if env.get("DISPLAY"):
        return HotkeySupport("x11", "")
    return HotkeySupport("none", "No desktop session was found, so no global hotkey is possible.")
