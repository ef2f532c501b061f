"""README command 1, exactly as printed, with no display: setup passes, then one sentence.

The command is read from the README itself so the test follows any edit to it. setup.sh is
idempotent: on a set-up checkout it only checks (apt packages present, .venv installed).
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from kimai_tray.app import NO_DISPLAY

ROOT = Path(__file__).resolve().parents[2]


def readme_commands() -> list[str]:
    block = re.search(r"```sh\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert block, "README has no sh code block"
    lines = [line.split("#", 1)[0].strip() for line in block[1].splitlines()]
    return [line for line in lines if line]


def test_readme_command_1_without_a_display_says_so_in_one_sentence() -> None:
    command = readme_commands()[0]
    assert "setup.sh" in command and "--demo" in command
    stamp = ROOT / ".venv" / ".kimai-tray-installed"
    if not stamp.exists() or (ROOT / "pyproject.toml").stat().st_mtime > stamp.stat().st_mtime:
        pytest.skip("setup.sh would reinstall .venv now: run scripts/setup.sh before the tests")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    proc = subprocess.run(
        ["bash", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and "qt.qpa" not in proc.stderr
    # setup.sh reports on stdout; the app's whole answer is the one sentence on stderr.
    assert proc.stderr.strip() == NO_DISPLAY
    assert NO_DISPLAY.count(". ") == 0 and NO_DISPLAY.strip()


def test_readme_command_2_is_the_test_script_ci_runs() -> None:
    command = readme_commands()[1]
    assert command == "./scripts/test.sh"
    assert command in (ROOT / ".ci" / "run").read_text()
