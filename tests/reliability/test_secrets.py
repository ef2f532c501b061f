"""Secrets: after a whole session with a distinctive token (CLI login/start/stop/sync/status/
doctor, an offline spell with failing syncs, then the tray app started on that home), the
token is in the keyring file only: in no file under KIMAI_TRAY_HOME (config, outbox, catalog,
logs, crash reports) and in nothing printed. Files are 0600 and directories 0700.

Real subprocesses against the simulator over loopback HTTP; the keyring is the test-only
file backend (tests/helpers/file_keyring.py), standing in for the Secret Service.
"""

from __future__ import annotations

import base64
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from kimai_tray.simulator.kimai2 import SimulatorState
from kimai_tray.simulator.server import SimulatorServer
from reliability.plugin import ReliabilityStats

TOKEN = "Zq7-secret-reliability-token-5c2e9f8a1b3d"
TESTS_DIR = Path(__file__).resolve().parent.parent


@pytest.fixture
def sim() -> Iterator[SimulatorServer]:
    server = SimulatorServer(SimulatorState(seed="demo", token=TOKEN), token=TOKEN)
    server.start()
    yield server
    server.stop()


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KIMAI_TRAY", "PYTHON_KEY"))}
    env.update(
        KIMAI_TRAY_HOME=str(tmp_path / "home"),
        PYTHON_KEYRING_BACKEND="helpers.file_keyring.FileKeyring",
        KIMAI_TRAY_TEST_KEYRING=str(tmp_path / "keyring.json"),
        PYTHONPATH=str(TESTS_DIR),
        XDG_RUNTIME_DIR=str(tmp_path),
        QT_QPA_PLATFORM="offscreen",
    )
    return env


@pytest.mark.slow
@pytest.mark.timeout(1800)  # --soak runs far longer; CI stays ~30 s
def test_a_whole_session_leaks_the_token_nowhere_and_files_are_private(
    sim: SimulatorServer, tmp_path: Path, reliability_stats: ReliabilityStats
) -> None:
    env = _env(tmp_path)
    printed: list[str] = []

    def run(*args: str, stdin: str = "", extra: dict[str, str] | None = None) -> int:
        done = subprocess.run(
            [sys.executable, "-m", "kimai_tray.cli", *args],
            env={**env, **(extra or {})},
            input=stdin,
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )
        printed.extend((done.stdout, done.stderr))
        return done.returncode

    assert run("login", "--url", sim.url, stdin=TOKEN + "\n") == 0, printed
    assert run("start", "--project", "1", "--activity", "6", "--description", "secret-test") == 0
    for command in ("status", "stop", "sync", "pending", "doctor"):
        assert run(command) == 0, (command, printed[-1])
    sim.state.set_offline(True)  # failing requests: error paths and their logs
    run("start", "--project", "1", "--activity", "6", "--description", "offline")
    run("stop")
    run("sync")
    sim.state.set_offline(False)
    assert run("sync") == 0, printed[-1]
    # The tray app on the same home: loads the keyring, builds the client, quits at once.
    assert run(extra={"KIMAI_TRAY_EXIT_AFTER_START": "1"}) == 0, printed[-1]

    assert TOKEN in (tmp_path / "keyring.json").read_text()  # it was really used
    needles = {TOKEN, quote(TOKEN), base64.b64encode(TOKEN.encode()).decode()}
    home = tmp_path / "home"
    files = [p for p in home.rglob("*") if p.is_file()]
    assert any(p.suffix == ".log" for p in files) and len(files) >= 4, files
    for path in files:
        data = path.read_bytes()
        for needle in needles:
            assert needle.encode() not in data, f"token in {path}"
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, f"{path} is not user-only"
    for directory in [home, *(p for p in home.rglob("*") if p.is_dir())]:
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700, directory
    for text in printed:
        assert TOKEN not in text
    reliability_stats.runs += 1
