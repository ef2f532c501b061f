"""Black-box CLI fixtures: a private KIMAI_TRAY_HOME, a file keyring, a simulator subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.cli_support import Cli

TESTS_DIR = Path(__file__).resolve().parents[1]
TOKEN = "cli-test-token-5e1f0c9a7b"


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    home = tmp_path / "home"
    keyring_file = tmp_path / "keyring.json"
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("KIMAI_TRAY", "PYTHON_KEYRING"))
    }
    env.update(
        KIMAI_TRAY_HOME=str(home),
        # An explicit, test-only backend (tests/helpers/file_keyring.py): allowed by the app.
        PYTHON_KEYRING_BACKEND="helpers.file_keyring.FileKeyring",
        KIMAI_TRAY_TEST_KEYRING=str(keyring_file),
        PYTHONPATH=os.pathsep.join([str(TESTS_DIR), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        XDG_RUNTIME_DIR=str(tmp_path),
    )
    return Cli(home, keyring_file, env)


class SimulatorProcess:
    """`kimai-tray simulator` as a subprocess; `url` comes from its `listening on` line."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kimai_tray.cli", "simulator", "--port", "0", "--token", TOKEN],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        assert self.proc.stdout is not None
        self.url = ""
        for line in self.proc.stdout:  # blocks until the server prints its address
            if "listening on" in line:
                self.url = line.split("listening on", 1)[1].strip()
                break
        if not self.url.startswith("http://127.0.0.1:"):
            self.stop()
            raise AssertionError("simulator did not report its URL")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


@pytest.fixture
def simulator_proc() -> Iterator[SimulatorProcess]:
    pytest.importorskip("kimai_tray.simulator.cli", reason="simulator CLI not available yet")
    pytest.importorskip("kimai_tray.api.kimai2", reason="Kimai 2 client not available yet")
    sim = SimulatorProcess()
    try:
        yield sim
    finally:
        sim.stop()
