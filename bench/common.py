"""Figures, baselines and the JSON report shared by every benchmark."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


@dataclass
class Figure:
    """One measured figure beside its baseline from the same run."""

    name: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    target: str = ""
    ok: bool | None = None
    extra: dict[str, float | int | str] = field(default_factory=dict)
    bench: str = ""  # the runner that measured it (`--only` name), set by `bench.__main__.run`

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline == 0:
            return None
        return self.value / self.baseline

    def line(self) -> str:
        text = f"{self.name:<48} {self.value:>10.3f} {self.unit:<6}"
        if self.baseline is not None:
            ratio = self.ratio
            text += f" | baseline {self.baseline:>9.3f} ({self.baseline_name})"
            if ratio is not None:
                text += f" | ratio {ratio:5.2f}x"
        if self.target:
            verdict = {True: "OK", False: "MISSED", None: ""}[self.ok]
            text += f" | target {self.target} {verdict}"
        for key, val in self.extra.items():
            text += f" | {key} {val}"
        return text


def bench_env() -> dict[str, str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    # Start-up is measured with compiled bytecode, as installed apps have it (pip and PyInstaller
    # compile at install): without it every launch recompiles ~90 modules (+~200 ms here).
    # A private cache dir, so the bench never writes __pycache__ into the source tree.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "kimai-tray-bench-pycache")
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    return env


def median(values: list[float]) -> float:
    return statistics.median(values)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def machine() -> dict[str, str | int]:
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cores": os.cpu_count() or 0,
        # Shared CI/dev machines are noisy: the load says how much to trust absolute figures.
        "load 1/5/15 min": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def write_report(
    figures: list[Figure], quick: bool, path: Path | None = None, *, merge: bool = False
) -> Path:
    """Write the report; with `merge`, keep the figures of runners that did not run this time.

    `--only` merges, so re-running one figure does not drop the others. Each runner's machine,
    load and date are kept in "runs", so merged figures still say when and how they were measured.
    """
    path = path or RESULTS / "latest.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    this_run = machine()
    ran = {f.bench for f in figures}
    runs: dict[str, object] = {name: {**this_run, "quick": quick} for name in sorted(ran)}
    kept: list[dict[str, Any]] = []  # as read back from JSON
    if merge and path.exists():
        old = json.loads(path.read_text(encoding="utf-8"))
        # Figures from before runners were recorded ("bench" missing) cannot be attributed: dropped.
        kept = [f for f in old.get("figures", []) if f.get("bench") and f["bench"] not in ran]
        old_runs = old.get("runs", {})
        runs = {**{b: old_runs[b] for b in {f["bench"] for f in kept} if b in old_runs}, **runs}
    payload = {
        "machine": this_run,
        "quick": quick,
        "runs": runs,
        "figures": [*kept, *({**asdict(f), "ratio": f.ratio} for f in figures)],
    }
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return path


def run_child(code: str, *, env: dict[str, str] | None = None, timeout: float = 60) -> str:
    """Run a Python snippet in a fresh interpreter and return its stdout."""
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env or bench_env(),
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"child failed ({result.returncode}): {result.stderr[-2000:]}")
    return result.stdout
