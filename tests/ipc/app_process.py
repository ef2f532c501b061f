"""The tray app as a subprocess whose stderr lines are read (and time-stamped) as they come."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

WAIT_S = 30.0  # generous: a loaded 2-core CI machine starts Qt slowly
DEMO_TOKEN = "kimai-tray-demo-token"  # kimai_tray.app.DEMO_TOKEN
TESTS_DIR = Path(__file__).resolve().parents[1]


def base_env(home: Path, display: str | None = None) -> dict[str, str]:
    """A private home, a test-only file keyring, offscreen Qt, and no desktop session."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("KIMAI_TRAY", "PYTHON_KEYRING", "XDG_", "WAYLAND", "DISPLAY"))
    }
    env.update(
        KIMAI_TRAY_HOME=str(home),
        QT_QPA_PLATFORM="offscreen",
        PYTHON_KEYRING_BACKEND="helpers.file_keyring.FileKeyring",
        KIMAI_TRAY_TEST_KEYRING=str(home.parent / f"{home.name}-keyring.json"),
        PYTHONPATH=os.pathsep.join([str(TESTS_DIR), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        XDG_CONFIG_HOME=str(home / "xdg-config"),
    )
    if display is not None:
        env["DISPLAY"] = display
    return env


class AppProcess:
    """`python -m kimai_tray [args]`; `wait_line` returns (arrival time, match)."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kimai_tray", *args],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[tuple[float, str]] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            with self._changed:
                self.lines.append((time.monotonic(), line.rstrip("\n")))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def mark(self) -> int:
        with self._changed:
            return len(self.lines)

    def wait_line(
        self, pattern: str, *, after: int = 0, timeout: float = WAIT_S
    ) -> tuple[float, re.Match[str]]:
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for stamp, line in self.lines[after:]:
                    match = regex.search(line)
                    if match:
                        return stamp, match
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self._reader.is_alive()):
                    raise AssertionError(f"no line /{pattern}/ from the app:\n{self.text()}")
                self._changed.wait(min(left, 1.0))

    def text(self) -> str:
        return "\n".join(line for _, line in self.lines)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(timeout=10)
        if self.proc.stderr is not None:
            self.proc.stderr.close()


def run_cli(
    env: dict[str, str], *args: str, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kimai_tray", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def api_get(url: str, path: str) -> object:
    request = urllib.request.Request(
        f"{url}{path}", headers={"Authorization": f"Bearer {DEMO_TOKEN}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def active_timesheets(url: str) -> list[dict[str, object]]:
    result = api_get(url, "/api/timesheets/active")
    assert isinstance(result, list)
    return result


def wait_for(what: str, check: Callable[[], object], timeout: float = WAIT_S) -> object:
    """Poll `check` (the simulator over HTTP) until it is truthy; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)  # polling an external server: there is no event to wait on


def project_and_activity(url: str) -> tuple[int, int]:
    """A project id and an activity id the simulator accepts together."""
    projects = api_get(url, "/api/projects")
    activities = api_get(url, "/api/activities")
    assert isinstance(projects, list) and isinstance(activities, list)
    project = projects[0]
    for activity in activities:
        if activity.get("project") in (None, project["id"]):
            return int(project["id"]), int(activity["id"])
    raise AssertionError("the demo seed has no activity for the first project")
