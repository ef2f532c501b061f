"""A real X server (Xvfb) per test module, for hotkey, idle and tray tests."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest

# One Xvfb starter (`-displayfd`: no display-number race, no readiness poll) for the tests
# and the bench's real-tray mode.
from bench.desktop import start_xvfb


@pytest.fixture(scope="module")
def xvfb_display() -> Iterator[str]:
    """Yield the name (":N") of a fresh Xvfb; skip when Xvfb is not installed."""
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (apt: xvfb)")
    proc, display = start_xvfb()
    yield display
    proc.terminate()
    proc.wait(timeout=10)


def xdotool(display: str, *args: str) -> None:
    if shutil.which("xdotool") is None:
        pytest.skip("xdotool is not installed (apt: xdotool)")
    env = {**os.environ, "DISPLAY": display}
    subprocess.run(["xdotool", *args], env=env, check=True, timeout=10)
