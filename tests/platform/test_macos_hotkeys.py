"""macOS event-tap hotkeys, against a fake Quartz API.

Not exercised on this Linux machine: the frameworks (`CtypesQuartzApi`: loading
ApplicationServices/CoreFoundation, the argtypes against the real symbols, the CFDictionary for
the Accessibility prompt) and a real event tap on a real run loop. What is exercised: the
keycode/modifier mapping, the tap's life cycle as seen through the API calls, and the real
ctypes callback. The fake keeps only the callback's C address, as macOS does, and calls it
through a native function pointer, so the argument/return marshalling of `TAP_CALLBACK` and
the backend keeping that object alive are real.
"""

from __future__ import annotations

import ctypes
import gc
import sys
from dataclasses import dataclass, field
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from kimai_tray.platform.hotkeys import HotkeyError, HotkeyUnavailableError, parse_hotkey
from kimai_tray.platform.macos_hotkeys import (
    ACCESSIBILITY_EXPLANATION,
    APPLICATION_SERVICES_SIGNATURES,
    FLAG_CAPS_LOCK,
    FLAG_COMMAND,
    FLAG_CONTROL,
    FLAG_OPTION,
    FLAG_SHIFT,
    KCG_EVENT_KEY_DOWN,
    KCG_EVENT_TAP_DISABLED_BY_TIMEOUT,
    KCG_EVENT_TAP_DISABLED_BY_USER_INPUT,
    KCG_KEYBOARD_EVENT_AUTOREPEAT,
    KCG_KEYBOARD_EVENT_KEYCODE,
    TAP_CALLBACK,
    CtypesQuartzApi,
    MacEventTapHotkeyBackend,
    accessibility_trusted,
    macos_keycode,
    macos_modifier_flags,
)

KVK_T, KVK_K, KVK_X = 0x11, 0x28, 0x07
FLAG_NUMERIC_PAD, FLAG_FN = 0x200000, 0x800000
MAIN_LOOP, COMMON_MODES = 0x5000, 0x6000


@dataclass
class FakeEvent:
    keycode: int
    flags: int
    autorepeat: int = 0


@dataclass
class FakeQuartz:
    """Records the calls; delivers events through the C address of the tap callback."""

    tap_result: int | None = 0x7000
    trusted: bool = False
    created: list[tuple[int, int, int, int]] = field(default_factory=list)
    callback_address: int | None = None
    enabled: dict[int, bool] = field(default_factory=dict)
    enable_calls: list[tuple[int, bool]] = field(default_factory=list)
    sources: dict[int, int] = field(default_factory=dict)  # source -> its tap
    on_main_loop: set[tuple[int, int, int]] = field(default_factory=set)
    invalidated: list[int] = field(default_factory=list)
    released: list[int] = field(default_factory=list)
    events: dict[int, FakeEvent] = field(default_factory=dict)
    prompts: list[bool] = field(default_factory=list)

    # --- QuartzApi
    def event_tap_create(
        self, tap: int, place: int, options: int, events_of_interest: int, callback: Any
    ) -> int | None:
        self.created.append((tap, place, options, events_of_interest))
        if self.tap_result is None:
            return None
        self.callback_address = ctypes.cast(callback, ctypes.c_void_p).value
        handle = self.tap_result + len(self.created)
        self.enabled[handle] = False
        return handle

    def event_tap_enable(self, tap: int, enable: bool) -> None:
        self.enable_calls.append((tap, enable))
        self.enabled[tap] = enable

    def mach_port_create_run_loop_source(self, port: int) -> int | None:
        source = 0x9000 + port
        self.sources[source] = port
        return source

    def mach_port_invalidate(self, port: int) -> None:
        self.invalidated.append(port)

    def run_loop_get_main(self) -> int:
        return MAIN_LOOP

    def run_loop_common_modes(self) -> int:
        return COMMON_MODES

    def run_loop_add_source(self, loop: int, source: int, mode: int) -> None:
        self.on_main_loop.add((loop, source, mode))

    def run_loop_remove_source(self, loop: int, source: int, mode: int) -> None:
        self.on_main_loop.remove((loop, source, mode))

    def release(self, ref: int) -> None:
        self.released.append(ref)

    def event_get_integer_value_field(self, event: int, field: int) -> int:
        fake = self.events[event]
        return {
            KCG_KEYBOARD_EVENT_KEYCODE: fake.keycode,
            KCG_KEYBOARD_EVENT_AUTOREPEAT: fake.autorepeat,
        }[field]

    def event_get_flags(self, event: int) -> int:
        return self.events[event].flags

    def is_process_trusted(self, prompt: bool) -> bool:
        self.prompts.append(prompt)
        return self.trusted

    # --- what macOS does
    def deliver(self, event_type: int, event: int | None) -> int | None:
        """Call the tap callback like the run loop does: by its C address."""
        assert self.callback_address is not None, "no tap was created"
        function = TAP_CALLBACK(self.callback_address)
        result: int | None = function(None, event_type, event, None)
        return result

    def press(self, keycode: int, flags: int, autorepeat: int = 0) -> tuple[int, int | None]:
        """A key-down; returns (the event's address, what the tap gave back)."""
        address = 0x100000 + 0x10 * len(self.events)
        self.events[address] = FakeEvent(keycode, flags, autorepeat)
        return address, self.deliver(KCG_EVENT_KEY_DOWN, address)


