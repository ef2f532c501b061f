"""The away watcher and reminders follow a profile switch made from the tray menu.

Real AppContext home in tmp_path, real SQLite outboxes, real HTTP to two Kimai 2 simulators on
the running Qt event loop (as in test_profile_menu.py). Stand-ins only at edges that cannot run
here: the keyring (in memory: no Secret Service on CI) and the desktop's idle time (a scripted
source, as in test_away_controller.py). The watcher's clock is a FakeClock set in the past, so
the test calls `tick()` where the QTimer would and every away period lies before the trackers'
real "now"; the trackers themselves keep the system clock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from helpers.fake_clock import FakeClock
from helpers.keyring_fixtures import MemoryKeyring
from helpers.simulator_fixtures import SIMULATOR_TOKEN, SimulatorFactory
from kimai_tray.context import AppContext
from kimai_tray.core.away import AwayDetector, AwayReason
from kimai_tray.core.reminders import ReminderEngine, ReminderSettings
from kimai_tray.platform.profiles import Profile, config_for
from kimai_tray.profile_switch import ProfileSwitcher
from kimai_tray.simulator.kimai2 import SimTimesheet
from kimai_tray.simulator.server import SimulatorServer
from kimai_tray.ui.away_controller import PENDING_LABEL, AwayController
from kimai_tray.ui.bridge import StateBridge
from kimai_tray.ui.popup import PopupWindow
from kimai_tray.ui.profile_menu import ProfileMenu, install_profiles
from kimai_tray.ui.tray import TrayController

WAIT_MS = 30_000
PROJECT, TASK = 1, 6  # demo seed
Items = list[tuple[str, Callable[[], None]]]


class ScriptedIdle:
    name = "scripted"

    def __init__(self) -> None:
        self.value: float | None = 0.0

    def idle_seconds(self) -> float | None:
        return self.value


@dataclass
class Setup:
    ctx: AppContext
    sim_a: SimulatorServer
    sim_b: SimulatorServer
    switcher: ProfileSwitcher
    tray: TrayController
    menu: ProfileMenu
    controller: AwayController
    clock: FakeClock
    idle: ScriptedIdle
    attention: list[Items]
    notes: list[str]


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[AppContext]:
    built = AppContext.build({"KIMAI_TRAY_HOME": str(tmp_path)}, log_to_file=False)
    yield built
    built.close()


Build = Callable[..., Setup]


@pytest.fixture
def build(
    qtbot: QtBot,
    ctx: AppContext,
    simulator_factory: SimulatorFactory,
    memory_keyring: MemoryKeyring,
    running_qloop: asyncio.AbstractEventLoop,
) -> Iterator[Build]:
    """Profiles "default" (simulator A, connected) and "b" (simulator B), the app's wiring of
    tray, popup, profile menu and one away watcher; `reminders` goes to the watcher."""
    made: list[tuple[Setup, StateBridge]] = []

    def make(reminders: ReminderEngine | None = None) -> Setup:
        sim_a = simulator_factory(seed="demo", rounding=False)
        sim_b = simulator_factory(seed="demo", rounding=False)
        ctx.save_config(
            replace(ctx.config, server_url=sim_a.url, profiles=(Profile("b", sim_b.url),))
        )
        for name in ("default", "b"):
            ctx.store_secret(config_for(ctx.file_config or ctx.config, name), SIMULATOR_TOKEN)
        switcher = ProfileSwitcher(ctx, retry_s=0.2)
        bridge = StateBridge(ctx.tracker.subscribe, ctx.tracker.state)
        popup = PopupWindow(ctx.tracker, bridge)
        qtbot.addWidget(popup)
        tray = TrayController(ctx.tracker, bridge, toggle_popup=lambda: None, quit_app=lambda: None)
        # Whole seconds, two hours ago: what Kimai stores, and before the trackers' real now.
        clock = FakeClock(datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2))
        idle = ScriptedIdle()
        attention: list[Items] = []
        notes: list[str] = []

        def show(items: Items) -> None:
            attention.append(items)
            tray.set_attention(items)

        controller = AwayController(
            ctx.tracker,
            bridge,
            clock=clock,
            idle_source=idle,
            detector=AwayDetector(threshold=timedelta(minutes=5), tick=timedelta(seconds=30)),
            reminders=reminders,
            attention=show,
            notify=lambda _title, message: notes.append(message),
        )
        menu = install_profiles(
            switcher, bridge, popup, tray, with_comforts=True, away=lambda: controller
        )
        switcher.attach(ctx.make_backend())
        setup = Setup(
            ctx, sim_a, sim_b, switcher, tray, menu, controller, clock, idle, attention, notes
        )
        made.append((setup, bridge))
        return setup

    yield make
    for setup, bridge in made:
        setup.controller.close()
        closing = asyncio.ensure_future(setup.switcher.aclose())
        qtbot.waitUntil(closing.done, timeout=WAIT_MS)
        setup.menu.close()
        setup.tray.close()
        bridge.close()


def _sheets(sim: SimulatorServer, description: str) -> list[SimTimesheet]:
    with sim.state.lock:
        return [replace(t) for t in sim.state.timesheets.values() if t.description == description]


def _synced(sim: SimulatorServer, description: str) -> Callable[[], bool]:
    return lambda: len(_sheets(sim, description)) == 1


def _switch_to_b(qtbot: QtBot, s: Setup) -> None:
    """Click "b" in the tray's Profiles submenu and wait for the switch to finish."""
    s.tray.rebuild_menu()
    submenu = s.tray.action("Profiles").menu()
    assert submenu is not None
    {str(a.data()): a for a in submenu.actions()}["b"].trigger()

    def switched() -> bool:  # the UI side ran too: B's favourites are the menu's
        comforts = s.menu.comforts
        return s.ctx.profile == "b" and comforts is not None and comforts.tracker is s.ctx.tracker

    qtbot.waitUntil(switched, timeout=WAIT_MS)


