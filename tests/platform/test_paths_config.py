"""paths.py and config.py: locations, private modes, atomic writes, readable errors."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from kimai_tray.core.errors import ConfigError
from kimai_tray.platform import config as config_mod
from kimai_tray.platform.config import Config, Preferences, load_config, save_config, to_toml
from kimai_tray.platform.paths import resolve_paths


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_home_env_overrides_both_dirs(tmp_path: Path) -> None:
    paths = resolve_paths({"KIMAI_TRAY_HOME": str(tmp_path)})
    assert paths.config_dir == tmp_path / "config"
    assert paths.data_dir == tmp_path / "data"
    assert paths.config_file == tmp_path / "config" / "config.toml"
    assert paths.outbox_file.parent == tmp_path / "data"
    assert paths.log_file.parent == tmp_path / "data"


def test_without_home_uses_platformdirs(tmp_path: Path) -> None:
    paths = resolve_paths({"XDG_RUNTIME_DIR": str(tmp_path)})
    assert paths.config_dir.name == "kimai-tray"
    assert paths.runtime_dir == tmp_path / "kimai-tray"


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_dirs_are_created_private(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        paths = resolve_paths({"KIMAI_TRAY_HOME": str(tmp_path / "home")}).ensure()
    finally:
        os.umask(old)
    for directory in (paths.config_dir, paths.data_dir, paths.runtime_dir):
        assert mode(directory) == 0o700


def test_round_trip_with_awkward_strings(tmp_path: Path) -> None:
    cfg = Config(
        server_url="https://kimai.example.org/sub",
        username='ann "the" \\ admin\tx',
        auth_kind="legacy",
        api_kind="kimai1",
        ca_bundle="/etc/ssl/ca.pem",
        preferences=Preferences(hotkey="Ctrl+Shift+T", autostart=True, idle_minutes=5),
    )
    path = tmp_path / "config.toml"
    save_config(path, cfg)
    assert load_config(path) == cfg
    assert mode(path) == 0o600


def test_missing_file_is_default(tmp_path: Path) -> None:
    assert load_config(tmp_path / "nope.toml") == Config()


def test_corrupt_file_names_path_and_line(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[server]\nurl = "https://x"\nuser = = oops\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert f"{path} line 3:" in info.value.user_message
    assert path.read_text(encoding="utf-8").endswith("oops\n")  # never silently reset


def test_wrong_type_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[server]\nurl = 'https://x'\n\n[preferences]\nautostart = 3\n", "utf-8")
    with pytest.raises(ConfigError, match=r"config\.toml line 5: 'autostart' must be a bool"):
        load_config(path)


def test_bad_auth_kind_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[server]\nauth = 'password'\n", "utf-8")
    with pytest.raises(ConfigError, match="line 2"):
        load_config(path)


def test_secret_key_in_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[server]\nurl = 'https://x'\ntoken = 'abc'\n", "utf-8")
    with pytest.raises(ConfigError, match="line 3: 'token' does not belong here"):
        load_config(path)


def test_config_has_no_field_for_a_secret() -> None:
    text = to_toml(Config(server_url="https://x", username="u"))
    text = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    for word in ("token =", "password", "secret"):
        assert word not in text


def test_atomic_write_keeps_old_file_when_write_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "config.toml"
    save_config(path, Config(server_url="https://old"))

    def broken_replace(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(config_mod.os, "replace", broken_replace)  # simulate a crash at rename
    with pytest.raises(OSError):
        save_config(path, Config(server_url="https://new"))
    assert load_config(path).server_url == "https://old"
    assert [p.name for p in tmp_path.iterdir()] == ["config.toml"]  # temp file cleaned up
