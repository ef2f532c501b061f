"""A stand-in for a running app on a real Unix socket, misbehaving on purpose.

It plays the app's side of the wire protocol (platform/ipc.py) in a thread of the test process,
so a test can reproduce what a frozen, crashing or healthy app does to a real client:

- "silent": accepts and reads, never answers (an app frozen by SIGSTOP, or hung);
- "ack_then_close": acknowledges, reads the client's confirmation, then closes without a
  result (an app that took the command and died while running it);
- "answer": the whole exchange, answering `answer:<command>`.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import socket
import threading
from pathlib import Path
from types import TracebackType
from typing import Literal

from kimai_tray.platform.ipc import ACK_LINE, IpcResponse

Mode = Literal["silent", "ack_then_close", "answer"]


class FakeApp:
    def __init__(self, path: str | Path, mode: Mode) -> None:
        self.path = str(path)
        self.mode = mode
        self.requests: list[dict[str, object]] = []  # decoded request lines, in order
        self.confirmations = 0
        self._lock = threading.Lock()
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        self._listener.bind(self.path)
        self._listener.listen(8)
        self._stop = threading.Event()
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def __enter__(self) -> FakeApp:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop listening and drop every connection (the socket file stays, like a crash)."""
        self._stop.set()
        self._thread.join(timeout=10)
        self._listener.close()
        for conn in self._held:
            conn.close()

    def seen(self) -> list[str]:
        with self._lock:
            return [str(r.get("command")) for r in self.requests]

    def _serve(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self._listener, selectors.EVENT_READ)
            # The stop flag is checked between short waits: the thread has nothing else to do.
            while not self._stop.is_set():
                if selector.select(timeout=0.05):
                    conn, _ = self._listener.accept()
                    self._held.append(conn)
                    threading.Thread(target=self._talk, args=(conn,), daemon=True).start()

    def _talk(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        try:
            line = reader.readline()
            if not line:
                return
            with self._lock:
                self.requests.append(json.loads(line))
            if self.mode == "silent":
                return  # keep the connection open, say nothing
            conn.sendall(ACK_LINE)
            confirm = reader.readline()
            if confirm:
                with self._lock:
                    self.confirmations += 1
            if self.mode == "ack_then_close":
                conn.shutdown(socket.SHUT_RDWR)
                return
            command = self.requests[-1].get("command")
            conn.sendall(IpcResponse(0, f"answer:{command}\n", "").encode())
        except OSError:
            pass  # the client went away: nothing to answer
        finally:
            reader.close()
