"""Several servers/accounts: named profiles in `config.toml`, each with its own data directory.

The `[server]` table stays the "default" profile and keeps its files where they always were
(data_dir/outbox.sqlite3, data_dir/catalog.sqlite3), so nothing is migrated. Further profiles
are `[profiles.NAME]` tables and keep their files in data_dir/profiles/<slug>/. Secrets stay in
the keyring, keyed by URL (+ user for legacy logins) as before.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kimai_tray.core.rules import Lockdown, Rounding

if TYPE_CHECKING:
    from kimai_tray.platform.config import ApiKind, AuthKind, Config

DEFAULT_PROFILE = "default"
_KINDS = {"auth": ("token", "legacy"), "api": ("kimai2", "kimai1")}


@dataclass(frozen=True, slots=True)
class Profile:
    """One Kimai server + account; `rounding`/`lockdown_grace_days` mirror that server's rules."""

    name: str
    server_url: str = ""
    username: str = ""
    auth_kind: AuthKind = "token"
    api_kind: ApiKind = "kimai2"
    ca_bundle: str = ""
    rounding: bool = True
    lockdown_grace_days: int = -1

    @property
    def slug(self) -> str:
        return profile_slug(self.name)

    @property
    def rounding_rule(self) -> Rounding:
        return Rounding(enabled=self.rounding)

    @property
    def lockdown(self) -> Lockdown:
        return Lockdown(self.lockdown_grace_days)


def profile_slug(name: str) -> str:
    """A file-system-safe directory name for `name` (ASCII, lower case, dashes)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug or "profile"


def profile_names(config: Config) -> list[str]:
    """ "default" (the [server] table) first, then the named profiles in file order."""
    return [DEFAULT_PROFILE, *(p.name for p in config.profiles if p.name != DEFAULT_PROFILE)]


def find_profile(config: Config, name: str) -> Profile:
    """The profile called `name` ("" or "default": the [server] table); KeyError if unknown."""
    if name in ("", DEFAULT_PROFILE):
        extra = next((p for p in config.profiles if p.name == DEFAULT_PROFILE), None)
        return Profile(
            DEFAULT_PROFILE,
            config.server_url,
            config.username,
            config.auth_kind,
            config.api_kind,
            config.ca_bundle,
            rounding=extra.rounding if extra else True,
            lockdown_grace_days=extra.lockdown_grace_days if extra else -1,
        )
    for profile in config.profiles:
        if profile.name == name:
            return profile
    raise KeyError(name)


def config_for(config: Config, name: str) -> Config:
    """`config` with the server fields of profile `name`: what the client and keyring use."""
    p = find_profile(config, name)
    return replace(
        config,
        server_url=p.server_url,
        username=p.username,
        auth_kind=p.auth_kind,
        api_kind=p.api_kind,
        ca_bundle=p.ca_bundle,
    )


def store_login(base: Config, name: str, login: Config) -> Config:
    """`base` with profile `name`'s server fields, the preferences and profiles from `login`.

    `login` is a Config as seen through profile `name` (`config_for`); [server] keeps the
    default profile's fields unless `name` is the default.
    """
    if name in ("", DEFAULT_PROFILE):
        return replace(
            base,
            server_url=login.server_url,
            username=login.username,
            auth_kind=login.auth_kind,
            api_kind=login.api_kind,
            ca_bundle=login.ca_bundle,
            preferences=login.preferences,
            profiles=login.profiles,
        )
    old = find_profile(login, name)
    new = replace(
        old,
        server_url=login.server_url,
        username=login.username,
        auth_kind=login.auth_kind,
        api_kind=login.api_kind,
        ca_bundle=login.ca_bundle,
    )
    profiles = tuple(new if p.name == name else p for p in login.profiles)
    return replace(base, profiles=profiles, preferences=login.preferences)


def data_dir_for(data_dir: Path, name: str) -> Path:
    """Where profile `name` keeps its outbox and catalog (the default: `data_dir` itself)."""
    if name in ("", DEFAULT_PROFILE):
        return data_dir
    return data_dir / "profiles" / profile_slug(name)


def parse_profiles(
    data: Mapping[str, Any], fail: Callable[[str, str], Exception]
) -> tuple[Profile, ...]:
    """The `[profiles.NAME]` tables of a parsed config file (`fail(key, problem)` -> error)."""
    tables = data.get("profiles", {})
    if not isinstance(tables, dict):
        raise fail("profiles", "'profiles' must be a table of [profiles.NAME] tables")
    result: list[Profile] = []
    slugs: dict[str, str] = {}
    for name, table in tables.items():
        if not isinstance(table, dict):
            raise fail(name, f"'profiles.{name}' must be a table")
        slug = profile_slug(name)
        if slug in slugs:
            raise fail(name, f"profiles '{slugs[slug]}' and '{name}' would share a data folder")
        slugs[slug] = name

        def text(key: str, default: str, table: dict[str, Any] = table) -> str:
            value = table.get(key, default)
            if not isinstance(value, str):
                raise fail(key, f"'{key}' must be a string")
            return value

        for key, allowed in _KINDS.items():
            if text(key, allowed[0]) not in allowed:
                raise fail(key, f"'{key}' must be " + " or ".join(f'"{a}"' for a in allowed))
        rounding = table.get("rounding", True)
        grace = table.get("lockdown_grace_days", -1)
        if type(rounding) is not bool:
            raise fail("rounding", "'rounding' must be true or false")
        if type(grace) is not int:
            raise fail("lockdown_grace_days", "'lockdown_grace_days' must be an int")
        result.append(
            Profile(
                name=name,
                server_url=text("url", ""),
                username=text("user", ""),
                auth_kind=text("auth", "token"),  # type: ignore[arg-type]
                api_kind=text("api", "kimai2"),  # type: ignore[arg-type]
                ca_bundle=text("ca_bundle", ""),
                rounding=rounding,
                lockdown_grace_days=grace,
            )
        )
    return tuple(result)


def profiles_toml(profiles: tuple[Profile, ...], value: Callable[[object], str]) -> list[str]:
    """TOML lines for `profiles` (`value` formats one scalar, as config.py does)."""
    lines: list[str] = []
    for p in profiles:
        lines += ["", f"[profiles.{value(p.name)}]"]
        lines.append(f"url = {value(p.server_url)}")
        lines.append(f"user = {value(p.username)}")
        lines.append(f"auth = {value(p.auth_kind)}")
        lines.append(f"api = {value(p.api_kind)}")
        lines.append(f"ca_bundle = {value(p.ca_bundle)}")
        lines.append(f"rounding = {value(p.rounding)}")
        lines.append(f"lockdown_grace_days = {value(p.lockdown_grace_days)}")
    return lines
