"""TrayController, icons and notifications, against a small in-memory tracker."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import combinations

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QSystemTrayIcon
from pytestqt.qtbot import QtBot

from kimai_tray.core.state import NamedRef, Phase, RunningEntry, TrackerState
from kimai_tray.core.tracker import RecentEntry
from kimai_tray.ui.bridge import StateBridge
from kimai_tray.ui.icons import IconState, icon_path, icon_state, resources_dir, state_icon
from kimai_tray.ui.notifications import Notice, Notifier, notices_for
from kimai_tray.ui.tray import (
    NOT_CONFIGURED,
    TrayController,
    ms_until_next_minute,
    tooltip_text,
)

NOW = datetime(2026, 11, 23, 10, 0, 30, tzinfo=UTC)


def running(minutes: int = 83, timesheet_id: int | None = 7) -> RunningEntry:
    return RunningEntry(
        customer=NamedRef(1, "ACME"),
        project=NamedRef(2, "Website"),
        activity=NamedRef(3, "Design"),
        begin=NOW - timedelta(minutes=minutes),
        timesheet_id=timesheet_id,
    )


def run_state(**kw: object) -> TrackerState:
    return TrackerState(phase=Phase.RUNNING, running=running(), online=True, **kw)  # type: ignore[arg-type]


RECENT = RecentEntry(
    NamedRef(1, "ACME"), NamedRef(2, "Website"), NamedRef(4, "Meeting"), "standup", ("x",), NOW
)


class FakeTracker:
    """Records calls; publishes states like core's Tracker (subscribe -> unsubscribe)."""

    def __init__(self, state: TrackerState) -> None:
        self.state = state
        self.calls: list[tuple[object, ...]] = []
        self._subs: list[Callable[[TrackerState], None]] = []

    def subscribe(self, cb: Callable[[TrackerState], None]) -> Callable[[], None]:
        self._subs.append(cb)
        return lambda: self._subs.remove(cb)

    def publish(self, state: TrackerState) -> None:
        self.state = state
        for cb in list(self._subs):
            cb(state)

    def start(
        self,
        project_id: int,
        activity_id: int,
        description: str = "",
        tags: tuple[str, ...] = (),
        begin: datetime | None = None,
    ) -> RunningEntry:
        self.calls.append(("start", project_id, activity_id, description, tags))
        return running()

    def start_last(self) -> RunningEntry | None:
        self.calls.append(("start_last",))
        return running()

    def stop(self) -> RunningEntry | None:
        self.calls.append(("stop",))
        return None

    def recent(self, limit: int = 5) -> list[RecentEntry]:
        return [RECENT][:limit]

    def wake(self) -> None:
        self.calls.append(("wake",))


@pytest.fixture
def make_tray(qtbot: QtBot) -> Callable[..., tuple[TrayController, FakeTracker, list[str]]]:
    made: list[TrayController] = []

    def make(state: TrackerState | None = None) -> tuple[TrayController, FakeTracker, list[str]]:
        tracker = FakeTracker(state or TrackerState(online=True))
        bridge = StateBridge(tracker.subscribe, tracker.state)
        events: list[str] = []
        tray = TrayController(
            tracker,
            bridge,
            toggle_popup=lambda: events.append("toggle"),
            quit_app=lambda: events.append("quit"),
            open_settings=lambda: events.append("settings"),
            server_url="https://kimai.example",
            now=lambda: NOW,
        )
        made.append(tray)
        return tray, tracker, events

    yield make
    for tray in made:
        tray.close()


def render(kind: IconState, *, dark: bool) -> QImage:
    return state_icon(kind, dark=dark).pixmap(22, 22).toImage()


def test_every_state_icon_exists_in_both_variants() -> None:
    for kind in IconState:
        for dark in (False, True):
            assert icon_path(kind, dark=dark).is_file()
    assert (resources_dir() / "icons" / "org.kimai.KimaiTray.svg").is_file()


def test_state_icons_render_distinct_at_22px(qapp: object) -> None:
    for dark in (False, True):
        images = {kind: render(kind, dark=dark) for kind in IconState}
        for image in images.values():
            assert not image.isNull()
        for a, b in combinations(IconState, 2):
            assert images[a] != images[b], (a, b)
    assert render(IconState.IDLE, dark=False) != render(IconState.IDLE, dark=True)


@pytest.mark.parametrize(
    ("state", "kind"),
    [
        (TrackerState(online=True), IconState.IDLE),
        (TrackerState(online=False), IconState.OFFLINE),
        (TrackerState(online=True, pending=3), IconState.PENDING),
        (run_state(), IconState.RUNNING),
        (run_state(failed=1), IconState.ERROR),
        (TrackerState(online=True, last_error="The API token was refused."), IconState.ERROR),
        (TrackerState(online=False, pending=2, last_error="unreachable"), IconState.PENDING),
        (TrackerState(online=False, last_error="unreachable"), IconState.OFFLINE),
    ],
)
def test_icon_state_mapping(state: TrackerState, kind: IconState) -> None:
    assert icon_state(state) is kind


