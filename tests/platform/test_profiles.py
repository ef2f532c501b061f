"""Profiles: several servers/accounts in config.toml, each with its own outbox and catalog.

The switching test runs two Kimai 2 simulators over real HTTP with real SQLite files; only the
keyring is an in-memory stand-in (no Secret Service on CI).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest

from helpers.keyring_fixtures import MemoryKeyring
from helpers.simulator_fixtures import SIMULATOR_TOKEN, SimulatorFactory
from kimai_tray.context import AppContext
from kimai_tray.core.errors import ConfigError
from kimai_tray.platform.config import Config, load_config, save_config
from kimai_tray.platform.profiles import Profile, config_for, profile_names, profile_slug
from kimai_tray.profile_switch import ProfileSwitcher

PROJECT, TASK = 1, 6  # demo seed: project 1 and its "Task 1"


def test_profiles_round_trip_and_keep_the_server_table(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    config = Config(
        server_url="https://a.example",
        profiles=(
            Profile("Work (B)", "https://b.example", "jo", "legacy", rounding=False),
            Profile("c", "https://c.example", lockdown_grace_days=5),
        ),
    )
    save_config(path, config)
    loaded = load_config(path)
    assert loaded == config
    assert profile_names(loaded) == ["default", "Work (B)", "c"]
    assert config_for(loaded, "Work (B)").server_url == "https://b.example"
    assert config_for(loaded, "Work (B)").auth_kind == "legacy"
    assert config_for(loaded, "default").server_url == "https://a.example"
    assert profile_slug("Work (B)") == "work-b"


def test_a_secret_in_a_profile_table_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[profiles.b]\nurl = "https://b"\ntoken = "abc"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="line 3"):
        load_config(path)


def test_unknown_profile_is_a_one_sentence_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no profile 'nope'"):
        AppContext.build({"KIMAI_TRAY_HOME": str(tmp_path)}, log_to_file=False, profile="nope")


def test_saving_a_login_in_a_profile_leaves_the_default_alone(tmp_path: Path) -> None:
    env = {"KIMAI_TRAY_HOME": str(tmp_path)}
    ctx = AppContext.build(env, log_to_file=False)
    ctx.save_config(replace(ctx.config, server_url="https://a.example", profiles=(Profile("b"),)))
    ctx.select_profile("b")
    ctx.save_config(replace(ctx.config, server_url="https://b.example", username="x"))
    on_disk = load_config(ctx.paths.config_file)
    assert on_disk.server_url == "https://a.example"
    assert config_for(on_disk, "b").server_url == "https://b.example"
    ctx.close()


def test_switching_profiles_keeps_both_outboxes_syncing(
    tmp_path: Path, simulator_factory: SimulatorFactory, memory_keyring: MemoryKeyring
) -> None:
    sim_a = simulator_factory(seed="demo")
    sim_b = simulator_factory(seed="demo")
    env = {"KIMAI_TRAY_HOME": str(tmp_path)}
    ctx = AppContext.build(env, log_to_file=False)
    ctx.save_config(replace(ctx.config, server_url=sim_a.url, profiles=(Profile("b", sim_b.url),)))
    ctx.store_secret(config_for(ctx.file_config or ctx.config, "default"), SIMULATOR_TOKEN)
    ctx.store_secret(config_for(ctx.file_config or ctx.config, "b"), SIMULATOR_TOKEN)

    async def run() -> None:
        switcher = ProfileSwitcher(ctx, retry_s=0.2)
        try:
            # Profile A works offline for a while: its entry is only in A's outbox.
            sim_a.state.set_offline(True)
            switcher.attach(ctx.make_backend())
            ctx.tracker.start(PROJECT, TASK, "for server A")
            ctx.tracker.stop()
            assert ctx.tracker.state.pending >= 1

            tracker_b = await switcher.switch("b")
            assert ctx.profile == "b" and switcher.background_pending()["default"] >= 1
            tracker_b.start(PROJECT, TASK, "for server B")
            # A comes back while B is active: A's queue drains in the background.
            sim_a.state.set_offline(False)
            async with asyncio.timeout(30):
                # Returns once A's background syncer emptied A's outbox and released it.
                await switcher.syncer.wait_idle("default")
                assert (await tracker_b.sync_once()).remaining == 0
            assert _descriptions(sim_a) == ["for server A"]
            assert _descriptions(sim_b) == ["for server B"]
            assert switcher.background_pending() == {}
        finally:
            await switcher.aclose()

    asyncio.run(run())
    ctx.close()
    # Separate files: the default keeps the old single-profile layout, "b" its own folder.
    assert (tmp_path / "data" / "outbox.sqlite3").exists()
    assert (tmp_path / "data" / "profiles" / "b" / "outbox.sqlite3").exists()
    assert load_config(tmp_path / "config" / "config.toml").preferences.profile == "b"


def _descriptions(server: object) -> list[str]:
    state = server.state  # type: ignore[attr-defined]
    with state.lock:
        return sorted(
            t.description
            for t in state.timesheets.values()
            if (t.description or "").startswith("for ")
        )