def _start_synced(qtbot: QtBot, s: Setup, sim: SimulatorServer, description: str) -> datetime:
    """Start a timer on the active profile at the watcher's now; wait until `sim` has it."""
    begin = s.clock.now()
    s.ctx.tracker.start(PROJECT, TASK, description, begin=begin)
    qtbot.waitUntil(_synced(sim, description), timeout=WAIT_MS)
    return begin


def _idle_away(s: Setup) -> None:
    """Two active ticks, 20 minutes without input, then input 5 s before a tick."""
    for _ in range(2):
        s.clock.advance(30)
        s.idle.value = 0.0
        s.controller.tick()
    for k in range(1, 41):
        s.clock.advance(30)
        s.idle.value = 30.0 * k
        s.controller.tick()
    s.clock.advance(30)
    s.idle.value = 5.0
    s.controller.tick()


def test_after_a_switch_stop_when_i_left_ends_the_new_profiles_entry_on_its_server(
    qtbot: QtBot, build: Build
) -> None:
    s = build()
    _start_synced(qtbot, s, s.sim_a, "on A")
    _switch_to_b(qtbot, s)
    begin_b = _start_synced(qtbot, s, s.sim_b, "on B")

    _idle_away(s)
    dialog = s.controller.dialog
    assert dialog is not None
    assert dialog.period.reason is AwayReason.IDLE
    left = begin_b + timedelta(seconds=60)  # the last active tick
    assert dialog.period.began == left
    running_label = dialog.findChild(QLabel, "awayRunning")
    assert running_label is not None and "on B" in running_label.text()

    dialog.discard_button.click()  # "Discard it and stop": end the entry when I left
    assert not s.controller.pending
    (local,) = [e for e in s.ctx.tracker.outbox.entries() if e.description == "on B"]
    assert local.end == left
    qtbot.waitUntil(lambda: _sheets(s.sim_b, "on B")[0].end == left, timeout=WAIT_MS)
    # Nothing changed on A: its entry still runs there, and B's server got nothing of A's.
    (on_a,) = _sheets(s.sim_a, "on A")
    assert on_a.end is None
    assert _sheets(s.sim_b, "on A") == [] and _sheets(s.sim_a, "on B") == []


