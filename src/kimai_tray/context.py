"""`AppContext`: the objects the CLI and the tray app share, built in one fixed order.

paths -> logging -> config -> credentials (lazy keyring) -> outbox/catalog/tracker -> backend.
Heavy modules (keyring, httpx, the api package) are imported only when first needed.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from kimai_tray.api.logging import RedactingFilter as SecretFilter
from kimai_tray.platform.config import Config, load_config, save_config
from kimai_tray.platform.credentials import CredentialStore
from kimai_tray.platform.paths import AppPaths, resolve_paths
from kimai_tray.platform.profiles import DEFAULT_PROFILE, config_for, data_dir_for, store_login

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
    profile: str = DEFAULT_PROFILE
    # The file as written (all profiles); `config` is it seen through the active profile.
    file_config: Config | None = field(default=None, repr=False)
    # Sentences for the user about databases kept aside on open (see core/recovery.py).
    notices: list[str] = field(default_factory=list, repr=False)

    @classmethod
    def build(
        cls,
        env: dict[str, str] | None = None,
        *,
        log_to_file: bool = True,
        profile: str | None = None,
    ) -> AppContext:
        """Paths (created 0700), logging, then config; raises ConfigError on a corrupt file.

        `profile` (default: the one last switched to) picks the server/account to use.
        """
        paths = resolve_paths(env).ensure()
        redactor = setup_logging(paths) if log_to_file else RedactingFilter()
        config = load_config(paths.config_file)
        ctx = cls(paths, config, CredentialStore(), redactor, file_config=config)
        ctx.select_profile(profile)
        return ctx

    def select_profile(self, name: str | None) -> None:
        """Use profile `name` (None: the saved choice); call before `tracker` is opened."""
        from kimai_tray.core.errors import ConfigError
        from kimai_tray.platform.profiles import find_profile, profile_names

        base = self.file_config or self.config
        wanted = name if name is not None else base.preferences.profile
        try:
            find_profile(base, wanted or DEFAULT_PROFILE)
        except KeyError:
            if name is not None:
                known = ", ".join(profile_names(base))
                raise ConfigError(f"There is no profile '{name}' (known: {known}).") from None
            log.warning("the saved profile no longer exists; using the default one")
            wanted = DEFAULT_PROFILE
        self.profile = wanted or DEFAULT_PROFILE
        self.file_config = base
        self.config = config_for(base, self.profile)

    def save_config(self, config: Config) -> None:
        """Save `config` (as seen through the active profile) into that profile's table."""
        base = self.file_config or config
        merged = store_login(base, self.profile, config)
        save_config(self.paths.config_file, merged)
        self.file_config = merged
        self.config = config_for(merged, self.profile)

    def profile_data_dir(self, name: str | None = None) -> Path:
        """The outbox/catalog folder of profile `name` (default: the active one), created."""
        from kimai_tray.platform.paths import make_private_dir

        directory = data_dir_for(self.paths.data_dir, self.profile if name is None else name)
        make_private_dir(directory)
        return directory

    def open_tracker(self, name: str | None = None) -> Tracker:
        """A new Tracker on profile `name`'s own outbox and catalog (the caller closes it)."""
        from kimai_tray.core.catalog import Catalog
        from kimai_tray.core.clock import SystemClock
        from kimai_tray.core.outbox import Outbox
        from kimai_tray.core.recovery import open_or_quarantine
        from kimai_tray.core.tracker import Tracker

        directory = self.profile_data_dir(name)
        # A damaged or too-new database is kept aside, never a reason not to start.
        outbox, notice = open_or_quarantine(directory / self.paths.outbox_file.name, Outbox)
        catalog, catalog_notice = open_or_quarantine(
            directory / self.paths.catalog_file.name, Catalog
        )
        for text in (notice, catalog_notice):
            if text is not None:
                log.warning("%s", text)
                self.notices.append(text)
        return Tracker(outbox, catalog, SystemClock())

    @property
    def tracker(self) -> Tracker:
        """The Tracker on this home's outbox and catalog (opened on first use)."""
        if self._tracker is None:
            self._tracker = self.open_tracker()
        return self._tracker

    def adopt_tracker(self, name: str, tracker: Tracker) -> Tracker | None:
        """Switch to profile `name` with its open `tracker`; returns the previous (not closed)."""
        self.select_profile(name)
        previous, self._tracker = self._tracker, tracker
        return previous

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

            # Edits Kimai 1 takes only at stop survive a restart in this file.
            held = self.profile_data_dir() / "kimai1-held.json"
            return Kimai1Client(
                cfg.server_url, cfg.username, secret, ca_bundle=ca_bundle, held_file=held
            )
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
