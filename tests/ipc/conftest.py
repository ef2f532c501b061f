"""Fixtures of the single-instance / hotkey tests that run the app as a process."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def short_home() -> Iterator[Path]:
    """A KIMAI_TRAY_HOME with a short path: Unix socket paths are limited to ~108 bytes and
    pytest's tmp_path can be longer."""
    base = Path(tempfile.mkdtemp(prefix="kt-"))
    try:
        yield base / "home"
    finally:
        shutil.rmtree(base, ignore_errors=True)
