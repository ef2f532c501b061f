"""Where a CLI command's output goes: the terminal, or a buffer sent back over IPC.

The same command code runs in the `kimai-tray` process and inside the running app (for a
command forwarded over the single-instance socket). Commands write through `say`/`warn`;
`capture()` collects that output for one command. The buffer lives in a ContextVar, so two
commands the app answers at the same time (each in its own asyncio task, hence its own
context copy) never mix their output, and nothing global like `sys.stdout` is swapped.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class CommandResult:
    """What a command produced: exit code and the text for stdout and stderr."""

    exit_code: int
    stdout: str = ""
    stderr: str = ""

    def emit(self) -> int:
        """Write the texts to this process's streams; returns the exit code."""
        if self.stderr:
            sys.stderr.write(self.stderr)
            sys.stderr.flush()
        if self.stdout:
            sys.stdout.write(self.stdout)
            sys.stdout.flush()
        return self.exit_code


@dataclass(slots=True)
class Capture:
    stdout: io.StringIO = field(default_factory=io.StringIO)
    stderr: io.StringIO = field(default_factory=io.StringIO)

    def result(self, exit_code: int) -> CommandResult:
        return CommandResult(exit_code, self.stdout.getvalue(), self.stderr.getvalue())


_current: ContextVar[Capture | None] = ContextVar("kimai_tray_command_output", default=None)


def say(text: str = "") -> None:
    """One line of normal output."""
    capture = _current.get()
    print(text, file=capture.stdout if capture is not None else sys.stdout)


def warn(text: str) -> None:
    """One line for stderr (errors and warnings)."""
    capture = _current.get()
    print(text, file=capture.stderr if capture is not None else sys.stderr)


@contextmanager
def capture() -> Iterator[Capture]:
    """Collect `say`/`warn` output of the current context until the block ends."""
    buffer = Capture()
    token = _current.set(buffer)
    try:
        yield buffer
    finally:
        _current.reset(token)
