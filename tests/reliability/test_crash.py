"""Crash: the sync process is SIGKILLed at chosen points, restarted, and nothing is lost or
doubled; and a power cut of the outbox (a snapshot of DB + WAL mid-write) reopens intact.

Real processes, real SQLite files, the Kimai 2 simulator over real HTTP. No mocks.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from helpers.fake_clock import FakeClock
from kimai_tray.core.catalog import Catalog
from kimai_tray.core.errors import OutboxError
from kimai_tray.core.outbox import Outbox, quarantine_database
from kimai_tray.core.tracker import Tracker
from kimai_tray.simulator.kimai2 import SimulatorState
from kimai_tray.simulator.server import SimulatorServer
from reliability.plugin import ReliabilityStats

TOKEN = "reliability-crash-token"
TZ = "Europe/Berlin"
PROJECT, TASK, MEETING = 1, 6, 1  # demo seed: project 1, its "Task 1", global "Meeting"
TESTS_DIR = Path(__file__).resolve().parent.parent
POINTS = ("before_send", "after_send", "after_commit", "mid_write")
WRITES = {"POST", "PATCH", "DELETE"}


@pytest.fixture
def sim() -> Iterator[SimulatorServer]:
    state = SimulatorState(seed="demo", rounding=False, token=TOKEN, timezone=TZ)
    server = SimulatorServer(state, token=TOKEN)
    server.start()
    yield server
    server.stop()


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(TESTS_DIR)}


def _child(directory: Path, url: str, point: str, nth: int) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "reliability.crash_child", str(directory), url, TOKEN, TZ]
    return subprocess.run(
        [*cmd, point, str(nth)],
        env=_env(),
        cwd=TESTS_DIR,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def _queue_round(directory: Path, clock: FakeClock, n: int, expected: dict[str, object]) -> None:
    """Offline work for one run: edit + stop the running entry, one finished, one running."""
    outbox = Outbox(directory / "outbox.sqlite")
    catalog = Catalog(directory / "catalog.sqlite")
    tracker = Tracker(outbox, catalog, clock)
    try:
        running = outbox.running()
        if running is not None:
            desc = f"{running.description} edited"
            tracker.edit_running(description=desc)
            clock.advance(60)
            tracker.stop()
            expected[desc] = (running.begin, clock.now())
            expected.pop(running.description or "", None)
        clock.advance(60)
        begin = clock.now()
        tracker.start(PROJECT, TASK if n % 2 else MEETING, f"run {n} finished")
        clock.advance(300)
        tracker.stop()
        expected[f"run {n} finished"] = (begin, clock.now())
        clock.advance(60)
        tracker.start(PROJECT, MEETING, f"run {n} running")
        expected[f"run {n} running"] = (clock.now(), None)
    finally:
        outbox.close()
        catalog.close()


def _wait_for_writes(state: SimulatorState, since: int, count: int) -> None:
    """A stalled write sent by a killed child commits later: wait until the server logged it
    (a real server would also finish it; restarting earlier would race a request in flight)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with state.lock:
            done = sum(r.method in WRITES for r in state.requests[since:])
        if done >= count:
            return
        time.sleep(0.02)  # polling another thread's server, not waiting for our own work
    raise AssertionError("the stalled write never reached the server")


def _check_exactly_once(
    state: SimulatorState, expected: dict[str, object], stats: ReliabilityStats
) -> None:
    with state.lock:
        sheets = [t for t in state.timesheets.values() if (t.description or "").startswith("run ")]
    got = sorted(t.description or "" for t in sheets)
    stats.lost += len(set(expected) - set(got))
    stats.duplicated += len(got) - len(set(got))
    stats.entries += len(expected)
    assert got == sorted(expected), "lost or duplicated entries"
    for t in sheets:
        assert (t.begin, t.end) == expected[t.description or ""], t.description


