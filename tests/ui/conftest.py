"""Fixtures shared by the UI tests of this folder."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from helpers.keyring_fixtures import MemoryKeyring
from kimai_tray.platform.credentials import CredentialStore
from kimai_tray.ui.wizard import FirstRunWizard


@pytest.fixture
def wizard(
    qtbot: QtBot,
    tmp_path: Path,
    memory_keyring: MemoryKeyring,
    running_qloop: asyncio.AbstractEventLoop,
) -> FirstRunWizard:
    """A shown first-run wizard writing `tmp_path/config.toml`, secrets to a memory keyring."""
    dialog = FirstRunWizard(tmp_path / "config.toml", CredentialStore(memory_keyring))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog
