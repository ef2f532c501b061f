"""The API token / password, kept in the system keyring and nowhere else.

Entries use service `kimai-tray` and username `<normalised url>|<user or "token">`.
keyring is imported and resolved lazily: that costs ~63 ms and 9 MB, which the CLI's
fast paths and the tray's first paint should not pay.
"""

from __future__ import annotations

import logging
import os
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from kimai_tray import APP_NAME
from kimai_tray.core.errors import CredentialStoreError

log = logging.getLogger(__name__)

SERVICE = APP_NAME
BACKEND_ENV = "PYTHON_KEYRING_BACKEND"

NO_BACKEND_MESSAGE = (
    "No usable password store (keyring) was found: install and unlock GNOME Keyring "
    "(apt install gnome-keyring) or KWallet, or choose a backend with PYTHON_KEYRING_BACKEND."
)
LOCKED_MESSAGE = (
    "The password store (keyring) is locked or not running: unlock it in your desktop "
    "session (or start gnome-keyring-daemon --unlock) and try again."
)
PLAINTEXT_MESSAGE = (
    "Only a plain-text keyring is available: install GNOME Keyring or KWallet, or select the "
    "plain-text backend explicitly with PYTHON_KEYRING_BACKEND if you accept the risk."
)


def normalise_url(url: str) -> str:
    """`HTTPS://Kimai.Example.org/x/` -> `https://kimai.example.org/x` (path case kept)."""
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/")
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, "", ""))


def account_key(url: str, username: str | None) -> str:
    """The keyring username under which the secret for (url, user) is stored."""
    return f"{normalise_url(url)}|{username or 'token'}"


class CredentialStore:
    """store/load/delete a server's secret; keyring failures become CredentialStoreError."""

    def __init__(self, backend: Any | None = None) -> None:
        # `backend` lets tests inject a KeyringBackend; None means "resolve keyring's choice later".
        self._backend = backend

    def store(self, url: str, username: str | None, secret: str) -> None:
        backend = self._resolve()
        self._call(backend.set_password, SERVICE, account_key(url, username), secret)
        log.info("stored credentials for %s in %s", normalise_url(url), _backend_name(backend))

    def load(self, url: str, username: str | None) -> str | None:
        backend = self._resolve()
        value = self._call(backend.get_password, SERVICE, account_key(url, username))
        return value if isinstance(value, str) else None

    def delete(self, url: str, username: str | None) -> bool:
        """Remove the secret; False when there was none."""
        backend = self._resolve()
        import keyring.errors

        try:
            self._call(backend.delete_password, SERVICE, account_key(url, username))
        except keyring.errors.PasswordDeleteError:
            return False
        return True

    def backend_name(self) -> str:
        return _backend_name(self._resolve())

    def _resolve(self) -> Any:
        if self._backend is None:
            self._backend = resolve_backend()
        return self._backend

    @staticmethod
    def _call(method: Any, *args: str) -> Any:
        import keyring.errors

        try:
            return method(*args)
        except (keyring.errors.KeyringLocked, keyring.errors.InitError) as exc:
            raise CredentialStoreError(LOCKED_MESSAGE, detail=type(exc).__name__) from exc
        except keyring.errors.PasswordDeleteError:
            raise  # "nothing to delete" is an answer, not a store failure
        except keyring.errors.NoKeyringError as exc:
            raise CredentialStoreError(NO_BACKEND_MESSAGE, detail=type(exc).__name__) from exc
        except keyring.errors.KeyringError as exc:
            # The message of a backend error is not ours: it goes to the log detail only,
            # and never contains the secret (we pass it only as an argument).
            raise CredentialStoreError(LOCKED_MESSAGE, detail=f"{type(exc).__name__}") from exc
        except Exception as exc:
            # secretstorage/dbus raise their own types (e.g. no session bus): same advice.
            raise CredentialStoreError(LOCKED_MESSAGE, detail=type(exc).__name__) from exc


def resolve_backend() -> Any:
    """keyring's backend (honours PYTHON_KEYRING_BACKEND); refuses unusable or silent plain text."""
    import keyring
    import keyring.backends.fail
    import keyring.backends.null

    try:
        backend = keyring.get_keyring()
    except Exception as exc:  # a broken PYTHON_KEYRING_BACKEND value raises on resolve
        raise CredentialStoreError(NO_BACKEND_MESSAGE, detail=type(exc).__name__) from exc
    if isinstance(backend, keyring.backends.fail.Keyring | keyring.backends.null.Keyring):
        raise CredentialStoreError(NO_BACKEND_MESSAGE, detail=_backend_name(backend))
    if _is_plaintext(backend) and not explicitly_chosen():
        raise CredentialStoreError(PLAINTEXT_MESSAGE, detail=_backend_name(backend))
    return backend


def explicitly_chosen() -> bool:
    """True when the user picked a backend (env var or keyring's own keyringrc.cfg)."""
    if os.environ.get(BACKEND_ENV, "").strip():
        return True
    try:
        from keyring.util import platform_

        config = platform_.config_root() / "keyringrc.cfg"
        return "default-keyring" in config.read_text(encoding="utf-8")
    except (OSError, ImportError, AttributeError):
        return False


def _is_plaintext(backend: Any) -> bool:
    # keyrings.alt's file backends (plain text or base64) are never a silent choice.
    module = type(backend).__module__
    return module.startswith("keyrings.alt")


def _backend_name(backend: Any) -> str:
    return f"{type(backend).__module__}.{type(backend).__name__}"
