"""A real tray to run the app on, as users do: Xvfb on a free display + trayer as the tray host.

Under `offscreen` Qt reports no system tray, so the app takes its no-tray fallback (the whole
popup as a window). The desktop figures run the app and the baseline here instead, with
`QT_QPA_PLATFORM=xcb`, and check the app's log that the tray was really used.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from bench.common import bench_env

TOOLS = ("Xvfb", "trayer")
TRAY_USED = "tray shown"
NO_TRAY = "no system tray available"
TRAYER = ["trayer", "--edge", "top", "--align", "right", "--widthtype", "request",
          "--height", "32", "--transparent", "false", "--SetDockType", "true"]  # fmt: skip
READY_S = 20.0  # Xvfb + trayer on a loaded 2-core machine

# Waits until a tray host owns the X tray selection, as Qt sees it (the same check the app does).
TRAY_PROBE = f"""
import sys, time
from PySide6.QtWidgets import QApplication, QSystemTrayIcon
app = QApplication(sys.argv)
deadline = time.monotonic() + {READY_S}
while not QSystemTrayIcon.isSystemTrayAvailable():
    if time.monotonic() > deadline:
        sys.exit("no tray host within {READY_S} s")
    app.processEvents()
    time.sleep(0.05)  # a bounded readiness poll of another process
print("tray available", flush=True)
"""


class TrayNotUsedError(RuntimeError):
    """A desktop figure would measure the no-tray fallback: fail loudly, never fall back."""


@dataclass(frozen=True)
class Desktop:
    """An X display with a tray host on it."""

    display: str

    def env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """`base` (default: the bench env) moved from `offscreen` onto this display."""
        env = dict(base if base is not None else bench_env())
        env["QT_QPA_PLATFORM"] = "xcb"
        env["DISPLAY"] = self.display
        # No session bus: Qt docks through XEmbed into trayer, for the app and the baseline alike
        # (with a StatusNotifierWatcher on a bus it would use that instead).
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        env.pop("WAYLAND_DISPLAY", None)
        return env


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def check_tray_used(lines: Sequence[str], what: str) -> None:
    """Raise unless the log says the tray icon was shown and never says there is no tray."""
    if any(NO_TRAY in line for line in lines) or not any(TRAY_USED in line for line in lines):
        tail = "\n".join(lines[-20:])
        raise TrayNotUsedError(f"{what} did not use the tray (want {TRAY_USED!r}); log:\n{tail}")


@contextmanager
def real_tray() -> Iterator[Desktop]:
    """Xvfb on a display it picks itself, trayer on it, and a tray Qt can see."""
    xvfb, display = start_xvfb()
    desktop = Desktop(display)
    env = desktop.env()
    trayer = subprocess.Popen(TRAYER, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        probe = subprocess.run(
            [sys.executable, "-c", TRAY_PROBE],
            env=env,
            capture_output=True,
            text=True,
            timeout=READY_S + 30,
            check=False,
        )
        if probe.returncode != 0:
            raise TrayNotUsedError(f"trayer on {display} is not a tray host: {probe.stderr[-500:]}")
        yield desktop
    finally:
        for proc in (trayer, xvfb):
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def start_xvfb() -> tuple[subprocess.Popen[bytes], str]:
    # `-displayfd`: Xvfb picks a free display and writes its number once it accepts clients,
    # so there is no race on display numbers and no readiness poll (tests/helpers uses it too).
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        pass_fds=(write_fd,),
    )
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as pipe:
        number = pipe.readline().strip().decode()
    if not number:
        proc.kill()
        proc.wait()
        raise RuntimeError("Xvfb did not start")
    return proc, f":{number}"
