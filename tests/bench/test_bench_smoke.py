"""The bench must not rot: one cheap figure through the bench API, and the JSON it writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

# bench/ lives at the repo root: pyproject's pytest `pythonpath` puts it on the path.
from bench.__main__ import benchmarks, run
from bench.apprun import Proc, bare_argv
from bench.common import Figure, write_report
from bench.desktop import (
    Desktop,
    TrayNotUsedError,
    check_tray_used,
    missing_tools,
    real_tray,
    start_xvfb,
)


def test_every_issue_figure_has_a_runner() -> None:
    assert set(benchmarks()) == {
        "cold_start",
        "memory",
        "idle",
        "search",
        "sync",
        "click",
        "cycles",
    }


def test_sync_figure_runs_and_report_has_the_documented_shape(tmp_path: Path) -> None:
    lines: list[str] = []
    figures = run(["sync"], quick=True, out=lines.append)

    # Real Tracker + Kimai2Client + simulator over loopback: 200 queued entries, 1 POST each.
    requests = next(f for f in figures if f.unit == "req")
    assert requests.baseline == 200
    assert requests.extra["timesheet POSTs"] == 200
    assert requests.value == 200  # exactly one request per entry: no extra reads
    assert any("baseline" in line and "ratio" in line for line in lines)

    path = write_report(figures, quick=True, path=tmp_path / "latest.json")
    report = json.loads(path.read_text(encoding="utf-8"))
    assert report["quick"] is True
    assert {"python", "platform", "cpu", "cores", "date"} <= set(report["machine"])
    for item in report["figures"]:
        assert {"name", "value", "unit", "baseline", "ratio", "target", "ok", "extra"} <= set(item)
        assert isinstance(item["value"], float)
    assert report["figures"][1]["ratio"] == requests.ratio == 1.0


def test_only_run_replaces_its_figures_and_keeps_the_others(tmp_path: Path) -> None:
    path = tmp_path / "latest.json"
    write_report(
        [Figure("sync time", 1.0, "s", bench="sync"), Figure("idle", 0.2, "%core", bench="idle")],
        quick=False,
        path=path,
    )
    # As `--only idle`: the idle figure is replaced, the sync one (and how it was run) kept.
    write_report([Figure("idle", 0.05, "%core", bench="idle")], quick=True, path=path, merge=True)
    report = json.loads(path.read_text(encoding="utf-8"))
    assert [(f["bench"], f["value"]) for f in report["figures"]] == [("sync", 1.0), ("idle", 0.05)]
    assert report["runs"]["sync"]["quick"] is False
    assert report["runs"]["idle"]["quick"] is True
    # A full run (no --only) writes only what it measured.
    write_report([Figure("idle", 0.07, "%core", bench="idle")], quick=False, path=path)
    report = json.loads(path.read_text(encoding="utf-8"))
    assert [f["name"] for f in report["figures"]] == ["idle"]
    assert set(report["runs"]) == {"idle"}


def _tray_log(env: dict[str, str]) -> list[str]:
    """The bare baseline's log lines up to "tray shown", run on the X display in `env`."""
    proc = Proc(bare_argv(), env)
    try:
        proc.wait_line("tray shown")
        return proc.seen
    finally:
        proc.stop()


def test_desktop_figures_fail_loudly_without_a_tray_and_pass_on_trayer() -> None:
    """Real Xvfb, real trayer, the real baseline script on xcb: no tray host must not pass."""
    if missing := missing_tools():
        pytest.skip(f"desktop bench needs {', '.join(missing)} (apt: xvfb trayer)")
    xvfb, display = start_xvfb()
    try:
        lines = _tray_log(Desktop(display).env())
    finally:
        xvfb.terminate()
        xvfb.wait(timeout=10)
    with pytest.raises(TrayNotUsedError):
        check_tray_used(lines, "the baseline")

    with real_tray() as desktop:
        lines = _tray_log(desktop.env())
    check_tray_used(lines, "the baseline")  # does not raise: Qt docked into trayer
    assert not any("no system tray available" in line for line in lines)
