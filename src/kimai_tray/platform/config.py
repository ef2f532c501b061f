"""The user's settings in `config.toml`: read with tomllib, written atomically.

No secret is ever stored here: the token or API password lives in the keyring only.
"""

from __future__ import annotations

import os
import re
import tempfile
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

from kimai_tray.core.errors import ConfigError
from kimai_tray.platform.profiles import Profile, parse_profiles, profiles_toml

AuthKind = Literal["token", "legacy"]
ApiKind = Literal["kimai2", "kimai1"]
AUTH_KINDS: tuple[AuthKind, ...] = ("token", "legacy")
API_KINDS: tuple[ApiKind, ...] = ("kimai2", "kimai1")

# Keys that would mean someone tried to put a secret in the file; refused on read and write.
_SECRET_KEYS = frozenset({"token", "password", "secret", "api_token", "api_password"})


@dataclass(frozen=True, slots=True)
class Preferences:
    """User preferences shown in the settings dialog."""

    hotkey: str = "Ctrl+Alt+K"
    autostart: bool = False
    notifications: bool = True
    idle_minutes: int = 5  # away this long while a timer runs -> the return dialog
    reminder_minutes: int = 0
    # Reminders and work hours (read by platform/away_prefs.py).
    reminders: bool = True
    work_days: str = "mon,tue,wed,thu,fri"
    work_start: str = "09:00"
    work_end: str = "17:00"
    stop_on_logout: bool = False  # shutdown/logout with a timer running: keep it (default)
    profile: str = ""  # the active profile; "" is the [server] table ("default")
    # Global hotkeys: `hotkey` (the original field) opens the popup; this one toggles.
    toggle_hotkey: str = "Ctrl+Alt+T"
    daily_target_minutes: int = 0  # popup progress bar towards this; 0 = no daily target


@dataclass(frozen=True, slots=True)
class Config:
    """Everything kimai-tray remembers between runs, minus the secret."""

    server_url: str = ""
    username: str = ""
    auth_kind: AuthKind = "token"
    api_kind: ApiKind = "kimai2"
    ca_bundle: str = ""
    preferences: Preferences = field(default_factory=Preferences)
    profiles: tuple[Profile, ...] = ()  # [profiles.NAME] tables: further servers/accounts

    @property
    def configured(self) -> bool:
        return bool(self.server_url)


def load_config(path: Path) -> Config:
    """Read `path`; a missing file is the default config, a broken one a ConfigError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Config()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Cannot read {path}: {exc}.") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = _error_line(str(exc))
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc)).rstrip(".")
        where = f"{path} line {line}" if line else str(path)
        raise ConfigError(
            f"The configuration file {where}: {reason}; fix or delete that line."
        ) from exc
    return _from_mapping(data, path, text)


def save_config(path: Path, config: Config) -> None:
    """Write `config` to `path` atomically (temp file, fsync, rename), mode 0600."""
    write_atomic(path, to_toml(config))


def write_atomic(path: Path, text: str) -> None:
    """Replace `path` with `text` so a crash leaves either the old or the new file, never half."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        # mkstemp already creates 0600; chmod makes it explicit for non-default umasks.
        os.chmod(tmp, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def to_toml(config: Config) -> str:
    """Serialise `config` as TOML (a tiny writer: strings, bools and ints are all we need)."""
    lines = ["# kimai-tray settings. The token/password is kept in the keyring, never here.", ""]
    lines.append("[server]")
    lines.append(f"url = {_toml_value(config.server_url)}")
    lines.append(f"user = {_toml_value(config.username)}")
    lines.append(f"auth = {_toml_value(config.auth_kind)}")
    lines.append(f"api = {_toml_value(config.api_kind)}")
    lines.append(f"ca_bundle = {_toml_value(config.ca_bundle)}")
    lines.append("")
    lines.append("[preferences]")
    for f in fields(Preferences):
        lines.append(f"{f.name} = {_toml_value(getattr(config.preferences, f.name))}")
    lines += profiles_toml(config.profiles, _toml_value)
    return "\n".join(lines) + "\n"


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        escaped = "".join(c if c >= " " and c != "\x7f" else f"\\u{ord(c):04x}" for c in escaped)
        return f'"{escaped}"'
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _from_mapping(data: Mapping[str, Any], path: Path, text: str) -> Config:
    def fail(key: str, problem: str) -> ConfigError:
        line = _key_line(text, key)
        where = f"{path} line {line}" if line else str(path)
        return ConfigError(f"The configuration file {where}: {problem}; fix or delete that line.")

    server = data.get("server", {})
    prefs = data.get("preferences", {})
    if not isinstance(server, dict):
        raise fail("server", "'server' must be a table")
    if not isinstance(prefs, dict):
        raise fail("preferences", "'preferences' must be a table")
    profile_tables = data.get("profiles", {})
    nested = list(profile_tables.values()) if isinstance(profile_tables, dict) else []
    for table in (data, server, prefs, *(t for t in nested if isinstance(t, dict))):
        for key in table:
            if key.lower() in _SECRET_KEYS:
                raise fail(key, f"'{key}' does not belong here (secrets live in the keyring)")

    def text_value(key: str, default: str) -> str:
        value = server.get(key, default)
        if not isinstance(value, str):
            raise fail(key, f"'{key}' must be a string")
        return value

    auth = text_value("auth", "token")
    if auth not in AUTH_KINDS:
        raise fail("auth", '\'auth\' must be "token" or "legacy"')
    api = text_value("api", "kimai2")
    if api not in API_KINDS:
        raise fail("api", '\'api\' must be "kimai2" or "kimai1"')

    defaults = Preferences()
    values: dict[str, object] = {}
    for f in fields(Preferences):
        default = getattr(defaults, f.name)
        value = prefs.get(f.name, default)
        # bool is a subclass of int; keep the two apart so `idle_minutes = true` is refused.
        if type(value) is not type(default):
            raise fail(f.name, f"'{f.name}' must be a {type(default).__name__}")
        values[f.name] = value

    return Config(
        server_url=text_value("url", ""),
        username=text_value("user", ""),
        auth_kind=auth,
        api_kind=api,
        ca_bundle=text_value("ca_bundle", ""),
        preferences=replace(defaults, **values),  # type: ignore[arg-type]
        profiles=parse_profiles(data, fail),
    )


def _error_line(message: str) -> int | None:
    match = re.search(r"at line (\d+)", message)
    return int(match.group(1)) if match else None


def _key_line(text: str, key: str) -> int | None:
    pattern = re.compile(rf"^\s*(\[\s*)?{re.escape(key)}\b")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return number
    return None


def _fsync_dir(directory: Path) -> None:
    # The rename is only durable once the directory entry is flushed (POSIX only).
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