@pytest.fixture
def quartz() -> FakeQuartz:
    return FakeQuartz()


@pytest.fixture
def backend(quartz: FakeQuartz) -> MacEventTapHotkeyBackend:
    return MacEventTapHotkeyBackend(quartz)


def test_key_names_map_to_carbon_virtual_keycodes() -> None:
    expected = {"a": 0x00, "s": 0x01, "t": 0x11, "k": 0x28, "z": 0x06, "5": 0x17, "0": 0x1D}
    expected |= {"f1": 0x7A, "f5": 0x60, "f12": 0x6F, "f20": 0x5A, "space": 0x31, "home": 0x73}
    assert {key: macos_keycode(key) for key in expected} == expected
    for missing in ("pause", "f24", "printscreen"):
        with pytest.raises(HotkeyError, match=f"'{missing}' does not exist on a Mac keyboard"):
            macos_keycode(missing)


def test_modifiers_map_to_event_flags() -> None:
    assert macos_modifier_flags(parse_hotkey("Ctrl+Alt+T")) == FLAG_CONTROL | FLAG_OPTION
    assert macos_modifier_flags(parse_hotkey("Shift+Cmd+T")) == FLAG_SHIFT | FLAG_COMMAND
    assert macos_modifier_flags(parse_hotkey("Super+T")) == FLAG_COMMAND


def test_register_creates_one_enabled_tap_on_the_main_run_loop(
    backend: MacEventTapHotkeyBackend, quartz: FakeQuartz
) -> None:
    backend.register("toggle", parse_hotkey("Ctrl+Alt+T"))
    backend.register("popup", parse_hotkey("Ctrl+Alt+K"))
    # session tap, head insert, active (may swallow), key-down only
    assert quartz.created == [(1, 0, 0, 1 << 10)]
    (tap,) = quartz.enabled
    assert quartz.enabled[tap] is True
    assert quartz.on_main_loop == {(MAIN_LOOP, 0x9000 + tap, COMMON_MODES)}
    assert backend.fileno() is None


def test_unknown_key_is_refused_before_any_tap_exists(
    backend: MacEventTapHotkeyBackend, quartz: FakeQuartz
) -> None:
    with pytest.raises(HotkeyError, match="Mac keyboard"):
        backend.register("toggle", parse_hotkey("Ctrl+Alt+Pause"))
    assert quartz.created == []


def test_exact_combination_fires_once_and_is_swallowed(
    backend: MacEventTapHotkeyBackend, quartz: FakeQuartz
) -> None:
    wakeups: list[list[str]] = []
    backend.set_wakeup(lambda: wakeups.append(list(backend._fired)))
    backend.register("toggle", parse_hotkey("Ctrl+Alt+T"))
    backend.register("popup", parse_hotkey("Cmd+Shift+K"))
    gc.collect()  # the C callback must survive a collection: the backend keeps it

    assert quartz.press(KVK_T, FLAG_CONTROL | FLAG_OPTION)[1] is None
    assert wakeups == [["toggle"]]  # woken after queuing, so poll() finds it
    assert quartz.press(KVK_K, FLAG_COMMAND | FLAG_SHIFT)[1] is None
    assert len(wakeups) == 2
    assert backend.poll() == ["toggle", "popup"]
    assert backend.poll() == []


def test_caps_lock_and_keyboard_set_flags_do_not_stop_a_hotkey(
    backend: MacEventTapHotkeyBackend, quartz: FakeQuartz
) -> None:
    backend.register("toggle", parse_hotkey("Ctrl+Alt+T"))
    flags = FLAG_CONTROL | FLAG_OPTION | FLAG_CAPS_LOCK | FLAG_NUMERIC_PAD | FLAG_FN
    assert quartz.press(KVK_T, flags)[1] is None
    assert backend.poll() == ["toggle"]


