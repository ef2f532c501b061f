"""The away watcher: idle samples, lock/sleep events and reminders, turned into UI.

One QTimer drives it, and only when there is something to watch: every `interval_ms` (30 s)
while a timer runs (idle sampling and the clock-jump sleep fallback), every minute while
nothing runs and the not-tracking reminder is on, otherwise not at all, so an idle app is not
woken up. Clock and idle source are injected: tests step a FakeClock and call `tick()`.

A detected away period opens the non-modal AwayDialog; until it is answered the tray shows
"Decide about away time…" (via `attention`) and nothing is booked. The answer is applied by
`core.away_actions`, through the outbox, so it works offline. While one decision is pending,
further away periods are not stacked up: the first question still stands.

Reminders come from `core.reminders.ReminderEngine` (never twice per event); each is shown as a
tray message (`notify`), and its actions go to the top of the tray menu for a while, because a
QSystemTrayIcon message cannot carry buttons.

A profile switch hands the one controller the new profile's tracker (`set_tracker`), so away
answers and reminders always act on the active profile.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from kimai_tray.core.away import AwayChoice, AwayDetector, AwayPeriod, AwayReason
from kimai_tray.core.away_actions import AwayTarget, apply_away_choice
from kimai_tray.core.clock import Clock
from kimai_tray.core.errors import KimaiTrayError
from kimai_tray.core.reminders import Reminder, ReminderAction, ReminderEngine
from kimai_tray.core.state import RunningEntry, TrackerState
from kimai_tray.core.tracker import Tracker
from kimai_tray.platform.away_prefs import away_prefs, local_zone_name
from kimai_tray.platform.config import Preferences
from kimai_tray.platform.idle import IdleSource
from kimai_tray.ui.away_dialog import AwayDialog, BookingTarget
from kimai_tray.ui.bridge import StateBridge

log = logging.getLogger(__name__)

PENDING_LABEL = "Decide about away time…"
REMINDER_ACTIONS_FOR = timedelta(minutes=10)  # how long a reminder's actions stay in the menu
ACTION_LABELS = {
    ReminderAction.START_LAST: "Start the last entry",
    ReminderAction.STOP: "Stop the timer",
    ReminderAction.SNOOZE: "Snooze reminders",
}
MAX_TARGETS = 12

Attention = Callable[[list[tuple[str, Callable[[], None]]]], None]
Notify = Callable[[str, str], None]


def booking_targets(tracker: Tracker, running: RunningEntry | None) -> list[BookingTarget]:
    """Pairs used lately first, then the running project's other activities (a "Break" or
    "Meeting" is usually a global activity there); never the running pair itself."""
    seen = {(running.project.id, running.activity.id)} if running else set()
    matches = tracker.catalog.search("", limit=MAX_TARGETS)
    if running is not None:
        matches += tracker.catalog.search(running.project.name, limit=3 * MAX_TARGETS)
    out: list[BookingTarget] = []
    for match in matches:
        key = (match.project.id, match.activity.id)
        if match.inactive or key in seen:
            continue
        seen.add(key)
        label = f"{match.project.name} · {match.activity.name}"
        out.append(BookingTarget(label, match.project.id, match.activity.id))
    return out[:MAX_TARGETS]


class AwayController(QObject):
    """See the module docstring."""

    pending_changed = Signal(bool)
    reminded = Signal(object)  # Reminder

    def __init__(
        self,
        tracker: Tracker,
        bridge: StateBridge,
        *,
        clock: Clock,
        idle_source: IdleSource | None,
        detector: AwayDetector | None = None,
        reminders: ReminderEngine | None = None,
        attention: Attention | None = None,
        notify: Notify | None = None,
        interval_ms: int = 30_000,
        reminder_interval_ms: int = 60_000,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._tracker = tracker
        self._bridge = bridge
        self._clock = clock
        self._idle = idle_source
        self.detector = detector or AwayDetector(tick=timedelta(milliseconds=interval_ms))
        self._reminders = reminders
        self._attention = attention or (lambda _items: None)
        self._notify = notify or (lambda _title, _message: None)
        self._interval_ms = interval_ms
        self._reminder_interval_ms = reminder_interval_ms
        self.dialog: AwayDialog | None = None
        self.idle_status: str | None = None  # for the settings dialog: what detection found
        self._entry: RunningEntry | None = None  # what ran when the pending period was found
        self._reminder: Reminder | None = None
        self._reminder_until: datetime | None = None
        self._was_running = False
        self._sleeping_since: datetime | None = None
        self._closed = False
        self.stop_on_logout = False  # the preference; see session_ending()

        self.timer = QTimer(self)
        self.timer.timeout.connect(self.tick)
        bridge.state_changed.connect(self._on_state)
        self._on_state(bridge.state)

    # -- state and timer -----------------------------------------------------------------

    @property
    def pending(self) -> bool:
        return self.dialog is not None

    def _on_state(self, state: object) -> None:
        assert isinstance(state, TrackerState)
        if state.is_running and not self._was_running:
            # A fresh start: the gap since the last sample is not a sleep.
            self.detector.sample(self._clock.now(), None, False)
        self._was_running = state.is_running
        self._schedule(state)

    def _schedule(self, state: TrackerState) -> None:
        if state.is_running:
            interval: int | None = self._interval_ms
        elif self._reminders is not None and self._reminders.settings.not_tracking:
            interval = self._reminder_interval_ms
        else:
            interval = None
        if interval is None:
            self.timer.stop()
        elif not self.timer.isActive() or self.timer.interval() != interval:
            self.timer.start(interval)

    @Slot()
    def tick(self) -> None:
        """One sample: idle/sleep detection while running, then the reminders."""
        now = self._clock.now()
        state = self._tracker.state
        idle = self._idle.idle_seconds() if self._idle is not None and state.is_running else None
        period = self.detector.sample(now, idle, state.is_running)
        if period is not None:
            self._open(period)
        self._check_reminders(now, self._tracker.state)

    def apply_preferences(self, prefs: Preferences) -> None:
        """Take the saved settings: idle threshold, reminders (re-armed), stop on logout."""
        settings = away_prefs(prefs)
        self.detector.threshold = settings.idle_threshold
        self.stop_on_logout = settings.stop_on_logout
        if settings.reminders is None:
            self._reminders = None
        elif self._reminders is None or self._reminders.settings != settings.reminders:
            self._reminders = ReminderEngine(settings.reminders, local_zone_name())
        self._schedule(self._tracker.state)

    def set_tracker(self, tracker: Tracker) -> None:
        """Watch another profile's tracker (a profile switch); the caller rebinds the bridge.

        The idle source, timer, detector, reminder engine and preferences stay: they are about
        the user, not the profile (a snooze or an idle stretch carries over; an away period is
        clamped to the new entry's begin when applied). What belonged to the old tracker goes:
        an open away question is closed without booking anything, because the old tracker's
        files are the switcher's from now on (closed once its queue is delivered), so a late
        answer could not be applied safely; and a reminder's menu actions were about its timer.
        """
        if tracker is self._tracker:
            return
        self._tracker = tracker
        dialog, self.dialog, self._entry = self.dialog, None, None
        self._reminder, self._reminder_until = None, None
        if dialog is not None:
            dialog.close()
            dialog.deleteLater()
            log.info("away: profile switched; the open away question was closed")
            self._notify(
                "Away time",
                "The away time was kept on the previous profile's timer; "
                "switch back to that profile to edit the entry if needed.",
            )
            self.pending_changed.emit(False)
        self._publish_attention()
        self._on_state(tracker.state)

    # -- lock, unlock, sleep (from D-Bus or the platform) --------------------------------

    @Slot()
    def screen_locked(self) -> None:
        self.detector.locked(self._clock.now())

    @Slot()
    def screen_unlocked(self) -> None:
        period = self.detector.unlocked(self._clock.now(), self._tracker.state.is_running)
        if period is not None:
            self._open(period)

    @Slot(bool)
    def prepare_for_sleep(self, going_down: bool) -> None:
        """logind's PrepareForSleep(true) before suspend, (false) after resume."""
        now = self._clock.now()
        if going_down:
            self._sleeping_since = now
            self.detector.locked(now)
            return
        asleep, self._sleeping_since = self._sleeping_since, None
        period = self.detector.unlocked(now, self._tracker.state.is_running)
        if period is not None:
            self._open(replace(period, reason=AwayReason.SLEEP) if asleep else period)

    def connect_dbus(self) -> bool:
        """Listen to logind PrepareForSleep and the screen saver; False when no bus has them."""
        try:
            from PySide6.QtCore import SLOT
            from PySide6.QtDBus import QDBusConnection
        except ImportError:  # pragma: no cover - QtDBus is in PySide6-Essentials
            return False
        system, session = QDBusConnection.systemBus(), QDBusConnection.sessionBus()
        connected = False
        # Any sender (""): a spoofed signal could only open the dialog, which books nothing.
        # The stubs say the slot is bytes; PySide6 accepts only the str that SLOT() returns.
        if system.isConnected():
            connected |= system.connect(  # type: ignore[call-overload]
                "",
                "/org/freedesktop/login1",
                "org.freedesktop.login1.Manager",
                "PrepareForSleep",
                self,
                SLOT("prepare_for_sleep(bool)"),
            )
        if session.isConnected():
            for interface in ("org.freedesktop.ScreenSaver", "org.gnome.ScreenSaver"):
                connected |= session.connect(  # type: ignore[call-overload]
                    "",
                    "/" + interface.replace(".", "/"),
                    interface,
                    "ActiveChanged",
                    self,
                    SLOT("screen_saver_active(bool)"),
                )
        return bool(connected)

    @Slot(bool)
    def screen_saver_active(self, active: bool) -> None:
        if active:
            self.screen_locked()
        else:
            self.screen_unlocked()

    def session_ending(self, stop_running: bool) -> None:
        """Shutdown or logout: keep the timer (the server keeps it) or stop it right now."""
        if stop_running and self._tracker.state.is_running:
            self._tracker.stop()

    # -- the return dialog ----------------------------------------------------------------

    def _open(self, period: AwayPeriod) -> None:
        running = self._tracker.state.running
        if self.dialog is not None or running is None:
            return
        self._entry = running
        label = f"{running.project.name} · {running.activity.name}"
        if running.description:
            label += f" — {running.description}"
        dialog = AwayDialog(period, label, booking_targets(self._tracker, running))
        dialog.chosen.connect(self._on_chosen)
        self.dialog = dialog
        log.info("away: %s for %s", period.reason.value, period.duration)
        self._publish_attention()
        self.pending_changed.emit(True)
        self.show_pending()

    @Slot()
    def show_pending(self) -> None:
        if self.dialog is None:
            return
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()

    def _on_chosen(self, choice: object, target: object) -> None:
        dialog = self.dialog
        assert dialog is not None and isinstance(choice, AwayChoice)
        away_target = None
        if isinstance(target, BookingTarget):
            away_target = AwayTarget(target.project_id, target.activity_id)
        try:
            applied = apply_away_choice(
                self._tracker, dialog.period, choice, away_target, entry=self._entry
            )
            if not applied:
                self._notify("Away time", "That timer is no longer running; nothing was changed.")
        except KimaiTrayError as exc:  # e.g. the local database could not be written
            self._notify("Away time not saved", exc.user_message)
            return  # the question stays open
        self.dialog, self._entry = None, None
        dialog.deleteLater()
        self._publish_attention()
        self.pending_changed.emit(False)

    # -- reminders ------------------------------------------------------------------------

    def _check_reminders(self, now: datetime, state: TrackerState) -> None:
        if self._reminder_until is not None and now >= self._reminder_until:
            self._reminder, self._reminder_until = None, None
            self._publish_attention()
        if self._reminders is None:
            return
        for reminder in self._reminders.check(now, state):
            self._reminder, self._reminder_until = reminder, now + REMINDER_ACTIONS_FOR
            self._notify("kimai-tray", reminder.message)
            self.reminded.emit(reminder)
            self._publish_attention()

    def run_reminder_action(self, action: ReminderAction) -> None:
        if action is ReminderAction.START_LAST:
            with contextlib.suppress(KimaiTrayError):
                self._tracker.start_last()
        elif action is ReminderAction.STOP:
            self._tracker.stop()
        elif action is ReminderAction.SNOOZE and self._reminders is not None:
            self._reminders.snooze(self._clock.now())
        self._reminder, self._reminder_until = None, None
        self._publish_attention()

    def attention_items(self) -> list[tuple[str, Callable[[], None]]]:
        """What the tray menu shows on top: the pending decision, a reminder's actions."""
        items: list[tuple[str, Callable[[], None]]] = []
        if self.dialog is not None:
            items.append((PENDING_LABEL, self.show_pending))
        if self._reminder is not None:
            for action in self._reminder.actions:
                items.append((ACTION_LABELS[action], partial(self.run_reminder_action, action)))
        return items

    def _publish_attention(self) -> None:
        self._attention(self.attention_items())

    def close(self) -> None:
        """Stop watching; an unanswered question is dropped (nothing was booked for it)."""
        self.timer.stop()
        if self._closed:
            return
        self._closed = True
        self._bridge.state_changed.disconnect(self._on_state)
        dialog, self.dialog = self.dialog, None
        if dialog is not None:
            dialog.close()
            dialog.deleteLater()


def install_away_controller(
    tracker: Tracker,
    bridge: StateBridge,
    prefs: Preferences,
    *,
    attention: Attention,
    notify: Notify,
    clock: Clock | None = None,
    idle_source: IdleSource | None = None,
) -> AwayController:
    """The app's wiring: preferences, the desktop's idle source, D-Bus, session end."""
    from PySide6.QtGui import QGuiApplication

    from kimai_tray.core.clock import SystemClock
    from kimai_tray.platform.idle import IdleDetection, detect_idle_source
    from kimai_tray.ui.away_settings import idle_status_text

    detection = IdleDetection(idle_source, "") if idle_source else detect_idle_source()
    controller = AwayController(
        tracker,
        bridge,
        clock=clock or SystemClock(),
        idle_source=detection.source,
        attention=attention,
        notify=notify,
    )
    controller.apply_preferences(prefs)
    controller.idle_status = idle_status_text(detection)
    listening = controller.connect_dbus()
    log.info("away: idle detection: %s lock/sleep signals: %s", controller.idle_status, listening)
    app = QGuiApplication.instance()
    if isinstance(app, QGuiApplication):
        app.commitDataRequest.connect(
            lambda _manager: controller.session_ending(controller.stop_on_logout)
        )
    return controller
