"""The away watcher and the return dialog in the real Qt event loop (offscreen).

A real Tracker over real SQLite files; time comes from a FakeClock and idle time from a scripted
idle source (the OS edge: the real X11 source is tested under Xvfb in tests/platform), and the
test calls `tick()` where the QTimer would, so nothing waits real time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTime
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from helpers.fake_clock import FakeClock
from kimai_tray.core.away import AwayChoice, AwayDetector, AwayPeriod, AwayReason
from kimai_tray.core.catalog import Catalog
from kimai_tray.core.models import Activity, Customer, Project
from kimai_tray.core.outbox import Entry, Outbox
from kimai_tray.core.reminders import ReminderAction, ReminderEngine, ReminderSettings
from kimai_tray.core.tracker import Tracker
from kimai_tray.platform.away_prefs import away_prefs, format_days, parse_days
from kimai_tray.platform.config import Preferences
from kimai_tray.platform.idle import IdleDetection
from kimai_tray.ui.away_controller import PENDING_LABEL, AwayController
from kimai_tray.ui.away_dialog import AwayDialog, BookingTarget
from kimai_tray.ui.away_settings import AwaySettingsBox, idle_status_text
from kimai_tray.ui.bridge import StateBridge

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # a Monday, 09:00 in Berlin
WEBSITE, MOBILE, DESIGN, CODING, TESTING = 10, 11, 100, 101, 102


class ScriptedIdle:
    name = "scripted"

    def __init__(self) -> None:
        self.value: float | None = 0.0

    def idle_seconds(self) -> float | None:
        return self.value


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def tracker(tmp_path: Path, clock: FakeClock) -> Iterator[Tracker]:
    outbox = Outbox(tmp_path / "outbox.sqlite")
    catalog = Catalog(tmp_path / "catalog.sqlite", today=lambda: clock.now().date())
    catalog.replace_all(
        [Customer(1, "Acme")],
        [Project(WEBSITE, "Website", 1, "Acme"), Project(MOBILE, "Mobile", 1, "Acme")],
        [
            Activity(DESIGN, "Design", WEBSITE),
            Activity(CODING, "Coding", None),
            Activity(TESTING, "Testing", MOBILE),
        ],
        [],
    )
    yield Tracker(outbox, catalog, clock)  # no backend: everything stays in the outbox
    outbox.close()
    catalog.close()


Build = Callable[..., tuple[AwayController, list[list[tuple[str, Callable[[], None]]]], list[str]]]


@pytest.fixture
def build(qtbot: QtBot, tracker: Tracker, clock: FakeClock) -> Iterator[Build]:
    made: list[tuple[AwayController, StateBridge]] = []

    def make(
        idle: ScriptedIdle | None = None, reminders: ReminderEngine | None = None
    ) -> tuple[AwayController, list[list[tuple[str, Callable[[], None]]]], list[str]]:
        bridge = StateBridge(tracker.subscribe, tracker.state)
        attention: list[list[tuple[str, Callable[[], None]]]] = []
        notes: list[str] = []
        controller = AwayController(
            tracker,
            bridge,
            clock=clock,
            idle_source=idle,
            detector=AwayDetector(threshold=timedelta(minutes=5), tick=timedelta(seconds=30)),
            reminders=reminders,
            attention=attention.append,
            notify=lambda title, message: notes.append(message),
        )
        made.append((controller, bridge))
        return controller, attention, notes

    yield make
    for controller, bridge in made:
        controller.close()
        bridge.close()


def _entries(tracker: Tracker) -> list[tuple[datetime, datetime | None, int]]:
    found: list[Entry] = sorted(tracker.outbox.entries(), key=lambda e: (e.begin, e.local_id))
    return [(e.begin, e.end, e.activity.id) for e in found]


def _idle_away(controller: AwayController, clock: FakeClock, idle: ScriptedIdle) -> None:
    """Two active ticks, 20 minutes without input, then input 5 s before a tick."""
    for _ in range(2):
        clock.advance(30)
        idle.value = 0.0
        controller.tick()
    for k in range(1, 41):
        clock.advance(30)
        idle.value = 30.0 * k
        controller.tick()
        assert controller.dialog is None
    clock.advance(30)
    idle.value = 5.0
    controller.tick()


def _show_and_focus(qtbot: QtBot, dialog: AwayDialog) -> None:
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(lambda: dialog.windowHandle().isActive(), timeout=5000)


def test_the_timer_runs_only_while_there_is_something_to_watch(
    build: Build, tracker: Tracker
) -> None:
    controller, _, _ = build(ScriptedIdle())
    assert not controller.timer.isActive()  # idle app, reminders off: nothing wakes it
    tracker.start(WEBSITE, DESIGN)
    assert controller.timer.isActive() and controller.timer.interval() == 30_000
    tracker.stop()
    assert not controller.timer.isActive()
    engine = ReminderEngine(ReminderSettings(), "Europe/Berlin")
    with_reminders, _, _ = build(ScriptedIdle(), engine)
    assert with_reminders.timer.isActive() and with_reminders.timer.interval() == 60_000


def test_idle_opens_the_dialog_pending_in_the_tray_then_keyboard_answer_books_it(
    qtbot: QtBot, build: Build, tracker: Tracker, clock: FakeClock
) -> None:
    idle = ScriptedIdle()
    controller, attention, _ = build(idle)
    start = clock.now()
    tracker.start(WEBSITE, DESIGN, "layout")
    _idle_away(controller, clock, idle)
    dialog = controller.dialog
    assert dialog is not None and controller.pending
    left, back = start + timedelta(seconds=60), clock.now() - timedelta(seconds=5)
    assert dialog.period == AwayPeriod(left, back, AwayReason.IDLE)
    assert [label for label, _ in attention[-1]] == [PENDING_LABEL]

    # Esc is not an answer: the dialog hides, the decision stays pending, nothing is booked.
    _show_and_focus(qtbot, dialog)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible() and controller.pending
    assert _entries(tracker) == [(start, None, DESIGN)]
    clock.advance(600)  # the user answers much later, from the tray menu
    attention[-1][0][1]()
    _show_and_focus(qtbot, dialog)
    # Keyboard only: Tab to "Book it as" and press Space (the first target is selected).
    assert dialog.target_box.currentData() is not None
    target: BookingTarget = dialog.target_box.currentData()
    _tab_to(qtbot, dialog, dialog.book_button)
    with qtbot.waitSignal(controller.pending_changed, timeout=5000):
        qtbot.keyClick(dialog.book_button, Qt.Key.Key_Space)
    assert not controller.pending and attention[-1] == []
    assert _entries(tracker) == [
        (start, left, DESIGN),
        (left, back, target.activity_id),
        (back, None, DESIGN),
    ]
    running = tracker.state.running
    assert running is not None and running.description == "layout"


def _tab_to(qtbot: QtBot, dialog: AwayDialog, widget: QWidget) -> None:
    for _ in range(20):
        if dialog.focusWidget() is widget:
            return
        qtbot.keyClick(dialog.focusWidget() or dialog, Qt.Key.Key_Tab)
    raise AssertionError(f"Tab never reached {widget!r}")


def test_the_dialog_is_keyboard_driven(qtbot: QtBot) -> None:
    period = AwayPeriod(T0, T0 + timedelta(minutes=42), AwayReason.LOCK)
    targets = [BookingTarget("Internal · Break", 1, 2), BookingTarget("Internal · Meeting", 1, 3)]
    got: list[tuple[object, object]] = []

    def fresh() -> AwayDialog:
        dialog = AwayDialog(period, "Website · Design", targets)
        qtbot.addWidget(dialog)
        dialog.chosen.connect(lambda c, t: got.append((c, t)))
        dialog.show()
        _show_and_focus(qtbot, dialog)
        return dialog

    # Enter takes the default, which has the focus first: discard and continue.
    dialog = fresh()
    assert dialog.focusWidget() is dialog.continue_button
    qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Return)
    assert got.pop() == (AwayChoice.DISCARD_AND_CONTINUE, None)
    assert not dialog.isVisible()
    # Tab to any choice and Space presses it.
    for name, choice in [
        ("keep_button", AwayChoice.KEEP),
        ("discard_button", AwayChoice.DISCARD),
        ("stop_button", AwayChoice.STOP),
    ]:
        dialog = fresh()
        button = getattr(dialog, name)
        _tab_to(qtbot, dialog, button)
        qtbot.keyClick(button, Qt.Key.Key_Space)
        assert got.pop() == (choice, None)
    # Tab to the target list, arrow down to "Meeting", Shift+Tab to "Book it as", Space.
    dialog = fresh()
    _tab_to(qtbot, dialog, dialog.target_box)
    qtbot.keyClick(dialog.target_box, Qt.Key.Key_Down)
    qtbot.keyClick(dialog.target_box, Qt.Key.Key_Tab, Qt.KeyboardModifier.ShiftModifier)
    assert dialog.focusWidget() is dialog.book_button
    qtbot.keyClick(dialog.book_button, Qt.Key.Key_Space)
    assert got.pop() == (AwayChoice.BOOK_AS, targets[1])
    # Esc is no answer: the dialog only hides.
    dialog = fresh()
    qtbot.keyClick(dialog.focusWidget() or dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible() and got == []
    # Every choice also has an Alt mnemonic.
    assert [b.shortcut().toString() for b in (dialog.keep_button, dialog.book_button)] == [
        "Alt+K",
        "Alt+B",
    ]


def test_sleep_and_lock_events_open_the_dialog_a_short_lock_does_not(
    build: Build, tracker: Tracker, clock: FakeClock
) -> None:
    controller, _, _ = build(ScriptedIdle())
    tracker.start(WEBSITE, DESIGN)
    controller.screen_locked()
    clock.advance(4 * 60)  # coffee machine: a lock shorter than the threshold is work
    controller.screen_unlocked()
    assert controller.dialog is None
    before = clock.now()
    controller.prepare_for_sleep(True)
    clock.advance(3 * 3600)
    controller.prepare_for_sleep(False)
    assert controller.dialog is not None
    assert controller.dialog.period == AwayPeriod(before, clock.now(), AwayReason.SLEEP)


def test_a_clock_jump_between_ticks_is_a_sleep_but_a_fresh_start_is_not(
    build: Build, tracker: Tracker, clock: FakeClock
) -> None:
    controller, _, _ = build(ScriptedIdle())
    controller.tick()  # a tick while nothing runs
    clock.advance(5 * 3600)
    tracker.start(WEBSITE, DESIGN)  # the long gap before a start is not a sleep
    clock.advance(30)
    controller.tick()
    assert controller.dialog is None
    last = clock.now()
    clock.advance(2 * 3600)  # lid closed: no tick for two hours
    controller.tick()
    assert controller.dialog is not None
    assert controller.dialog.period == AwayPeriod(last, clock.now(), AwayReason.SLEEP)
    # A second away period while the first is unanswered does not replace the question.
    first = controller.dialog
    clock.advance(3 * 3600)
    controller.tick()
    assert controller.dialog is first


def test_an_answer_after_the_entry_changed_books_nothing(
    qtbot: QtBot, build: Build, tracker: Tracker, clock: FakeClock
) -> None:
    controller, _, notes = build(ScriptedIdle())
    tracker.start(WEBSITE, DESIGN)
    controller.prepare_for_sleep(True)
    clock.advance(3600)
    controller.prepare_for_sleep(False)
    assert controller.dialog is not None
    tracker.start(MOBILE, TESTING)  # the user moved on from the popup instead
    before = _entries(tracker)
    controller.dialog.discard_button.click()
    assert _entries(tracker) == before and not controller.pending
    assert notes and "nothing was changed" in notes[-1]


@pytest.mark.parametrize("stop", [False, True])
def test_logout_keeps_the_timer_by_default_or_stops_it_then(
    build: Build, tracker: Tracker, clock: FakeClock, stop: bool
) -> None:
    controller, _, _ = build(ScriptedIdle())
    tracker.start(WEBSITE, DESIGN)
    clock.advance(1234)
    controller.session_ending(stop_running=stop)
    running = tracker.state.running
    if stop:
        assert running is None and _entries(tracker)[0][1] == clock.now()
    else:
        assert running is not None


def test_reminders_fire_in_work_hours_once_per_event_with_actions(
    build: Build, tracker: Tracker, clock: FakeClock
) -> None:
    settings = ReminderSettings(
        grace=timedelta(minutes=10),
        repeat=timedelta(minutes=60),
        work_start=time(9, 0),
        work_end=time(17, 0),
    )
    engine = ReminderEngine(settings, "Europe/Berlin")
    tracker.add_finished_entry(WEBSITE, DESIGN, T0 - timedelta(days=1), T0 - timedelta(hours=20))
    controller, attention, notes = build(ScriptedIdle(), engine)
    fired: list[datetime] = []
    controller.reminded.connect(lambda _r: fired.append(clock.now()))
    for _ in range(9 * 60):  # a minute tick from 09:00 to 18:00 Berlin, not tracking
        controller.tick()
        clock.advance(60)
    # 10 min grace, then every 60 min while in work hours (the last at 16:10), never after 17:00.
    assert [f - T0 for f in fired] == [timedelta(minutes=10 + 60 * n) for n in range(8)]
    assert len(notes) == 8
    # The last reminder's actions stayed in the menu for 10 minutes, then left it.
    assert attention[-1] == []


def test_reminder_actions_in_the_menu_start_and_snooze(
    build: Build, tracker: Tracker, clock: FakeClock
) -> None:
    settings = ReminderSettings(grace=timedelta(minutes=1), work_end=time(23, 0))
    engine = ReminderEngine(settings, "Europe/Berlin")
    tracker.add_finished_entry(WEBSITE, DESIGN, T0 - timedelta(days=1), T0 - timedelta(hours=20))
    controller, attention, notes = build(ScriptedIdle(), engine)
    controller.tick()
    clock.advance(61)
    controller.tick()
    assert len(notes) == 1
    labels = dict(attention[-1])
    assert list(labels) == ["Start the last entry", "Snooze reminders"]
    labels["Start the last entry"]()
    running = tracker.state.running
    assert running is not None and running.activity.id == DESIGN and attention[-1] == []
    # 8 hours later the long-running reminder is due, but the user snoozed just before.
    clock.advance(8 * 3600)
    controller.run_reminder_action(ReminderAction.SNOOZE)
    controller.tick()
    assert len(notes) == 1
    clock.advance(16 * 60)
    controller.tick()
    assert len(notes) == 2 and "running for 8 hours" in notes[-1]
    clock.advance(60)
    controller.tick()
    assert len(notes) == 2  # never twice for one event
    dict(attention[-1])["Stop the timer"]()
    assert tracker.state.running is None


def test_preferences_map_to_away_settings() -> None:
    prefs = away_prefs(Preferences())
    assert prefs.idle_threshold == timedelta(minutes=5) and not prefs.stop_on_logout
    assert prefs.reminders is not None and prefs.reminders.work_days == frozenset(range(5))
    custom = away_prefs(
        Preferences(
            idle_minutes=12,
            work_days="mon-wed,sat",
            work_start="08:30",
            work_end="16:00",
            reminder_minutes=30,
            stop_on_logout=True,
        )
    )
    assert custom.idle_threshold == timedelta(minutes=12) and custom.stop_on_logout
    assert custom.reminders is not None
    assert custom.reminders.work_days == frozenset({0, 1, 2, 5})
    assert (custom.reminders.work_start, custom.reminders.work_end) == (time(8, 30), time(16))
    assert custom.reminders.repeat == timedelta(minutes=30)
    assert away_prefs(Preferences(reminders=False)).reminders is None
    broken = away_prefs(Preferences(work_days="someday", work_end="25:00"))
    assert broken.reminders is not None and broken.reminders.work_end == time(17)
    assert parse_days("fri-mon") is None and format_days(frozenset({0, 4})) == "mon,fri"


def test_settings_group_shows_idle_status_and_round_trips_the_preferences(qtbot: QtBot) -> None:
    unavailable = IdleDetection(None, "This desktop does not report idle time.")
    box = AwaySettingsBox(Preferences(), idle_status=idle_status_text(unavailable))
    qtbot.addWidget(box)
    assert box.idle_status.text().startswith("Not available on this desktop")
    assert box.idle_minutes.value() == 5 and box.work_days.text() == "mon,tue,wed,thu,fri"
    box.idle_minutes.setValue(15)
    box.reminders.setChecked(False)
    box.work_days.setText("mon-thu")
    box.work_start.setTime(QTime(8, 0))
    box.work_end.setTime(QTime(16, 30))
    box.stop_on_logout.setChecked(True)
    prefs = box.apply(Preferences(hotkey="Ctrl+Alt+T"))
    assert prefs == Preferences(
        hotkey="Ctrl+Alt+T",
        idle_minutes=15,
        reminders=False,
        work_days="mon,tue,wed,thu",
        work_start="08:00",
        work_end="16:30",
        stop_on_logout=True,
    )
    box.work_days.setText("someday")  # unreadable: keeps what was there
    assert box.apply(prefs).work_days == "mon,tue,wed,thu"


def test_settings_dialog_saves_the_away_preferences(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kimai_tray.platform.config import Config, load_config
    from kimai_tray.ui import settings as settings_mod

    saved: list[object] = []

    class NoKeyring:  # the OS keyring edge; the away settings never touch it
        def store(self, *_a: object) -> None:
            saved.append("secret")

        def load(self, *_a: object) -> str | None:
            return None

    dialog = settings_mod.SettingsDialog(
        Config(server_url="https://kimai.example"),
        tmp_path / "config.toml",
        NoKeyring(),  # type: ignore[arg-type]
    )
    qtbot.addWidget(dialog)
    dialog.away_box.idle_minutes.setValue(20)
    dialog.away_box.stop_on_logout.setChecked(True)
    dialog.save()
    loaded = load_config(tmp_path / "config.toml").preferences
    assert (loaded.idle_minutes, loaded.stop_on_logout) == (20, True)
    assert saved == []


def test_the_tray_shows_the_pending_decision_in_menu_and_tooltip(
    qtbot: QtBot, tracker: Tracker, clock: FakeClock
) -> None:
    from kimai_tray.ui.tray import TrayController

    bridge = StateBridge(tracker.subscribe, tracker.state)
    tray = TrayController(
        tracker, bridge, toggle_popup=lambda: None, quit_app=lambda: None, now=clock.now
    )
    controller = AwayController(
        tracker,
        bridge,
        clock=clock,
        idle_source=ScriptedIdle(),
        detector=AwayDetector(threshold=timedelta(minutes=5)),
        attention=tray.set_attention,
    )
    try:
        tracker.start(WEBSITE, DESIGN)
        controller.screen_locked()
        clock.advance(45 * 60)
        controller.screen_unlocked()
        dialog = controller.dialog
        assert dialog is not None
        dialog.hide()  # e.g. Esc: the decision stays pending
        tray.rebuild_menu()
        assert PENDING_LABEL in tray.tray.toolTip()
        tray.action(PENDING_LABEL).trigger()
        assert dialog.isVisible()
        dialog.keep_button.click()
        tray.rebuild_menu()
        assert PENDING_LABEL not in tray.tray.toolTip()
        with pytest.raises(KeyError):
            tray.action(PENDING_LABEL)
        assert tracker.state.running is not None  # keep: still running, nothing booked
    finally:
        controller.close()
        tray.close()
        bridge.close()


def test_saved_preferences_take_effect_without_a_restart(
    build: Build, tracker: Tracker, clock: FakeClock
) -> None:
    controller, _, _ = build(ScriptedIdle())
    assert not controller.timer.isActive()
    controller.apply_preferences(Preferences(idle_minutes=30, stop_on_logout=True))
    assert controller.detector.threshold == timedelta(minutes=30) and controller.stop_on_logout
    assert controller.timer.isActive()  # reminders on by default: the minute tick runs
    controller.apply_preferences(Preferences(reminders=False))
    assert not controller.timer.isActive()
    tracker.start(WEBSITE, DESIGN)
    controller.screen_locked()
    clock.advance(20 * 60)  # longer than 5 min (the default now) opens the dialog
    controller.screen_unlocked()
    assert controller.dialog is not None


def test_set_tracker_drops_the_old_trackers_reminder_actions_and_follows_the_new_state(
    build: Build, tracker: Tracker, clock: FakeClock, tmp_path: Path
) -> None:
    """The profile-switch hand-over in isolation (the switch itself: test_away_profiles.py)."""
    settings = ReminderSettings(grace=timedelta(minutes=1), work_end=time(23, 0))
    tracker.add_finished_entry(WEBSITE, DESIGN, T0 - timedelta(days=1), T0 - timedelta(hours=20))
    controller, attention, notes = build(ScriptedIdle(), ReminderEngine(settings, "Europe/Berlin"))
    controller.tick()
    clock.advance(61)
    controller.tick()
    assert list(dict(attention[-1])) == ["Start the last entry", "Snooze reminders"]
    assert controller.timer.interval() == 60_000

    (tmp_path / "b").mkdir()
    outbox = Outbox(tmp_path / "b" / "outbox.sqlite")
    catalog = Catalog(tmp_path / "b" / "catalog.sqlite", today=lambda: clock.now().date())
    other = Tracker(outbox, catalog, clock)
    try:
        other.start(WEBSITE, CODING, "on the other profile")
        controller.set_tracker(other)
        # "Start the last entry" was about the old tracker: it leaves the menu at once.
        assert attention[-1] == []
        assert controller.timer.interval() == 30_000  # the new tracker's timer runs
        controller.session_ending(stop_running=True)
        assert other.state.running is None and tracker.state.running is None
        assert notes == ["You are not tracking time right now."]
    finally:
        outbox.close()
        catalog.close()
