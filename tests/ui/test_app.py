"""app.run_app as a real subprocess: display check, start-up line, clean SIGTERM, demo."""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from kimai_tray.app import NO_DISPLAY, display_problem

APP = [sys.executable, "-m", "kimai_tray"]


def app_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(QT_QPA_PLATFORM="offscreen", KIMAI_TRAY_HOME=str(home), **extra)
    return env


def test_display_problem_only_on_linux_without_any_display() -> None:
    assert display_problem({}, "linux") == NO_DISPLAY
    assert display_problem({"DISPLAY": ":0"}, "linux") is None
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0"}, "linux") is None
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux") is None
    assert display_problem({}, "win32") is None


def test_no_display_prints_one_sentence_and_exits_1(tmp_path: Path) -> None:
    env = app_env(tmp_path)
    del env["QT_QPA_PLATFORM"]
    proc = subprocess.run(APP, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    output = proc.stdout + proc.stderr
    assert output.strip() == NO_DISPLAY
    assert "Traceback" not in output and "qt.qpa" not in output


def test_exit_after_start_renders_first_state_then_quits(tmp_path: Path) -> None:
    env = app_env(tmp_path, KIMAI_TRAY_EXIT_AFTER_START="1")
    proc = subprocess.run(APP, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    # Offscreen has no tray host: the app says so once and falls back to a window.
    assert sum("no system tray available" in line for line in lines) == 1
    assert "kimai-tray: first state rendered (offline)" in lines
    # Nothing configured and not --demo: the first-run wizard opens after the first state.
    assert "kimai-tray: first-run wizard opened" in lines
    assert lines.index("kimai-tray: first state rendered (offline)") < lines.index(
        "kimai-tray: stopped"
    )
    assert "Traceback" not in proc.stderr


def test_sigterm_quits_cleanly(tmp_path: Path) -> None:
    with subprocess.Popen(
        APP, env=app_env(tmp_path), stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
    ) as proc:
        try:
            assert proc.stderr is not None
            for line in proc.stderr:  # bounded by the test timeout; the line comes at start-up
                if "first state rendered" in line:
                    break
            proc.send_signal(signal.SIGTERM)
            rest = proc.stderr.read()
            assert proc.wait(timeout=20) == 0, rest
            assert "kimai-tray: quitting" in rest and "kimai-tray: stopped" in rest
            assert "Traceback" not in rest
        finally:
            if proc.poll() is None:
                proc.kill()


@pytest.mark.skipif(
    importlib.util.find_spec("kimai_tray.simulator.server") is None,
    reason="kimai_tray.simulator.server has not landed yet",
)
def test_demo_mode_runs_against_the_simulator_without_user_files(tmp_path: Path) -> None:
    env = app_env(tmp_path / "user-home", KIMAI_TRAY_EXIT_AFTER_START="1")
    proc = subprocess.run([*APP, "--demo"], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "kimai-tray: demo simulator on http://127.0.0.1:" in proc.stderr
    assert "first state rendered" in proc.stderr
    # The demo uses a temporary home: nothing lands in the user's KIMAI_TRAY_HOME.
    assert not (tmp_path / "user-home").exists() or not any(
        (tmp_path / "user-home").rglob("*.toml")
    )


def test_corrupt_config_is_one_sentence_not_a_traceback(tmp_path: Path) -> None:
    env = app_env(tmp_path, KIMAI_TRAY_EXIT_AFTER_START="1")
    from kimai_tray.platform.paths import resolve_paths

    config = resolve_paths(env).config_file
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("server_url = [unterminated\n")
    proc = subprocess.run(APP, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert str(config) in proc.stderr or "config" in proc.stderr.lower()


def test_first_state_comes_from_the_outbox_before_any_network(tmp_path: Path) -> None:
    from kimai_tray.context import AppContext
    from kimai_tray.core.models import Activity, Customer, Project

    env = app_env(tmp_path, KIMAI_TRAY_EXIT_AFTER_START="1")
    ctx = AppContext.build(env, log_to_file=False)
    try:
        tracker = ctx.tracker
        tracker.catalog.replace_all(
            [Customer(1, "Acme")],
            [Project(10, "Website", 1, "Acme")],
            [Activity(100, "Design", 10)],
            [],
        )
        tracker.start(10, 100)
    finally:
        ctx.close()
    proc = subprocess.run(APP, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    # Not configured, so no client is ever made: the running state can only come from disk.
    assert "kimai-tray: first state rendered (running)" in proc.stderr.splitlines()


def test_damaged_databases_are_kept_aside_and_the_user_is_told(tmp_path: Path) -> None:
    """A damaged outbox and favourites file never stop the app: both are kept aside (not
    deleted) and one sentence each reaches the user (a tray message; the log here, as the
    offscreen platform has no tray)."""
    from kimai_tray.context import AppContext

    env = app_env(tmp_path, KIMAI_TRAY_EXIT_AFTER_START="1")
    ctx = AppContext.build(env, log_to_file=False)
    try:
        data = ctx.profile_data_dir()
        outbox_path = data / ctx.paths.outbox_file.name
    finally:
        ctx.close()
    outbox_path.write_bytes(b"garbage, not SQLite " * 100)
    (data / "favourites.sqlite").write_bytes(b"also garbage " * 100)
    proc = subprocess.run(APP, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    told = [line for line in proc.stderr.splitlines() if line.startswith("kimai-tray: told")]
    assert len(told) == 2, proc.stderr
    assert any(outbox_path.name in line for line in told)
    assert any("favourites.sqlite" in line for line in told)
    assert sorted(p.name for p in data.iterdir() if ".broken-" in p.name) == [
        "favourites.sqlite.broken-0",
        f"{outbox_path.name}.broken-0",
    ]
