"""Settings dialog and the wizard's cleartext warning, keyboard only, over real HTTP.

The stub below answers just the Kimai 2 endpoints the connection test reads, with a user and
version the test can recognise. The wizard's full run (wrong token, HTML page, good token) is
in test_wizard_simulator.py, against the Kimai 2 simulator.
"""

from __future__ import annotations

import asyncio
import json
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
from kimai_tray.ui.settings import SettingsDialog
from kimai_tray.ui.wizard import FirstRunWizard

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
