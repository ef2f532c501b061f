"""The bench must not rot: one cheap figure through the bench API, and the JSON it writes."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # bench/ lives at the repo root, outside src/ and tests/
    sys.path.insert(0, str(ROOT))

from bench.__main__ import benchmarks, run  # noqa: E402
from bench.common import write_report  # noqa: E402


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
