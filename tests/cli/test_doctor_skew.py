"""`kimai-tray doctor` reports the clock against the real simulator's HTTP Date header."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cli.cli_support import TOKEN, Cli, SimulatorProcess
from helpers.keyring_fixtures import MemoryKeyring
from helpers.simulator_fixtures import SIMULATOR_TOKEN
from kimai_tray import cli
from kimai_tray.core import diagnostics
from kimai_tray.simulator.server import SimulatorServer


def test_doctor_says_the_clock_is_in_step(cli: Cli, simulator_proc: SimulatorProcess) -> None:
    """Black box: the CLI process and the simulator process share this machine's clock."""
    done = cli.run("doctor", "--url", simulator_proc.url, "--api", "kimai2", stdin=TOKEN)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("ok   reachable:")
    assert lines[-1] == "ok   clock: in step with the server"


class SevenMinutesBehind:
    """The local clock, shifted: injected in place of SystemClock, the system time untouched."""

    def now(self) -> datetime:
        return datetime.now(UTC) - timedelta(minutes=7)

    def monotonic(self) -> float:
        return 0.0


@pytest.fixture
def cli_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, memory_keyring: MemoryKeyring
) -> Iterator[Path]:
    monkeypatch.setenv("KIMAI_TRAY_HOME", str(tmp_path))
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    yield tmp_path
    for handler in list(logging.getLogger().handlers):  # the CLI's log file handler
        if getattr(handler, "_kimai_tray", False):
            logging.getLogger().removeHandler(handler)
            handler.close()


def test_doctor_warns_when_this_clock_is_behind_the_server(
    cli_home: Path,
    simulator: SimulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """In-process CLI, real HTTP; the doctor's default clock is replaced by a shifted one."""
    monkeypatch.setattr(diagnostics, "SystemClock", SevenMinutesBehind)
    monkeypatch.setattr("sys.stdin", io.StringIO(SIMULATOR_TOKEN))
    code = cli.main(["doctor", "--url", simulator.url, "--api", "kimai2"])
    out = capsys.readouterr().out
    # A warning, not a failure: the connection itself works.
    assert code == 0
    last = out.splitlines()[-1]
    assert last.startswith("WARN clock: This computer's clock is 7 minutes behind the Kimai server")
    assert "set the system time automatically" in last