def test_an_open_away_question_for_the_old_profile_is_closed_by_a_switch_booking_nothing(
    qtbot: QtBot, build: Build
) -> None:
    s = build()
    _start_synced(qtbot, s, s.sim_a, "on A")
    s.clock.advance(60)
    s.controller.screen_locked()
    s.clock.advance(40 * 60)
    s.controller.screen_unlocked()
    dialog = s.controller.dialog
    assert dialog is not None and s.attention[-1][0][0] == PENDING_LABEL
    dialog.show()
    gone: list[bool] = []
    dialog.destroyed.connect(lambda: gone.append(True))

    with qtbot.waitSignal(s.controller.pending_changed, timeout=WAIT_MS) as closed:
        _switch_to_b(qtbot, s)
    assert closed.args == [False] and s.controller.dialog is None
    qtbot.waitUntil(lambda: gone == [True], timeout=WAIT_MS)  # the window went away
    assert s.attention[-1] == []  # the tray no longer asks for a decision
    assert s.notes and "previous profile" in s.notes[-1]
    # The question was dropped, not answered: A's entry runs on, away time counted as work.
    (on_a,) = _sheets(s.sim_a, "on A")
    assert on_a.end is None
    # And the watcher goes on with B: a lock while B's timer runs asks about B's entry.
    _start_synced(qtbot, s, s.sim_b, "on B")
    s.controller.screen_locked()
    s.clock.advance(30 * 60)
    s.controller.screen_unlocked()
    assert s.controller.dialog is not None
    running_label = s.controller.dialog.findChild(QLabel, "awayRunning")
    assert running_label is not None and "on B" in running_label.text()


def test_reminders_use_the_new_profiles_state_and_their_actions_act_on_it(
    qtbot: QtBot, build: Build
) -> None:
    every_hour = ReminderSettings(
        grace=timedelta(minutes=1), work_days=frozenset(range(7)), work_start=time(0, 0)
    )
    s = build(ReminderEngine(replace(every_hour, work_end=time(23, 59, 59)), "UTC"))
    _start_synced(qtbot, s, s.sim_a, "on A")  # A tracks: no "not tracking" reminder for A
    with s.sim_a.state.lock:
        on_server_a = len(s.sim_a.state.timesheets)
    s.controller.tick()
    s.clock.advance(120)
    s.controller.tick()
    assert s.notes == []

    _switch_to_b(qtbot, s)
    # B tracks nothing now; its last entry is one from yesterday.
    yesterday = s.clock.now() - timedelta(days=1)
    s.ctx.tracker.add_finished_entry(PROJECT, TASK, yesterday, yesterday + timedelta(hours=1))
    s.controller.tick()
    s.clock.advance(61)
    s.controller.tick()
    assert s.notes == ["You are not tracking time right now."]
    actions = dict(s.attention[-1])
    assert list(actions) == ["Start the last entry", "Snooze reminders"]

    pressed = datetime.now(UTC).replace(microsecond=0)
    actions["Start the last entry"]()
    assert s.ctx.tracker.state.is_running

    def b_runs_again() -> bool:
        with s.sim_b.state.lock:
            sheets = s.sim_b.state.timesheets.values()
            return any(t.end is None and t.begin >= pressed for t in sheets)

    qtbot.waitUntil(b_runs_again, timeout=WAIT_MS)
    # A's timer was neither stopped nor restarted, and nothing was added on A's server.
    (on_a,) = _sheets(s.sim_a, "on A")
    assert on_a.end is None
    with s.sim_a.state.lock:
        assert len(s.sim_a.state.timesheets) == on_server_a
