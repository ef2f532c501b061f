"""The first icon: neutral "connecting" until the first sync answers, then the real state.

The sequence tests run a real Tracker (SQLite outbox + catalog in tmp_path) whose supervisor
talks HTTP to the simulator on 127.0.0.1; a delayed response keeps the first sync pending.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
from pytestqt.qtbot import QtBot

from helpers.simulator_fixtures import SIMULATOR_TOKEN
from kimai_tray.api.credentials import Credentials
from kimai_tray.api.kimai2 import Kimai2Client
from kimai_tray.core.catalog import Catalog
from kimai_tray.core.clock import SystemClock
from kimai_tray.core.outbox import Outbox
from kimai_tray.core.state import NamedRef, Phase, RunningEntry, TrackerState
from kimai_tray.core.tracker import RecentEntry, Tracker
from kimai_tray.simulator.server import SimulatorServer
from kimai_tray.ui.bridge import StateBridge
from kimai_tray.ui.icons import IconState, icon_state
from kimai_tray.ui.tray import TrayController, connecting_text, tooltip_text

WAIT_MS = 30_000  # generous: CI runs on two loaded cores
DELAY_S = 2.0  # the first catalog request's delay: the window in which the sync is pending
NOW = datetime(2026, 11, 23, 10, 0, 30, tzinfo=UTC)
RUNNING = TrackerState(
    phase=Phase.RUNNING,
    running=RunningEntry(NamedRef(1, "ACME"), NamedRef(2, "Website"), NamedRef(3, "Design"), NOW),
)


class FakeTracker:
    """Publishes states like core's Tracker; the tray's menu actions are not used here."""

    def __init__(self, state: TrackerState) -> None:
        self.state = state
        self._subs: list[Callable[[TrackerState], None]] = []

    def subscribe(self, cb: Callable[[TrackerState], None]) -> Callable[[], None]:
        self._subs.append(cb)
        return lambda: self._subs.remove(cb)

    def publish(self, state: TrackerState) -> None:
        self.state = state
        for cb in list(self._subs):
            cb(state)

    def start(self, *_args: object, **_kw: object) -> RunningEntry:
        raise AssertionError("not used")

    def start_last(self) -> RunningEntry | None:
        return None

    def stop(self) -> RunningEntry | None:
        return None

    def recent(self, limit: int = 5) -> list[RecentEntry]:
        return []

    def wake(self) -> None:
        pass


def test_connecting_replaces_only_offline() -> None:
    assert icon_state(TrackerState(), connecting=True) is IconState.CONNECTING
    assert icon_state(TrackerState(), connecting=False) is IconState.OFFLINE
    # What is known locally still wins: a running timer, queued entries, rejected entries.
    assert icon_state(RUNNING, connecting=True) is IconState.RUNNING
    assert icon_state(TrackerState(pending=2), connecting=True) is IconState.PENDING
    assert icon_state(TrackerState(failed=1), connecting=True) is IconState.ERROR
    assert icon_state(TrackerState(online=True), connecting=True) is IconState.IDLE


def test_connecting_tooltip_names_the_server_host() -> None:
    assert connecting_text("https://kimai.example/sub/path") == "Connecting to kimai.example…"
    assert connecting_text(None) == "Connecting to Kimai…"
    text = tooltip_text(TrackerState(), NOW, connecting_to="https://kimai.example")
    assert text == "Connecting to kimai.example…\nNot tracking"
    # Once online the line goes, also when the caller has not cleared the flag yet.
    online = TrackerState(online=True)
    assert tooltip_text(online, NOW, connecting_to="https://kimai.example") == "Not tracking"


def make_tray(tracker: FakeTracker, *, connecting: bool) -> TrayController:
    bridge = StateBridge(tracker.subscribe, tracker.state)
    return TrayController(
        tracker,
        bridge,
        toggle_popup=lambda: None,
        quit_app=lambda: None,
        server_url="https://kimai.example",
        connecting=connecting,
        now=lambda: NOW,
    )


def test_tray_is_connecting_until_a_state_says_how_the_sync_went(qtbot: QtBot) -> None:
    tracker = FakeTracker(TrackerState())
    tray = make_tray(tracker, connecting=True)
    try:
        assert tray.icon_kind is IconState.CONNECTING
        assert tray.tray.toolTip().startswith("Connecting to kimai.example…")
        tracker.publish(TrackerState(syncing=True))  # under way: no answer yet
        assert tray.icon_kind is IconState.CONNECTING and tray.connecting
        tracker.publish(TrackerState(last_error="Kimai is not reachable."))
        assert tray.icon_kind is IconState.OFFLINE and not tray.connecting
        assert "Connecting" not in tray.tray.toolTip()
        # Back online later, then offline again: plain offline, never "connecting" again.
        tracker.publish(TrackerState(online=True))
        tracker.publish(TrackerState())
        assert tray.icon_kind is IconState.OFFLINE
        # A new login (settings) connects again.
        tray.set_connecting(True)
        assert tray.icon_kind is IconState.CONNECTING
        tray.set_configured(False)  # no client after all: offline is the truth
        assert tray.icon_kind is IconState.OFFLINE and not tray.connecting
    finally:
        tray.close()


def test_tray_without_a_client_starts_offline(qtbot: QtBot) -> None:
    tray = make_tray(FakeTracker(TrackerState()), connecting=False)
    try:
        assert tray.icon_kind is IconState.OFFLINE
        assert "Connecting" not in tray.tray.toolTip()
    finally:
        tray.close()


@contextmanager
def supervised_tray(
    qtbot: QtBot, directory: Path, url: str
) -> Iterator[tuple[TrayController, list[IconState]]]:
    """The app's start-up order: tray (connecting) first, then the supervisor on a real client.

    Yields the tray and every icon kind it showed, in order (recorded as states arrive).
    """
    client = Kimai2Client(
        url,
        Credentials(kind="token", secret=SIMULATOR_TOKEN),
        timezone="Europe/Berlin",
        timeout=httpx.Timeout(10.0),
    )
    outbox = Outbox(directory / "outbox.sqlite")
    catalog = Catalog(directory / "catalog.sqlite")
    tracker = Tracker(outbox, catalog, SystemClock())
    bridge = StateBridge(tracker.subscribe, tracker.state)
    tray = TrayController(
        tracker, bridge, toggle_popup=lambda: None, quit_app=lambda: None, server_url=url,
        connecting=True,
    )  # fmt: skip
    seen = [tray.icon_kind]

    def record(_state: object) -> None:  # connected after the tray: sees its new kind
        if tray.icon_kind is not seen[-1]:
            seen.append(tray.icon_kind)

    bridge.state_changed.connect(record)
    tracker.set_backend(client)
    runner = asyncio.ensure_future(tracker.run())
    try:
        yield tray, seen
    finally:
        runner.cancel()
        qtbot.waitUntil(runner.done, timeout=WAIT_MS)
        closing = asyncio.ensure_future(client.aclose())
        qtbot.waitUntil(closing.done, timeout=WAIT_MS)
        tray.close()
        bridge.close()
        outbox.close()
        catalog.close()


def test_first_icon_stays_connecting_while_the_first_sync_is_pending_then_idle(
    qtbot: QtBot,
    tmp_path: Path,
    simulator: SimulatorServer,
    running_qloop: asyncio.AbstractEventLoop,
) -> None:
    # The supervisor's first request is the catalog's customers: answered DELAY_S late.
    simulator.state.faults.add("delay", method="GET", path="/api/customers", delay=DELAY_S)
    started = time.monotonic()
    with supervised_tray(qtbot, tmp_path, simulator.url) as (tray, seen):
        assert tray.icon_kind is IconState.CONNECTING
        assert tray.tray.toolTip().startswith("Connecting to 127.0.0.1…")
        qtbot.waitUntil(lambda: tray.icon_kind is not IconState.CONNECTING, timeout=WAIT_MS)
        waited = time.monotonic() - started
        assert tray.icon_kind is IconState.IDLE
        assert tray.tray.toolTip() == "Not tracking"
    # Connecting for the whole pending request, then straight to the real state.
    assert waited >= DELAY_S * 0.9
    assert seen == [IconState.CONNECTING, IconState.IDLE]


def test_first_icon_turns_offline_only_after_a_sync_attempt_failed(
    qtbot: QtBot,
    tmp_path: Path,
    simulator: SimulatorServer,
    running_qloop: asyncio.AbstractEventLoop,
) -> None:
    simulator.state.set_offline()  # the server is down: every connection is dropped
    with supervised_tray(qtbot, tmp_path, simulator.url) as (tray, seen):
        qtbot.waitUntil(lambda: tray.icon_kind is IconState.OFFLINE, timeout=WAIT_MS)
        with simulator.state.lock:
            attempts = len(simulator.state.requests)
        assert attempts >= 1  # the server was asked before the icon said "offline"
        assert "Connecting" not in tray.tray.toolTip()
    assert seen == [IconState.CONNECTING, IconState.OFFLINE]
