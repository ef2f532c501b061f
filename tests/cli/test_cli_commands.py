"""CLI commands in-process against the shared FakeBackend (the seam is AppContext.make_backend).

The black-box tests in test_cli_online.py use the real simulator over HTTP; these cover the
command logic fast: online start/stop, login verification, sync exit codes, offline queueing.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from helpers.fake_backend import FakeBackend
from helpers.fake_clock import FakeClock
from helpers.keyring_fixtures import MemoryKeyring
from kimai_tray import cli
from kimai_tray.context import AppContext

TOKEN = "fake-token-0a1b2c3d"


@pytest.fixture
def backend(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, memory_keyring: MemoryKeyring
) -> Iterator[FakeBackend]:
    fake = FakeBackend(FakeClock(datetime.now(UTC)))
    monkeypatch.setenv("KIMAI_TRAY_HOME", str(tmp_path))
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)

    def make_backend(self: AppContext, config: object = None, secret: str | None = None) -> object:
        given = secret if secret is not None else self.load_secret()
        if given != TOKEN:
            from kimai_tray.core.errors import AuthenticationError

            raise AuthenticationError()
        return fake

    monkeypatch.setattr(AppContext, "make_backend", make_backend)
    yield fake
    import logging

    for handler in list(logging.getLogger().handlers):
        if getattr(handler, "_kimai_tray", False):
            logging.getLogger().removeHandler(handler)
            handler.close()


def run(monkeypatch: pytest.MonkeyPatch, *args: str, stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return cli.main(list(args))


def login(monkeypatch: pytest.MonkeyPatch) -> None:
    # --api: k.example is not a real server, so nothing to detect over the network.
    args = ("login", "--url", "https://k.example/", "--api", "kimai2")
    assert run(monkeypatch, *args, stdin=TOKEN + "\n") == 0


def test_login_verifies_then_saves(
    backend: FakeBackend,
    monkeypatch: pytest.MonkeyPatch,
    memory_keyring: MemoryKeyring,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    args = ("login", "--url", "https://k.example", "--api", "kimai2")
    assert run(monkeypatch, *args, stdin="nope\n") == 1
    assert memory_keyring.entries == {}
    login(monkeypatch)
    assert memory_keyring.entries == {("kimai-tray", "https://k.example|token"): TOKEN}
    out = capsys.readouterr()
    assert "Logged in to https://k.example as anna." in out.out
    assert TOKEN not in (tmp_path / "config" / "config.toml").read_text(encoding="utf-8")
    assert "me" in backend.calls


def test_online_start_by_name_reaches_server(
    backend: FakeBackend, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    login(monkeypatch)
    capsys.readouterr()
    assert run(monkeypatch, "start", "--project", "mobile", "--activity", "testing") == 0
    assert capsys.readouterr().out.strip() == "Started Acme · Mobile · Testing"
    assert [s.project_id for s in backend.sheets.values()] == [11]

    assert run(monkeypatch, "status", "--json") == 0
    status = json.loads(capsys.readouterr().out)
    assert status["online"] is True and status["pending"] == 0
    assert status["timesheet"]["id"] in backend.sheets

    assert run(monkeypatch, "stop") == 0
    assert "queued" not in capsys.readouterr().out
    assert all(s.end is not None for s in backend.sheets.values())
    assert run(monkeypatch, "sync") == 0


def test_server_down_queues_and_sync_fails_until_back(
    backend: FakeBackend, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    login(monkeypatch)
    assert run(monkeypatch, "projects") == 0  # fills the catalog cache
    capsys.readouterr()
    backend.down = True
    assert run(monkeypatch, "start", "--project", "Website", "--activity", "Design") == 0
    assert "(queued: server offline)" in capsys.readouterr().out
    assert run(monkeypatch, "sync", "--timeout", "2") == 1
    assert "still pending" in capsys.readouterr().err
    backend.down = False
    assert run(monkeypatch, "sync", "--timeout", "5") == 0
    assert len(backend.sheets) == 1


def test_activity_not_in_project_is_refused(
    backend: FakeBackend, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    login(monkeypatch)
    assert run(monkeypatch, "start", "--project", "Website", "--activity", "Testing") == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and backend.sheets == {}


def test_rejected_change_fails_sync_and_shows_reason(
    backend: FakeBackend, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    login(monkeypatch)
    assert run(monkeypatch, "projects") == 0  # catalog cached while online
    backend.down = True
    assert run(monkeypatch, "start", "--project", "10", "--activity", "100") == 0
    # Meanwhile someone deletes the activity in Kimai: the queued start will be rejected.
    del backend.activities_[100]
    backend.down = False
    capsys.readouterr()
    assert run(monkeypatch, "sync") == 1
    assert "rejected by Kimai" in capsys.readouterr().err
    assert run(monkeypatch, "pending", "--json") == 0
    ops = json.loads(capsys.readouterr().out)
    assert ops and ops[0]["status"] == "failed" and ops[0]["reason"]


def test_doctor_reports_each_check(
    backend: FakeBackend, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(monkeypatch, "doctor") == 1  # not logged in yet
    login(monkeypatch)
    capsys.readouterr()
    assert run(monkeypatch, "doctor") == 0
    out = capsys.readouterr().out
    assert out.startswith("ok   reachable:") and "logged in as anna" in out
    backend.down = True
    args = ("doctor", "--url", "https://k.example", "--api", "kimai2")
    assert run(monkeypatch, *args, stdin=TOKEN) == 1
    assert capsys.readouterr().out.startswith("FAIL reachable:")