@pytest.mark.slow
@pytest.mark.timeout(1800)  # --soak runs far longer; CI stays ~30 s
def test_kill_9_at_every_point_then_restart_keeps_each_entry_exactly_once(
    sim: SimulatorServer, tmp_path: Path, soak: bool, reliability_stats: ReliabilityStats
) -> None:
    runs = 200 if soak else 30
    state = sim.state
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0) - timedelta(days=3))
    rng = random.Random(2026)
    expected: dict[str, object] = {}
    killed: dict[str, int] = dict.fromkeys(POINTS, 0)
    for n in range(runs):
        _queue_round(tmp_path, clock, n, expected)
        point = POINTS[n % len(POINTS)]
        nth = rng.randint(1, 3)
        if point == "after_send":
            state.faults.add("delay", method="POST", times=-1, delay=0.6)
            state.faults.add("delay", method="PATCH", times=-1, delay=0.6)
        since = len(state.requests)
        result = _child(tmp_path, sim.url, point, nth)
        state.faults.clear()
        if result.returncode == -signal.SIGKILL:
            killed[point] += 1
            sent = [line for line in result.stdout.split() if line.isdigit()]
            if point == "after_send" and sent:
                _wait_for_writes(state, since, int(sent[-1]))
        else:
            assert result.stdout.strip().endswith("done"), result.stderr[-2000:]
        reliability_stats.runs += 1
    outbox = Outbox(tmp_path / "outbox.sqlite")
    catalog = Catalog(tmp_path / "catalog.sqlite")
    Tracker(outbox, catalog, clock).stop()
    outbox.close()
    catalog.close()
    last = f"run {runs - 1} running"
    expected[last] = (expected[last][0], clock.now())  # type: ignore[index]
    final = _child(tmp_path, sim.url, "none", 0)
    assert final.stdout.strip().endswith("done"), final.stderr[-2000:]
    _check_exactly_once(state, expected, reliability_stats)
    reliability_stats.faults += sum(killed.values())
    assert all(count >= runs // len(POINTS) // 2 for count in killed.values()), killed


def _wait_stopped(pid: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        if state in ("T", "t"):
            return
        time.sleep(0.001)  # SIGSTOP is delivered asynchronously; the kernel says when it landed
    raise AssertionError("child did not stop")


def _committed(progress: Path) -> int:
    if not progress.exists():
        return 0
    lines = progress.read_bytes().split(b"\n")[:-1]  # a torn last line is not yet a commit
    return int(lines[-1]) + 1 if lines else 0


@pytest.mark.slow
@pytest.mark.timeout(1800)  # --soak runs far longer; CI stays ~30 s
def test_power_cut_snapshot_of_db_and_wal_reopens_with_every_committed_entry(
    tmp_path: Path, reliability_stats: ReliabilityStats
) -> None:
    """Freeze a writer at a random instant (SIGSTOP), copy outbox.sqlite + its WAL as the disk
    holds them, let it run on. Each copy must open (or be quarantined with a sentence) and
    hold every entry the writer had reported durable before the freeze."""
    live = tmp_path / "live"
    live.mkdir()
    errors = tmp_path / "stderr"
    with errors.open("wb") as sink:
        child = subprocess.Popen(
            [sys.executable, "-m", "reliability.power_child", str(live)],
            env=_env(),
            cwd=TESTS_DIR,
            stderr=sink,
        )
    rng = random.Random(7)
    checked = checked_upto = 0
    try:
        for snap in range(12):
            deadline = time.monotonic() + 30
            while _committed(live / "progress") < checked_upto + 2:  # it wrote more since
                assert time.monotonic() < deadline and child.poll() is None, errors.read_text()
                time.sleep(0.01)  # the writer is another process
            time.sleep(rng.random() * 0.05)  # a random instant in the write loop
            child.send_signal(signal.SIGSTOP)
            _wait_stopped(child.pid)
            committed = _committed(live / "progress")
            copy = tmp_path / f"copy{snap}"
            copy.mkdir()
            for suffix in ("", "-wal"):
                source = live / f"outbox.sqlite{suffix}"
                if source.exists():
                    shutil.copyfile(source, copy / source.name)
            child.send_signal(signal.SIGCONT)
            try:
                outbox = Outbox(copy / "outbox.sqlite")
            except OutboxError as exc:  # pragma: no cover - SQLite's WAL makes this unexpected
                assert exc.user_message.endswith(".")
                quarantine_database(copy / "outbox.sqlite")
                raise AssertionError(f"the copy did not open: {exc.user_message}") from exc
            try:
                names = {e.description for e in outbox.entries(limit=1_000_000)}
            finally:
                outbox.close()
            missing = [n for n in range(committed) if f"pc {n}" not in names]
            reliability_stats.lost += len(missing)
            reliability_stats.entries += committed
            reliability_stats.runs += 1
            reliability_stats.faults += 1
            assert not missing, f"snapshot {snap}: {len(missing)} committed entries lost"
            checked += committed
            checked_upto = committed
    finally:
        child.kill()
        child.wait()
    assert checked > 0
