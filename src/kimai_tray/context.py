"""`AppContext`: the objects the CLI and the tray app share, built in one fixed order.

paths -> logging -> config -> credentials (lazy keyring) -> outbox/catalog/tracker -> backend.
Heavy modules (keyring, httpx, the api package) are imported only when first needed.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from kimai_tray.api.logging import RedactingFilter as SecretFilter
from kimai_tray.platform.config import Config, load_config, save_config
from kimai_tray.platform.credentials import CredentialStore
from kimai_tray.platform.paths import AppPaths, resolve_paths

if TYPE_CHECKING:
    from kimai_tray.core.backend import KimaiBackend
    from kimai_tray.core.tracker import Tracker

log = logging.getLogger(__name__)

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})

# Header-shaped secrets that could reach a log line through a library's message.
_SECRET_PATTERNS = (
    re.compile(r"(?i)(authorization:?\s*bearer\s+)\S+"),
    re.compile(r"(?i)(x-auth-(?:token|user):?\s*)\S+"),
)


class RedactingFilter(SecretFilter):
    """The api package's secret filter, plus auth header values a library might log."""

    def scrub(self, text: str) -> str:
        text = super().scrub(text)
        for pattern in _SECRET_PATTERNS:
            text = pattern.sub(r"\1***", text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        # Unlike the base filter, run even before a secret is known (header patterns).
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg = self.scrub(record.getMessage())
        record.args = None
        if record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        return True


def insecure_url(url: str) -> bool:
    """True for http:// to a host other than this machine (the token would travel in clear)."""
    parts = urlsplit(url)
    return parts.scheme == "http" and (parts.hostname or "") not in LOCAL_HOSTS


@dataclass
class AppContext:
    """Shared wiring for one kimai-tray home; close() releases the databases."""

    paths: AppPaths
    config: Config
    credentials: CredentialStore
    redactor: RedactingFilter
    _tracker: Tracker | None = field(default=None, repr=False)

    @classmethod
    def build(cls, env: dict[str, str] | None = None, *, log_to_file: bool = True) -> AppContext:
        """Paths (created 0700), logging, then config; raises ConfigError on a corrupt file."""
        paths = resolve_paths(env).ensure()
        redactor = setup_logging(paths) if log_to_file else RedactingFilter()
        config = load_config(paths.config_file)
        return cls(paths, config, CredentialStore(), redactor)

    def save_config(self, config: Config) -> None:
        save_config(self.paths.config_file, config)
        self.config = config

    @property
    def tracker(self) -> Tracker:
        """The Tracker on this home's outbox and catalog (opened on first use)."""
        if self._tracker is None:
            from kimai_tray.core.catalog import Catalog
            from kimai_tray.core.clock import SystemClock
            from kimai_tray.core.outbox import Outbox
            from kimai_tray.core.tracker import Tracker

            self._tracker = Tracker(
                Outbox(self.paths.outbox_file), Catalog(self.paths.catalog_file), SystemClock()
            )
        return self._tracker

    def load_secret(self) -> str | None:
        """The stored secret for the configured server (None when not logged in)."""
        if not self.config.configured:
            return None
        secret = self.credentials.load(self.config.server_url, self._key_user(self.config))
        if secret:
            self.redactor.add_secret(secret)
        return secret

    def make_backend(self, config: Config | None = None, secret: str | None = None) -> KimaiBackend:
        """A client for `config` (default: the saved one) with `secret` (default: the keyring's)."""
        cfg = config or self.config
        if secret is None:
            secret = self.load_secret()
        if not secret:
            from kimai_tray.core.errors import AuthenticationError

            raise AuthenticationError("Not logged in: run 'kimai-tray login --url URL' first.")
        self.redactor.add_secret(secret)
        ca_bundle = cfg.ca_bundle or None
        if cfg.api_kind == "kimai1":
            from kimai_tray.api.kimai1 import Kimai1Client

            return Kimai1Client(cfg.server_url, cfg.username, secret, ca_bundle=ca_bundle)
        from kimai_tray.api.credentials import Credentials
        from kimai_tray.api.kimai2 import Kimai2Client

        credentials = Credentials(cfg.auth_kind, secret, cfg.username or None)
        return Kimai2Client(cfg.server_url, credentials, ca_bundle=ca_bundle)

    def store_secret(self, config: Config, secret: str) -> None:
        self.redactor.add_secret(secret)
        self.credentials.store(config.server_url, self._key_user(config), secret)

    def delete_secret(self) -> bool:
        if not self.config.configured:
            return False
        return self.credentials.delete(self.config.server_url, self._key_user(self.config))

    @staticmethod
    def _key_user(config: Config) -> str | None:
        # Legacy logins are per user; a token identifies its user by itself.
        return config.username if config.auth_kind == "legacy" else None

    def close(self) -> None:
        if self._tracker is not None:
            self._tracker.outbox.close()
            self._tracker.catalog.close()
            self._tracker = None


def setup_logging(paths: AppPaths) -> RedactingFilter:
    """Log INFO and up to `paths.log_file` (rotated, 0600) through a redacting filter."""
    redactor = RedactingFilter()
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_kimai_tray", False):
            root.removeHandler(handler)
            handler.close()
    handler = logging.handlers.RotatingFileHandler(
        paths.log_file, maxBytes=1_000_000, backupCount=3, encoding="utf-8"
    )
    handler._kimai_tray = True  # type: ignore[attr-defined]
    handler.addFilter(redactor)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    paths.log_file.chmod(0o600)
    return redactor