def test_tooltip_texts() -> None:
    assert tooltip_text(run_state(), NOW) == "Website · Design · 1:23"
    assert tooltip_text(TrackerState(online=True), NOW) == "Not tracking"
    idle_pending = TrackerState(pending=3, last_error="Kimai is not reachable.")
    assert tooltip_text(idle_pending, NOW) == (
        "Not tracking\n3 entries waiting to sync\nKimai is not reachable."
    )
    assert "1 entry waiting to sync" in tooltip_text(TrackerState(pending=1), NOW)
    assert tooltip_text(TrackerState(), NOW, configured=False).startswith(NOT_CONFIGURED)


def test_tray_follows_state_changes(
    make_tray: Callable[..., tuple[TrayController, FakeTracker, list[str]]],
) -> None:
    tray, tracker, _ = make_tray()
    idle_key = tray.tray.icon().cacheKey()
    assert tray.icon_kind is IconState.IDLE
    assert tray.tray.toolTip() == "Not tracking"
    tracker.publish(run_state())
    assert tray.icon_kind is IconState.RUNNING
    assert tray.tray.icon().cacheKey() != idle_key
    assert tray.tray.toolTip() == "Website · Design · 1:23"
    tray.set_configured(False)
    assert tray.tray.toolTip().startswith(NOT_CONFIGURED)


def test_menu_actions_call_the_tracker(
    make_tray: Callable[..., tuple[TrayController, FakeTracker, list[str]]],
) -> None:
    tray, tracker, events = make_tray()
    tray.rebuild_menu()
    tray.action("Start").trigger()
    tray.action("Website · Meeting — standup").trigger()
    tray.action("Sync now").trigger()
    tray.action("Settings…").trigger()
    tray.action("Quit").trigger()
    assert tracker.calls == [("start_last",), ("start", 2, 4, "standup", ("x",)), ("wake",)]
    assert events == ["settings", "quit"]
    tracker.publish(run_state())
    tray.rebuild_menu()
    with pytest.raises(KeyError):
        tray.action("Start")
    tray.action("Stop").trigger()
    assert tracker.calls[-1] == ("stop",)


def test_left_click_toggles_popup(
    make_tray: Callable[..., tuple[TrayController, FakeTracker, list[str]]],
) -> None:
    tray, _, events = make_tray()
    tray.tray.activated.emit(QSystemTrayIcon.ActivationReason.Context)
    assert events == []
    tray.tray.activated.emit(QSystemTrayIcon.ActivationReason.Trigger)
    assert events == ["toggle"]


def test_no_timer_while_idle_minute_aligned_while_running(
    make_tray: Callable[..., tuple[TrayController, FakeTracker, list[str]]],
) -> None:
    tray, tracker, _ = make_tray()
    assert not tray.tick_active
    tray.set_fast_refresh(True)  # popup open but nothing runs: still nothing to refresh
    assert not tray.tick_active
    tracker.publish(run_state())
    assert tray.tick_active
    assert tray._tick.interval() == 1000
    tray.set_fast_refresh(False)
    # begin was NOW - 83 min exactly, so the display changes in 60 s minus the 0 s past it.
    assert tray._tick.interval() == ms_until_next_minute(running().begin, NOW) == 60_000
    tracker.publish(TrackerState(online=True))
    assert not tray.tick_active


def test_ms_until_next_minute_is_aligned_to_begin() -> None:
    begin = NOW - timedelta(minutes=5, seconds=45)
    assert ms_until_next_minute(begin, NOW) == 15_000


def test_notices_for_events() -> None:
    rejected = notices_for(TrackerState(), TrackerState(failed=1, last_error="Project is closed."))
    assert [(n.key, n.message) for n in rejected] == [("rejected:1", "Project is closed.")]
    # Remote stop: the synced entry vanished without a queued stop operation.
    remote = notices_for(run_state(), TrackerState(online=True))
    assert [n.key for n in remote] == ["stopped-elsewhere:7"]
    # Local stop queues an operation: no notice.
    assert notices_for(run_state(), TrackerState(online=True, pending=1)) == []
    # A transient error while online is left to the tooltip.
    assert notices_for(TrackerState(online=True), TrackerState(online=True, last_error="x")) == []
    auth = notices_for(TrackerState(online=True), TrackerState(last_error="Token refused."))
    assert [n.key for n in auth] == ["error:Token refused."]


def test_notifier_shows_each_event_once() -> None:
    shown: list[Notice] = []
    notifier = Notifier(shown.append, TrackerState(online=True))
    broken = TrackerState(last_error="Token refused.")
    notifier.observe(broken)
    notifier.observe(TrackerState(last_error="Token refused.", pending=1))
    notifier.observe(TrackerState(online=True))  # fixed ...
    notifier.observe(broken)  # ... and broken again: a new event
    notifier.observe(TrackerState(failed=1, last_error="Closed."))
    notifier.observe(TrackerState(failed=1, last_error="Closed.", pending=2))
    assert [n.key for n in shown] == ["error:Token refused.", "error:Token refused.", "rejected:1"]


def test_tray_notifies_through_the_tray_icon(
    make_tray: Callable[..., tuple[TrayController, FakeTracker, list[str]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tray, tracker, _ = make_tray(run_state())
    messages: list[str] = []
    # OS edge: the desktop's notification bubble is replaced by a recorder.
    monkeypatch.setattr(tray.tray, "showMessage", lambda title, *a: messages.append(title))
    tray.show()
    tracker.publish(TrackerState(online=True))
    tracker.publish(TrackerState(online=True))
    assert messages == ["Timer stopped elsewhere"]
