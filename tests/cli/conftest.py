"""Black-box CLI fixtures: a private KIMAI_TRAY_HOME, a file keyring, a simulator subprocess."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.cli_support import Cli, SimulatorProcess

TESTS_DIR = Path(__file__).resolve().parents[1]


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


@pytest.fixture
def simulator_proc() -> Iterator[SimulatorProcess]:
    pytest.importorskip("kimai_tray.simulator.cli", reason="simulator CLI not available yet")
    pytest.importorskip("kimai_tray.api.kimai2", reason="Kimai 2 client not available yet")
    sim = SimulatorProcess()
    try:
        yield sim
    finally:
        sim.stop()
