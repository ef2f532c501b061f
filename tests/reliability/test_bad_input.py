"""Bad input, one row per item of issue 9's list: each gives ONE clear sentence (asserted by
error class and words) and loses nothing (a queued entry is still queued afterwards, or the
broken file is kept aside intact).

Backend rows use the Kimai 2 simulator (or a tiny TLS server) over real sockets; local rows
use real files under a private KIMAI_TRAY_HOME; the keyring rows use in-memory keyrings that
raise what a missing or locked Secret Service raises (no desktop keyring daemon here).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import ssl
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import trustme
from keyring.errors import KeyringLocked, NoKeyringError

from api.test_real_http import PONG, _read_request, with_server
from helpers.fake_clock import FakeClock
from helpers.keyring_fixtures import MemoryKeyring
from kimai_tray.api.credentials import Credentials
from kimai_tray.api.kimai2 import Kimai2Client, insecure_http_warning
from kimai_tray.core import errors
from kimai_tray.core.catalog import Catalog
from kimai_tray.core.clock_skew import skew_warning
from kimai_tray.core.models import TimesheetChanges
from kimai_tray.core.outbox import OpStatus, Outbox
from kimai_tray.core.tracker import Tracker
from kimai_tray.platform.config import load_config
from kimai_tray.platform.credentials import CredentialStore
from kimai_tray.platform.paths import AppPaths, resolve_paths
from kimai_tray.simulator.kimai2 import SimulatorState
from kimai_tray.simulator.server import SimulatorServer

# A non-admin user (admins may edit locked periods), with a token shaped like Kimai's.
TOKEN = "badinput0token0c7e1b4f9a2c7e1b4f9a2c7e1b"
ADMIN_TOKEN = "bad-input-admin-token"
TZ = "Europe/Berlin"
PROJECT, TASK = 1, 6


@dataclass
class Harness:
    """A private KIMAI_TRAY_HOME whose outbox holds one queued (unsent) finished entry."""

    home: Path
    paths: AppPaths
    sim: SimulatorServer
    clock: FakeClock

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "KIMAI_TRAY_HOME": str(self.home), "PYTHON_KEYRING_BACKEND": ""}

    def tracker(self) -> Tracker:
        return Tracker(
            Outbox(self.paths.outbox_file),
            Catalog(self.paths.catalog_file, today=lambda: self.clock.now().date()),
            self.clock,
        )

    def queued(self) -> list[str]:
        """Descriptions of entries with an open (pending/in-flight/failed) op."""
        outbox = Outbox(self.paths.outbox_file)
        try:
            return sorted({p.entry.description for p in outbox.pending()})
        finally:
            outbox.close()

    def client(self, url: str | None = None, **kw: object) -> Kimai2Client:
        creds = kw.pop("credentials", Credentials(kind="token", secret=TOKEN))
        return Kimai2Client(url or self.sim.url, creds, timezone=TZ, **kw)  # type: ignore[arg-type]

    async def sync_then_call(
        self, client: Kimai2Client, call: Callable[[Kimai2Client], Awaitable[object]]
    ) -> errors.KimaiTrayError:
        """Sync the queue through `client` (it must fail softly), then the direct call's error."""
        tracker = self.tracker()
        tracker.set_backend(client)
        try:
            report = await tracker.sync_once()
            assert report.remaining >= 1, "the queued entry must stay queued"
            with pytest.raises(errors.KimaiTrayError) as info:
                await call(client)
            return info.value
        finally:
            await client.aclose()
            tracker.outbox.close()
            tracker.catalog.close()

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "kimai_tray.cli", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )


@pytest.fixture
def h(tmp_path: Path) -> Iterator[Harness]:
    state = SimulatorState(seed="demo", rounding=False, token=ADMIN_TOKEN, timezone=TZ)
    state.add_user("worker", token=TOKEN, api_password="worker-api-pass", timezone=TZ)
    state.add_user("noapi", token="noapi-token-8d1e5b3a9c", permissions=set())
    server = SimulatorServer(state, token=ADMIN_TOKEN)
    server.start()
    home = tmp_path / "home"
    paths = resolve_paths({"KIMAI_TRAY_HOME": str(home)}).ensure()
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3))
    harness = Harness(home, paths, server, clock)
    tracker = harness.tracker()
    tracker.start(PROJECT, TASK, "queued work")
    clock.advance(1800)
    tracker.stop()
    tracker.outbox.close()
    tracker.catalog.close()
    yield harness
    server.stop()


