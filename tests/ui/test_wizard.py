"""First-run wizard and settings dialog, keyboard only, over real HTTP to a local stub Kimai.

The stub below answers the few Kimai 2 endpoints the connection test reads; it stands in for
the Kimai 2 simulator (not yet in the tree). `/html/...` answers with a login page (wrong URL).
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from helpers.keyring_fixtures import MemoryKeyring
from kimai_tray.platform.config import Config, load_config
from kimai_tray.platform.credentials import SERVICE, CredentialStore, account_key
from kimai_tray.ui.connection_form import draft_of
from kimai_tray.ui.settings import SettingsDialog
from kimai_tray.ui.wizard import PAGE_AUTH, PAGE_DONE, PAGE_TEST, FirstRunWizard

GOOD_TOKEN = "good-token-6f1e0c2b9a8d7e6f5a4b3c2d1e0f"

_BODIES: dict[str, object] = {
    "/api/ping": {"message": "pong"},
    "/api/version": {"version": "2.30.0", "versionId": 23000},
    "/api/users/me": {"id": 1, "username": "anna", "timezone": "Europe/Berlin"},
    "/api/config/timesheet": {"trackingMode": "default"},
    "/api/customers": [{"id": 1, "name": "Acme"}],
    "/api/projects": [{"id": 10, "name": "Website", "customer": 1, "parentTitle": "Acme"}],
    "/api/activities": [{"id": 100, "name": "Design", "project": 10}],
}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path.startswith("/html/"):
            self._send(200, b"<!DOCTYPE html><html><body>Login</body></html>", "text/html")
            return
        if self.headers.get("Authorization") != f"Bearer {GOOD_TOKEN}":
            body = {"code": 401, "message": "Invalid credentials"}
            self._send(401, json.dumps(body).encode(), "application/json")
            return
        if path not in _BODIES:
            self._send(404, b'{"code":404,"message":"Not found"}', "application/json")
            return
        self._send(200, json.dumps(_BODIES[path]).encode(), "application/json")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep pytest output clean


@contextmanager
def kimai_stub() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def server_url() -> Iterator[str]:
    with kimai_stub() as url:
        yield url


@pytest.fixture
def wizard(
    qtbot: QtBot,
    tmp_path: Path,
    memory_keyring: MemoryKeyring,
    running_qloop: asyncio.AbstractEventLoop,
) -> FirstRunWizard:
    dialog = FirstRunWizard(tmp_path / "config.toml", CredentialStore(memory_keyring))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def _attempt(qtbot: QtBot, wizard: FirstRunWizard, url: str, token: str) -> str:
    """Type URL + token with the keyboard, run the test, return the shown sentence."""
    wizard.server.url.setFocus()
    wizard.server.url.selectAll()
    qtbot.keyClicks(wizard.server.url, url)
    qtbot.keyClick(wizard.next_button, Qt.Key.Key_Space)
    assert wizard.page() == PAGE_AUTH
    assert wizard.auth.secret.hasFocus()
    wizard.auth.secret.selectAll()
    qtbot.keyClicks(wizard.auth.secret, token)
    wizard.last_report = None
    qtbot.keyClick(wizard.next_button, Qt.Key.Key_Space)
    assert wizard.page() == PAGE_TEST
    qtbot.waitUntil(lambda: wizard.last_report is not None, timeout=10_000)
    return wizard.result_label.text()


def test_wizard_wrong_token_html_url_then_good_token(
    qtbot: QtBot,
    wizard: FirstRunWizard,
    server_url: str,
    tmp_path: Path,
    memory_keyring: MemoryKeyring,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = _attempt(qtbot, wizard, server_url, "wrong-token-000000000000000000000000000")
    assert wizard.last_report is not None and not wizard.last_report.ok
    assert not wizard.next_button.isEnabled()
    assert "wrong-token" not in wrong

    qtbot.keyClick(wizard.back_button, Qt.Key.Key_Space)
    qtbot.keyClick(wizard.back_button, Qt.Key.Key_Space)
    html = _attempt(qtbot, wizard, server_url + "/html", GOOD_TOKEN)
    assert wizard.last_report is not None and not wizard.last_report.ok
    assert html.split("\n")[0] != wrong.split("\n")[0]
    assert memory_keyring.entries == {}
    assert not (tmp_path / "config.toml").exists()

    qtbot.keyClick(wizard.back_button, Qt.Key.Key_Space)
    qtbot.keyClick(wizard.back_button, Qt.Key.Key_Space)
    good = _attempt(qtbot, wizard, server_url, GOOD_TOKEN)
    assert "2.30.0" in good and "anna" in good and "Europe/Berlin" in good
    with qtbot.waitSignal(wizard.configured) as saved:
        qtbot.keyClick(wizard.next_button, Qt.Key.Key_Space)
    assert wizard.page() == PAGE_DONE

    config = load_config(tmp_path / "config.toml")
    assert config == saved.args[0]
    assert config.server_url == server_url and config.auth_kind == "token"
    assert memory_keyring.entries == {(SERVICE, account_key(server_url, None)): GOOD_TOKEN}
    # Only the keyring holds the secret: not the config file, the logs or a repr.
    assert GOOD_TOKEN not in (tmp_path / "config.toml").read_text()
    assert GOOD_TOKEN not in caplog.text and "wrong-token" not in caplog.text
    assert GOOD_TOKEN not in repr(draft_of(wizard.server, wizard.auth))


def test_wizard_warns_on_cleartext_http_to_remote_host(
    qtbot: QtBot, wizard: FirstRunWizard
) -> None:
    qtbot.keyClicks(wizard.server.url, "http://kimai.example.com")
    assert wizard.server.warning.isVisible()
    wizard.server.url.selectAll()
    qtbot.keyClicks(wizard.server.url, "https://kimai.example.com")
    assert not wizard.server.warning.isVisible()


def test_settings_test_connection_and_save(
    qtbot: QtBot,
    tmp_path: Path,
    memory_keyring: MemoryKeyring,
    running_qloop: asyncio.AbstractEventLoop,
    server_url: str,
) -> None:
    path = tmp_path / "config.toml"
    dialog = SettingsDialog(Config(), path, CredentialStore(memory_keyring))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.server.url, server_url)
    qtbot.keyClicks(dialog.auth.secret, GOOD_TOKEN)
    qtbot.keyClick(dialog.test_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: dialog.last_report is not None, timeout=10_000)
    assert dialog.last_report is not None and dialog.last_report.ok
    assert "anna" in dialog.result_label.text()

    dialog.notifications.setFocus()
    qtbot.keyClick(dialog.notifications, Qt.Key.Key_Space)
    with qtbot.waitSignal(dialog.saved):
        qtbot.keyClick(dialog.buttons.button(dialog.buttons.StandardButton.Save), Qt.Key.Key_Space)
    config = load_config(path)
    assert config.server_url == server_url
    assert config.preferences.notifications is False
    assert memory_keyring.entries[(SERVICE, account_key(server_url, None))] == GOOD_TOKEN