def test_other_modifiers_or_keys_pass_through_untouched(
    backend: MacEventTapHotkeyBackend, quartz: FakeQuartz
) -> None:
    wakeups: list[None] = []
    backend.set_wakeup(lambda: wakeups.append(None))
    backend.register("toggle", parse_hotkey("Ctrl+Alt+T"))
    for keycode, flags in (
        (KVK_T, FLAG_CONTROL | FLAG_OPTION | FLAG_SHIFT),  # an extra modifier
        (KVK_T, FLAG_CONTROL),  # a modifier missing
        (KVK_T, 0),  # plain typing
        (KVK_X, FLAG_CONTROL | FLAG_OPTION),  # another key
    ):
        address, returned = quartz.press(keycode, flags)
        assert returned == address
    assert backend.poll() == [] and wakeups == []


def test_held_combination_fires_once_but_repeats_stay_swallowed(
    backend: MacEventTapHotkeyBackend, quartz: FakeQuartz
) -> None:
    wakeups: list[None] = []
    backend.set_wakeup(lambda: wakeups.append(None))
    backend.register("toggle", parse_hotkey("Ctrl+Alt+T"))
    quartz.press(KVK_T, FLAG_CONTROL | FLAG_OPTION)
    assert quartz.press(KVK_T, FLAG_CONTROL | FLAG_OPTION, autorepeat=1)[1] is None
    assert backend.poll() == ["toggle"] and len(wakeups) == 1


@pytest.mark.parametrize(
    "reason", [KCG_EVENT_TAP_DISABLED_BY_TIMEOUT, KCG_EVENT_TAP_DISABLED_BY_USER_INPUT]
)
def test_tap_disabled_by_macos_is_enabled_again(
    backend: MacEventTapHotkeyBackend, quartz: FakeQuartz, reason: int
) -> None:
    backend.register("toggle", parse_hotkey("Ctrl+Alt+T"))
    (tap,) = quartz.enabled
    quartz.enabled[tap] = False  # what macOS did before telling us
    assert quartz.deliver(reason, 0x4242) == 0x4242
    assert quartz.enabled[tap] is True
    assert quartz.press(KVK_T, FLAG_CONTROL | FLAG_OPTION)[1] is None
    assert backend.poll() == ["toggle"]


def test_refused_tap_explains_the_accessibility_permission() -> None:
    quartz = FakeQuartz(tap_result=None)
    backend = MacEventTapHotkeyBackend(quartz)
    with pytest.raises(HotkeyUnavailableError) as caught:
        backend.register("toggle", parse_hotkey("Ctrl+Alt+T"))
    message = caught.value.user_message
    assert "Privacy & Security → Accessibility" in message and "reopen" in message
    assert quartz.on_main_loop == set() and quartz.enable_calls == []
    backend.close()  # nothing to tear down, and no error either
    assert quartz.released == []


def test_unregister_all_removes_the_tap_and_a_new_register_makes_a_fresh_one(
    backend: MacEventTapHotkeyBackend, quartz: FakeQuartz
) -> None:
    backend.register("toggle", parse_hotkey("Ctrl+Alt+T"))
    (tap,) = quartz.enabled
    source = 0x9000 + tap
    backend.unregister_all()
    assert quartz.enabled[tap] is False
    assert quartz.on_main_loop == set()
    assert quartz.invalidated == [tap]
    assert sorted(quartz.released) == sorted([tap, source])

    backend.register("popup", parse_hotkey("Ctrl+Alt+K"))
    assert len(quartz.created) == 2
    assert quartz.press(KVK_T, FLAG_CONTROL | FLAG_OPTION)[1] is not None  # toggle is gone
    assert quartz.press(KVK_K, FLAG_CONTROL | FLAG_OPTION)[1] is None
    assert backend.poll() == ["popup"]


def test_close_tears_down_and_stops_waking(
    backend: MacEventTapHotkeyBackend, quartz: FakeQuartz
) -> None:
    wakeups: list[None] = []
    backend.set_wakeup(lambda: wakeups.append(None))
    backend.register("toggle", parse_hotkey("Ctrl+Alt+T"))
    (tap,) = quartz.enabled
    backend.close()
    assert quartz.enabled[tap] is False and quartz.on_main_loop == set()
    assert tap in quartz.invalidated and tap in quartz.released
    backend.close()  # idempotent: nothing released twice
    assert quartz.released.count(tap) == 1
    assert wakeups == []