# -- the rows ------------------------------------------------------------------------------
# Each returns the error (or warning sentence) the user sees.

Result = errors.KimaiTrayError | str


async def wrong_host(h: Harness) -> Result:
    return await h.sync_then_call(h.client("http://127.0.0.1:9"), lambda c: c.me())


async def wrong_path(h: Harness) -> Result:
    return await h.sync_then_call(h.client(h.sim.url + "/kimai-nope"), lambda c: c.me())


async def web_ui_url(h: Harness) -> Result:
    return await h.sync_then_call(h.client(h.sim.url + "/en/timesheet/"), lambda c: c.me())


async def api_twice(h: Harness) -> Result:
    return await h.sync_then_call(h.client(h.sim.url + "/api/api"), lambda c: c.me())


async def plain_http_remote(h: Harness) -> Result:
    warning = insecure_http_warning("http://kimai.example.com")
    assert warning is not None
    return warning  # a warning, not an error: nothing is refused, so nothing can be lost


def _tls_context(ca: trustme.CA, expired: bool) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    if expired:
        past = datetime.now(UTC) - timedelta(days=30)
        leaf = ca.issue_cert("127.0.0.1", not_before=past, not_after=past + timedelta(days=1))
    else:
        leaf = ca.issue_cert("127.0.0.1")
    leaf.configure_cert(ctx)
    return ctx


