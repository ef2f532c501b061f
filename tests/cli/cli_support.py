"""The `Cli` runner and the simulator subprocess of the CLI tests (a plain module, so tests
can import the types)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Cli:
    home: Path
    keyring_file: Path
    env: dict[str, str]

    def run(
        self, *args: str, stdin: str | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "kimai_tray.cli", *args],
            env=self.env,
            input=stdin if stdin is not None else "",
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def all_files_text(self) -> str:
        """Every file kimai-tray wrote under its home (config, logs, databases) as text."""
        chunks = []
        for path in self.home.rglob("*"):
            if path.is_file():
                chunks.append(path.read_bytes().decode("utf-8", "replace"))
        return "\n".join(chunks)


TOKEN = "cli-test-token-5e1f0c9a7b"


class SimulatorProcess:
    """`kimai-tray simulator` as a subprocess; `url` comes from its `listening on` line."""

    def __init__(self, *options: str, token: str = TOKEN) -> None:
        argv = ["simulator", *options, "--port", "0", "--token", token]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kimai_tray.cli", *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        assert self.proc.stdout is not None
        self.url = ""
        for line in self.proc.stdout:  # blocks until the server prints its address
            if "listening on" in line:
                self.url = line.split("listening on", 1)[1].strip()
                break
        if not self.url.startswith("http://127.0.0.1:"):
            self.stop()
            raise AssertionError("simulator did not report its URL")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