def test_failing_wakeup_does_not_break_the_tap(
    backend: MacEventTapHotkeyBackend, quartz: FakeQuartz, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> None:
        raise RuntimeError("boom")

    backend.set_wakeup(broken)
    backend.register("toggle", parse_hotkey("Ctrl+Alt+T"))
    address, returned = quartz.press(KVK_T, FLAG_CONTROL | FLAG_OPTION)
    # The error stays in our log instead of escaping into ctypes (which would print it and
    # hand macOS a NULL, eating the key); the key goes on to the focused app.
    assert returned == address
    assert "error in the hotkey event tap" in caplog.text
    assert backend.poll() == ["toggle"]


def test_accessibility_trusted_passes_prompt_through() -> None:
    quartz = FakeQuartz(trusted=True)
    assert accessibility_trusted(True, api=quartz) is True
    assert accessibility_trusted(False, api=quartz) is True
    assert quartz.prompts == [True, False]
    assert accessibility_trusted(False, api=FakeQuartz(trusted=False)) is False


def test_explanation_says_why_and_what_is_not_recorded() -> None:
    assert "Accessibility" in ACCESSIBILITY_EXPLANATION
    assert "does not record" in ACCESSIBILITY_EXPLANATION


def test_wakeup_drives_the_qt_service_in_the_gui_thread(
    qtbot: QtBot, backend: MacEventTapHotkeyBackend, quartz: FakeQuartz
) -> None:
    """QtHotkeyService wires the wake-up itself: it queues `drain` on the GUI loop.

    Deferred like the Windows filter does, so the action (a popup, a timer toggle) runs after
    the tap callback has returned, not inside it, where macOS would time the tap out.
    """
    from kimai_tray.platform.hotkey_service import QtHotkeyService

    service = QtHotkeyService(backend)
    try:
        service.register("toggle", "Ctrl+Alt+T")
        with qtbot.waitSignal(service.activated, timeout=5000) as fired:
            assert quartz.press(KVK_T, FLAG_CONTROL | FLAG_OPTION)[1] is None
            assert backend._fired == ["toggle"]  # queued, not yet emitted: no action in the tap
        assert fired.args == ["toggle"]
    finally:
        service.close()
    assert quartz.on_main_loop == set()


def test_ctypes_declarations_build_without_the_frameworks() -> None:
    """Cheap sanity on Linux: the callback type round-trips through libffi, the table is typed."""
    seen: list[tuple[int | None, int, int | None, int | None]] = []

    def handler(proxy: int | None, kind: int, event: int | None, info: int | None) -> int | None:
        seen.append((proxy, kind, event, info))
        return event

    callback = TAP_CALLBACK(handler)
    native = TAP_CALLBACK(ctypes.cast(callback, ctypes.c_void_p).value)
    assert native(0x10, KCG_EVENT_TAP_DISABLED_BY_TIMEOUT, 0x20, None) == 0x20
    assert seen == [(0x10, 0xFFFFFFFE, 0x20, None)]  # CGEventType stays unsigned 32-bit

    restype, argtypes = APPLICATION_SERVICES_SIGNATURES["CGEventTapCreate"]
    assert restype is ctypes.c_void_p
    assert argtypes[3] is ctypes.c_uint64 and argtypes[4] is TAP_CALLBACK


@pytest.mark.skipif(sys.platform == "darwin", reason="the frameworks exist on macOS")
def test_real_api_without_the_frameworks_is_a_clean_hotkey_error() -> None:
    with pytest.raises(HotkeyUnavailableError):
        CtypesQuartzApi()
    with pytest.raises(HotkeyUnavailableError):
        MacEventTapHotkeyBackend()


def test_global_hotkeys_on_macos_run_the_action_from_the_event_tap(
    qtbot: QtBot, quartz: FakeQuartz
) -> None:
    """The app's GlobalHotkeys on the "macos" kind: registered through the event tap, and a
    press runs the toggle action (the tap itself is the fake described above)."""
    from kimai_tray.platform.config import Preferences
    from kimai_tray.platform.hotkeys import hotkey_support
    from kimai_tray.ui.global_hotkeys import GlobalHotkeys

    support = hotkey_support(env={}, platform="darwin")
    assert support.kind == "macos" and "Accessibility" in support.message
    toggled: list[str] = []
    hotkeys = GlobalHotkeys(
        {"toggle": lambda: toggled.append("toggle"), "popup": lambda: toggled.append("popup")},
        lambda problem: pytest.fail(problem),
        support=support,
        make_backend=lambda: MacEventTapHotkeyBackend(quartz),
    )
    try:
        assert hotkeys.apply(Preferences()) == []
        assert hotkeys.registered == {"toggle": "Ctrl+Alt+T", "popup": "Ctrl+Alt+K"}
        assert quartz.press(KVK_T, FLAG_CONTROL | FLAG_OPTION)[1] is None
        qtbot.waitUntil(lambda: toggled == ["toggle"], timeout=5000)
    finally:
        hotkeys.close()
    assert quartz.on_main_loop == set()
