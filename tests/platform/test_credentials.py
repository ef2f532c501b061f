"""credentials.py: keys, round trip, and one clear sentence when there is no usable keyring."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from keyring.backends import fail, null
from keyring.errors import KeyringLocked, NoKeyringError

from helpers.keyring_fixtures import MemoryKeyring
from kimai_tray.core.errors import CredentialStoreError
from kimai_tray.platform.credentials import (
    CredentialStore,
    account_key,
    normalise_url,
    resolve_backend,
)

SECRET = "tok-9f8e7d6c5b4a"


def test_key_uses_normalised_url_and_user() -> None:
    assert normalise_url(" HTTPS://Kimai.Example.org/sub/ ") == "https://kimai.example.org/sub"
    assert account_key("https://k.org/", "ann") == "https://k.org|ann"
    assert account_key("https://k.org", None) == "https://k.org|token"


def test_store_load_delete(memory_keyring: MemoryKeyring) -> None:
    store = CredentialStore()
    store.store("https://k.org/", "ann", SECRET)
    assert memory_keyring.entries == {("kimai-tray", "https://k.org|ann"): SECRET}
    assert store.load("https://K.org", "ann") == SECRET
    assert store.delete("https://k.org", "ann") is True
    assert store.load("https://k.org", "ann") is None
    assert store.delete("https://k.org", "ann") is False


@pytest.mark.parametrize("backend", [fail.Keyring(), null.Keyring()])
def test_unusable_backend_is_one_sentence(backend: object) -> None:
    import keyring

    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        with pytest.raises(CredentialStoreError) as info:
            resolve_backend()
    finally:
        keyring.set_keyring(previous)
    message = info.value.user_message
    assert "gnome-keyring" in message and "PYTHON_KEYRING_BACKEND" in message
    assert message.count(". ") == 0 and message.endswith(".")


class LockedKeyring(MemoryKeyring):
    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked("locked")


class FailingKeyring(MemoryKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise NoKeyringError("none")


def test_locked_keyring_says_unlock() -> None:
    with pytest.raises(CredentialStoreError, match="locked") as info:
        CredentialStore(LockedKeyring()).store("https://k.org", "u", SECRET)
    assert SECRET not in str(info.value) and SECRET not in info.value.detail


def test_no_keyring_error_on_use() -> None:
    with pytest.raises(CredentialStoreError, match="No usable password store"):
        CredentialStore(FailingKeyring()).load("https://k.org", "u")


def test_plaintext_backend_refused_unless_explicit(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import keyring

    # A stand-in for keyrings.alt (not installed, on purpose): only the module name matters.
    plain_cls = type("PlaintextKeyring", (MemoryKeyring,), {"__module__": "keyrings.alt.file"})
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))  # no keyringrc.cfg there
    previous = keyring.get_keyring()
    keyring.set_keyring(plain_cls())
    try:
        with pytest.raises(CredentialStoreError, match="plain-text"):
            resolve_backend()
        monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
        assert type(resolve_backend()) is plain_cls
    finally:
        keyring.set_keyring(previous)


def test_keyrings_alt_is_not_installed() -> None:
    import importlib.util

    # A silent plain-text fallback needs keyrings.alt; keep it out of the environment.
    assert importlib.util.find_spec("keyrings") is None


def test_env_var_backend_is_honoured(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "KIMAI_TRAY_HOME": str(tmp_path),
    }
    code = (
        "from kimai_tray.platform.credentials import CredentialStore\n"
        "from kimai_tray.core.errors import CredentialStoreError\n"
        "try:\n    CredentialStore().load('https://k.org', 'u')\n"
        "except CredentialStoreError as e:\n    print(e.user_message)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.stdout.startswith("No usable password store"), out.stderr


HAVE_SECRET_SERVICE = bool(
    shutil.which("gnome-keyring-daemon") and shutil.which("dbus-run-session")
)


@pytest.mark.skipif(
    not HAVE_SECRET_SERVICE,
    reason="needs gnome-keyring-daemon and dbus-run-session (apt install gnome-keyring dbus-x11)",
)
def test_real_secret_service_round_trip(tmp_path: Path) -> None:
    home = tmp_path / "home"
    runtime = tmp_path / "run"
    for d in (home / ".cache", home / ".local/share/keyrings", runtime):
        d.mkdir(parents=True)
    runtime.chmod(0o700)
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "XDG_RUNTIME_DIR": str(runtime),
        "XDG_DATA_HOME": str(home / ".local/share"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "PYTHONPATH": os.pathsep.join(sys.path),
    }
    code = (
        "from kimai_tray.platform.credentials import CredentialStore\n"
        "s = CredentialStore()\n"
        f"s.store('https://k.org', 'ann', {SECRET!r})\n"
        "print(s.backend_name())\n"
        "print(s.load('https://k.org', 'ann'))\n"
        "print(s.delete('https://k.org', 'ann'), s.load('https://k.org', 'ann'))\n"
    )
    # Unlock with a non-empty password: an empty one can hang set_password (desktop-notes §4).
    script = (
        "echo -n testpw | gnome-keyring-daemon --unlock --components=secrets --daemonize "
        f'>/dev/null && exec {sys.executable} -c "$CODE"'
    )
    out = subprocess.run(
        ["dbus-run-session", "--", "bash", "-c", script],
        env={**env, "CODE": code},
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert "SecretService" in lines[0] or "chainer" in lines[0].lower()
    assert lines[1] == SECRET
    assert lines[2] == "True None"