async def _tls(h: Harness, expired: bool) -> Result:
    """Self-signed: the CA is unknown. Expired: the CA IS trusted (--ca-bundle), the leaf is
    out of date; either way verification stays on and the error says what to do."""
    ca = trustme.CA()
    bundle = h.home / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    options = {"ca_bundle": str(bundle)} if expired else {}

    async def pong(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(PONG)
        await writer.drain()

    async def scenario(url: str) -> errors.KimaiTrayError:
        return await h.sync_then_call(h.client(url, **options), lambda c: c.ping())

    result: errors.KimaiTrayError = await with_server(
        pong, scenario, ssl_context=_tls_context(ca, expired)
    )
    return result


async def self_signed(h: Harness) -> Result:
    return await _tls(h, expired=False)


async def expired_cert(h: Harness) -> Result:
    return await _tls(h, expired=True)


async def wrong_token(h: Harness) -> Result:
    creds = Credentials(kind="token", secret="0123456789abcdef0123456789abcdef01234567")
    return await h.sync_then_call(h.client(credentials=creds), lambda c: c.me())


async def legacy_password_as_token(h: Harness) -> Result:
    creds = Credentials(kind="token", secret="worker-api-pass")
    return await h.sync_then_call(h.client(credentials=creds), lambda c: c.me())


async def token_as_legacy_password(h: Harness) -> Result:
    creds = Credentials(kind="legacy", secret=TOKEN, username="worker")
    return await h.sync_then_call(h.client(credentials=creds), lambda c: c.me())


async def no_api_permission(h: Harness) -> Result:
    creds = Credentials(kind="token", secret="noapi-token-8d1e5b3a9c")
    return await h.sync_then_call(h.client(credentials=creds), lambda c: c.me())


async def _rejected_while_queued(h: Harness, delete: Callable[[SimulatorState], None]) -> Result:
    delete(h.sim.state)
    tracker = h.tracker()
    client = h.client()
    tracker.set_backend(client)
    try:
        await tracker.refresh_catalog()
        report = await tracker.sync_once()
        assert report.failed == 1
        [failed] = [p for p in tracker.pending() if p.status is OpStatus.FAILED]
        assert failed.entry.description == "queued work"  # kept, with Kimai's reason
        assert failed.last_error is not None
        return failed.last_error
    finally:
        await client.aclose()
        tracker.outbox.close()
        tracker.catalog.close()


async def project_deleted(h: Harness) -> Result:
    return await _rejected_while_queued(h, lambda s: s.delete_project(PROJECT))


async def activity_deleted(h: Harness) -> Result:
    return await _rejected_while_queued(h, lambda s: s.delete_activity(TASK))


async def locked_period(h: Harness) -> Result:
    """A running entry reaches Kimai, then its period is locked; the edit gets 403."""
    tracker = h.tracker()
    client = h.client()
    tracker.set_backend(client)
    try:
        tracker.start(PROJECT, TASK, "running work")
        assert (await tracker.sync_once()).remaining == 0
        [sheet] = [t for t in h.sim.state.timesheets.values() if t.description == "running work"]
        h.sim.state.set_lockdown(sheet.begin - timedelta(days=1), sheet.begin + timedelta(days=1))
        h.clock.advance(60)
        tracker.edit_running(description="late fix")
        await tracker.sync_once()
        failed = [p for p in tracker.pending() if p.status is OpStatus.FAILED]
        assert [p.entry.description for p in failed] == ["late fix"]  # kept, not dropped
        with pytest.raises(errors.KimaiTrayError) as info:
            await client.update_timesheet(sheet.id, TimesheetChanges.of(description="late fix"))
        return info.value
    finally:
        await client.aclose()
        tracker.outbox.close()
        tracker.catalog.close()


async def clock_skew(h: Harness) -> Result:
    client = h.client()
    try:
        await client.ping()
        assert skew_warning(client.server_date, datetime.now(UTC) + timedelta(minutes=1)) is None
        warning = skew_warning(client.server_date, datetime.now(UTC) + timedelta(minutes=7))
        assert warning is not None and "ahead" in warning
        return warning
    finally:
        await client.aclose()


def _corrupt_then_cli(h: Harness, spoil: Callable[[Path], None]) -> Result:
    path = h.paths.outbox_file
    spoil(path)
    before = path.read_bytes()
    with pytest.raises(errors.OutboxError) as info:
        Outbox(path).close()
    done = h.cli("status")  # the CLI still starts, says what happened, keeps the file aside
    assert done.returncode == 0, done.stderr
    assert "kept aside as outbox.sqlite3.broken-0" in done.stderr
    aside = path.with_name("outbox.sqlite3.broken-0")
    assert aside.read_bytes() == before  # nothing lost: the bytes are all still there
    return info.value


async def corrupt_outbox(h: Harness) -> Result:
    def spoil(path: Path) -> None:
        data = bytearray(path.read_bytes())
        data[:100] = os.urandom(100)  # the header: SQLite cannot even read the schema
        path.write_bytes(bytes(data))

    return _corrupt_then_cli(h, spoil)


async def too_new_outbox(h: Harness) -> Result:
    def spoil(path: Path) -> None:
        with sqlite3.connect(path) as conn:
            conn.execute("PRAGMA user_version=99")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()

    error = _corrupt_then_cli(h, spoil)
    aside = h.paths.outbox_file.with_name("outbox.sqlite3.broken-0")
    with sqlite3.connect(aside) as conn:  # the queued entry is in the file kept aside
        rows = conn.execute("SELECT description FROM entries").fetchall()
    conn.close()
    assert ("queued work",) in rows
    return error


async def corrupt_config(h: Harness) -> Result:
    h.paths.config_file.write_text('server_url = "https://k.example.org\nusername = [\n')
    with pytest.raises(errors.ConfigError) as info:
        load_config(h.paths.config_file)
    done = h.cli("status")
    assert done.returncode == 1 and info.value.user_message in done.stderr
    assert h.queued() == ["queued work"]
    return info.value


class _NoBackend(MemoryKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise NoKeyringError("no backend")


class _Locked(MemoryKeyring):
    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked("locked")


async def no_keyring(h: Harness) -> Result:
    with pytest.raises(errors.CredentialStoreError) as info:
        CredentialStore(_NoBackend()).load(h.sim.url, None)
    assert h.queued() == ["queued work"]
    return info.value


async def locked_keyring(h: Harness) -> Result:
    with pytest.raises(errors.CredentialStoreError) as info:
        CredentialStore(_Locked()).store(h.sim.url, None, TOKEN)
    assert h.queued() == ["queued work"]
    return info.value


# (id, row, error class or str for a warning, words the sentence must contain)
ROWS: list[tuple[str, Callable[[Harness], Awaitable[Result]], type | None, tuple[str, ...]]] = [
    ("wrong URL: no server", wrong_host, errors.ServerUnreachableError, ("cannot be reached",)),
    ("wrong URL: not Kimai", wrong_path, errors.NotKimaiError, ("Kimai API",)),
    ("web UI URL (HTML)", web_ui_url, errors.NotKimaiError, ("start page",)),
    ("/api twice", api_twice, errors.NotKimaiError, ("without /api",)),
    ("http:// to a remote host", plain_http_remote, None, ("unencrypted",)),
    ("self-signed TLS", self_signed, errors.TLSError, ("--ca-bundle",)),
    ("expired certificate", expired_cert, errors.TLSError, ("expired",)),
    ("wrong token", wrong_token, errors.AuthenticationError, ("API token",)),
    (
        "legacy password as token",
        legacy_password_as_token,
        errors.LegacyPasswordAsTokenError,
        ("legacy API password",),
    ),
    (
        "token as legacy password",
        token_as_legacy_password,
        errors.TokenAsLegacyPasswordError,
        ("API token",),
    ),
    ("no API permission", no_api_permission, errors.PermissionDeniedError, ("API",)),
    ("project deleted while queued", project_deleted, None, ("Kimai rejected", "project")),
    ("activity deleted while queued", activity_deleted, None, ("Kimai rejected",)),
    ("locked period (403 on edit)", locked_period, errors.PermissionDeniedError, ("locked",)),
    ("clock skew > 5 min", clock_skew, None, ("clock", "minutes")),
    ("corrupt outbox", corrupt_outbox, errors.OutboxError, ("damaged",)),
    ("too-new outbox", too_new_outbox, errors.OutboxError, ("newer kimai-tray",)),
    ("corrupt config", corrupt_config, errors.ConfigError, ("config",)),
    ("no keyring backend", no_keyring, errors.CredentialStoreError, ("password store",)),
    ("locked keyring", locked_keyring, errors.CredentialStoreError, ("locked",)),
]


@pytest.mark.parametrize(("row", "kind", "words"), [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_bad_input_gives_one_sentence_and_loses_nothing(
    h: Harness,
    row: Callable[[Harness], Awaitable[Result]],
    kind: type | None,
    words: tuple[str, ...],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    result = asyncio.run(row(h))
    if kind is None:
        assert isinstance(result, str)
        sentence = result
    else:
        assert type(result) is kind, (type(result), result)
        assert isinstance(result, errors.KimaiTrayError)
        sentence = result.user_message
    print(f"{row.__name__}: {sentence}")
    for word in words:
        assert word.lower() in sentence.lower(), sentence
    assert sentence.endswith(".") and ". " not in sentence.rstrip("."), sentence  # one sentence
    assert ".;" not in sentence and ".)" not in sentence, sentence
    assert TOKEN not in sentence and TOKEN not in caplog.text
    if row not in (corrupt_outbox, too_new_outbox):
        queued = h.queued()
        assert ("late fix" if row is locked_period else "queued work") in queued, queued


def test_the_tray_app_starts_on_a_damaged_outbox_and_keeps_it_aside(h: Harness) -> None:
    path = h.paths.outbox_file
    before = b"definitely not SQLite " * 200
    path.write_bytes(before)
    done = subprocess.run(
        [sys.executable, "-m", "kimai_tray.cli"],
        env={**h.env, "KIMAI_TRAY_EXIT_AFTER_START": "1", "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "kept aside as outbox.sqlite3.broken-0" in done.stderr
    assert path.with_name("outbox.sqlite3.broken-0").read_bytes() == before
