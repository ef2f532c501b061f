"""Run the real app (or the bare baseline) as a process and read its figures from /proc."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.common import ROOT, bench_env

TOKEN = "bench-token-0b7d1c"
CLK_TCK = os.sysconf("SC_CLK_TCK")

# The baseline: the least a Qt tray app can do (a bare PySide6 script that shows a tray icon).
BARE_TRAY = """
import os, sys
from PySide6.QtCore import QTimer
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import QApplication, QSystemTrayIcon
app = QApplication(sys.argv)
pix = QPixmap(22, 22); pix.fill(QColor("red"))
if not QSystemTrayIcon.isSystemTrayAvailable():  # as the app checks; the desktop bench reads it
    print("no system tray available", file=sys.stderr, flush=True)
tray = QSystemTrayIcon(QIcon(pix)); tray.show()
print("tray shown", file=sys.stderr, flush=True)
if os.environ.get("KIMAI_TRAY_EXIT_AFTER_START") == "1":
    QTimer.singleShot(0, app.quit)
app.exec()
"""


# The dependency floor: the bare script plus what the app must load to talk to Kimai (the
# qasync loop, an httpx client, the keyring with backend discovery), as the app does after start.
STACK_TRAY = BARE_TRAY.replace(
    "app.exec()",
    """import asyncio, sqlite3, httpx, keyring, qasync
loop = qasync.QEventLoop(app); asyncio.set_event_loop(loop)
client = httpx.AsyncClient(); keyring.get_keyring()
print("stack loaded", file=sys.stderr, flush=True)
with loop:
    loop.run_forever()
""",
)


# The least the app must do before its first state: the bare script plus an asyncio loop on Qt
# (qasync) and its local SQLite state opened. Cold start is also reported against this floor.
START_FLOOR = BARE_TRAY.replace(
    "app = QApplication(sys.argv)",
    """import asyncio, sqlite3, tempfile, qasync
app = QApplication(sys.argv)
loop = qasync.QEventLoop(app); asyncio.set_event_loop(loop)
db = sqlite3.connect(tempfile.mkdtemp() + "/outbox.sqlite3")
db.execute("PRAGMA journal_mode=WAL"); db.execute("CREATE TABLE t(x)"); db.commit()""",
)


@dataclass(frozen=True)
class Home:
    """A configured KIMAI_TRAY_HOME with a file keyring (tests/helpers/file_keyring.py)."""

    env: dict[str, str]
    url: str


class Proc:
    """A child process whose stderr lines are collected by a reader thread."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.started = time.perf_counter()
        self.popen = subprocess.Popen(
            argv,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[tuple[float, str]] = queue.Queue()
        self.seen: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self.lines.put((time.perf_counter(), line.rstrip("\n")))

    @property
    def pid(self) -> int:
        return self.popen.pid

    def wait_line(self, needle: str, timeout: float = 60) -> float:
        """Seconds from process start until a line containing `needle` was printed."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                at, line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.popen.poll() is not None and self.lines.empty():
                    break
                continue
            self.seen.append(line)
            if needle in line:
                return at - self.started
        tail = "\n".join(self.seen[-20:])
        raise RuntimeError(f"no line {needle!r} within {timeout} s; output:\n{tail}")

    def all_lines(self) -> list[str]:
        """Every line the process printed; call after `stop()` (or once it exited)."""
        self._reader.join(timeout=10)
        while not self.lines.empty():
            self.seen.append(self.lines.get_nowait()[1])
        return self.seen

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        # The reader reaches EOF once the process is gone; then the pipe can be closed.
        self._reader.join(timeout=10)
        if not self._reader.is_alive() and self.popen.stdout is not None:
            self.popen.stdout.close()


def rss_mb(pid: int) -> float:
    return _status_field(pid, "VmRSS") / 1024


def voluntary_switches(pid: int) -> int:
    return _status_field(pid, "voluntary_ctxt_switches")


def cpu_seconds(pid: int) -> float:
    """utime + stime of the whole process (all threads) from /proc/PID/stat."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def thread_switches(pid: int) -> int:
    """Voluntary context switches summed over all threads (each wake-up of any thread)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            text = (task / "status").read_text()
        except OSError:  # the thread ended meanwhile
            continue
        for line in text.splitlines():
            if line.startswith("voluntary_ctxt_switches"):
                total += int(line.split()[1])
    return total


def _status_field(pid: int, name: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{name} missing in /proc/{pid}/status")


def app_argv() -> list[str]:
    return [sys.executable, "-m", "kimai_tray.cli"]


def bare_argv() -> list[str]:
    return [sys.executable, "-c", BARE_TRAY]


def floor_argv() -> list[str]:
    return [sys.executable, "-c", START_FLOOR]


def stack_argv() -> list[str]:
    return [sys.executable, "-c", STACK_TRAY]


@contextmanager
def simulator(seed: str) -> Iterator[str]:
    """`kimai-tray simulator --seed SEED` in its own process, so its CPU/RSS is not counted."""
    proc = Proc([*app_argv(), "simulator", "--seed", seed, "--token", TOKEN], bench_env())
    try:
        proc.wait_line("listening on", timeout=120)
        url = proc.seen[-1].split("listening on", 1)[1].strip()
        yield url
    finally:
        proc.stop()


@contextmanager
def configured_home(url: str) -> Iterator[Home]:
    """A temp home logged in to `url` through the real `kimai-tray login` command."""
    with tempfile.TemporaryDirectory(prefix="kimai-bench-") as tmp:
        env = {
            k: v
            for k, v in bench_env().items()
            if not k.startswith(("KIMAI_TRAY", "PYTHON_KEYRING"))
        }
        env.update(
            KIMAI_TRAY_HOME=str(Path(tmp) / "home"),
            PYTHON_KEYRING_BACKEND="helpers.file_keyring.FileKeyring",
            KIMAI_TRAY_TEST_KEYRING=str(Path(tmp) / "keyring.json"),
            PYTHONPATH=os.pathsep.join([str(ROOT / "tests"), env.get("PYTHONPATH", "")]).rstrip(
                os.pathsep
            ),
            XDG_RUNTIME_DIR=tmp,
        )
        cli(env, "login", "--url", url, stdin=TOKEN + "\n")
        yield Home(env, url)


def cli(env: dict[str, str], *args: str, stdin: str = "") -> str:
    result = subprocess.run(
        [*app_argv(), *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"kimai-tray {args[0]} failed: {result.stderr[-1500:]}")
    return result.stdout
