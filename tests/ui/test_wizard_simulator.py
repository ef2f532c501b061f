"""First-run wizard against the Kimai 2 simulator over real HTTP (keyboard only).

Wrong token, then a URL that answers HTML (the simulator's non-API paths redirect to its
/en/login page, as a real Kimai does), then the good token: each shows its own sentence and
only the good one is saved, to the keyring.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from helpers.keyring_fixtures import MemoryKeyring
from helpers.simulator_fixtures import SIMULATOR_TOKEN
from kimai_tray.core.errors import AuthenticationError, LegacyPasswordAsTokenError, NotKimaiError
from kimai_tray.platform.config import load_config
from kimai_tray.platform.credentials import SERVICE, account_key
from kimai_tray.simulator.server import SimulatorServer
from kimai_tray.ui.connection_form import draft_of
from kimai_tray.ui.wizard import PAGE_AUTH, PAGE_DONE, PAGE_TEST, FirstRunWizard

WRONG_TOKEN = "wrong-token-5d4c3b2a19f8e7d6c5b4a3"
WAIT_MS = 30_000


def _attempt(qtbot: QtBot, wizard: FirstRunWizard, url: str, token: str) -> str:
    """From the server page: type URL + token, run the connection test, return its text."""
    wizard.server.url.setFocus()
    wizard.server.url.selectAll()
    qtbot.keyClicks(wizard.server.url, url)
    qtbot.keyClick(wizard.next_button, Qt.Key.Key_Space)
    assert wizard.page() == PAGE_AUTH
    wizard.auth.secret.selectAll()
    qtbot.keyClicks(wizard.auth.secret, token)
    wizard.last_report = None
    qtbot.keyClick(wizard.next_button, Qt.Key.Key_Space)
    assert wizard.page() == PAGE_TEST
    qtbot.waitUntil(lambda: wizard.last_report is not None, timeout=WAIT_MS)
    return wizard.result_label.text()


def _back_to_server_page(qtbot: QtBot, wizard: FirstRunWizard) -> None:
    qtbot.keyClick(wizard.back_button, Qt.Key.Key_Space)
    qtbot.keyClick(wizard.back_button, Qt.Key.Key_Space)


def test_wizard_against_the_simulator_wrong_token_html_url_good_token(
    qtbot: QtBot,
    wizard: FirstRunWizard,
    simulator: SimulatorServer,
    tmp_path: Path,
    memory_keyring: MemoryKeyring,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = _attempt(qtbot, wizard, simulator.url, WRONG_TOKEN)
    assert wizard.last_report is not None and not wizard.last_report.ok
    assert any(
        cls.default_message in wrong for cls in (AuthenticationError, LegacyPasswordAsTokenError)
    ), wrong
    assert not wizard.next_button.isEnabled()

    _back_to_server_page(qtbot, wizard)
    # A path that is not the API: the simulator answers 302 -> /en/login (HTML), like Kimai.
    html = _attempt(qtbot, wizard, simulator.url + "/en/login", SIMULATOR_TOKEN)
    assert wizard.last_report is not None and not wizard.last_report.ok
    assert NotKimaiError.default_message in html, html
    assert html.splitlines()[0] != wrong.splitlines()[0]
    assert memory_keyring.entries == {}
    assert not (tmp_path / "config.toml").exists()

    _back_to_server_page(qtbot, wizard)
    good = _attempt(qtbot, wizard, simulator.url, SIMULATOR_TOKEN)
    assert wizard.last_report is not None and wizard.last_report.ok
    assert simulator.state.version.version in good
    assert "admin" in good and "Europe/Berlin" in good
    with qtbot.waitSignal(wizard.configured, timeout=WAIT_MS) as saved:
        qtbot.keyClick(wizard.next_button, Qt.Key.Key_Space)
    assert wizard.page() == PAGE_DONE

    config = load_config(tmp_path / "config.toml")
    assert config == saved.args[0]  # what the app switches to is what was written
    assert config.server_url == simulator.url and config.auth_kind == "token"
    assert memory_keyring.entries == {(SERVICE, account_key(simulator.url, None)): SIMULATOR_TOKEN}
    assert SIMULATOR_TOKEN not in (tmp_path / "config.toml").read_text()
    for secret in (SIMULATOR_TOKEN, WRONG_TOKEN):
        assert secret not in caplog.text
        assert secret not in wizard.result_label.text()
        assert secret not in repr(draft_of(wizard.server, wizard.auth))
