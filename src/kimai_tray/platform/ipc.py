"""Single running instance, driven by the command line over a per-user local socket.

The first `kimai-tray` owns a `QLocalServer`. Later invocations *connect first*: measured on Qt
6.12, `QLocalServer.listen()` succeeds even while another instance listens (it silently takes the
socket over), so listen() cannot detect a running instance. The connect-then-listen race between
two starting apps is closed by a `QLockFile` held for the app's lifetime; Qt treats the lock of a
killed process as stale, so a crashed app is replaced.

Wire format (like qutebrowser's ipc.py): one JSON object per line.
    request:  {"protocol_version": 1, "command": "toggle", "args": {...}}
    response: {"protocol_version": 1, "exit_code": 0, "stdout": "...", "stderr": "..."}

On Linux/macOS the socket is a plain Unix socket at a full path inside a per-user 0700
directory, so the CLI client needs no Qt at all (`send_request`); on Windows Qt's named pipes
are used through `QLocalSocket`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import socket
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROTOCOL_VERSION = 1
_MAX_MESSAGE = 1 << 20

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class IpcRequest:
    command: str
    args: dict[str, Any] = field(default_factory=dict)

    def encode(self) -> bytes:
        payload = {"protocol_version": PROTOCOL_VERSION, "command": self.command, "args": self.args}
        return json.dumps(payload).encode() + b"\n"

    @classmethod
    def decode(cls, line: bytes) -> IpcRequest:
        data = json.loads(line)
        if not isinstance(data, dict) or not isinstance(data.get("command"), str):
            raise ValueError("not a kimai-tray request")
        args = data.get("args") or {}
        if not isinstance(args, dict):
            raise ValueError("args must be an object")
        return cls(command=data["command"], args=args)


@dataclass(frozen=True, slots=True)
class IpcResponse:
    exit_code: int = 0
    stdout: str = ""
    stderr: str = ""

    def encode(self) -> bytes:
        payload = {
            "protocol_version": PROTOCOL_VERSION,
            "exit_code": self.exit_code,
            "stdout": self.stdout,
            "stderr": self.stderr,
        }
        return json.dumps(payload).encode() + b"\n"

    @classmethod
    def decode(cls, line: bytes) -> IpcResponse:
        data = json.loads(line)
        return cls(
            exit_code=int(data.get("exit_code", 1)),
            stdout=str(data.get("stdout", "")),
            stderr=str(data.get("stderr", "")),
        )


Handler = Callable[[IpcRequest], Awaitable[IpcResponse]]


def _user_id() -> str:
    if hasattr(os, "getuid"):
        return str(os.getuid())
    return os.environ.get("USERNAME", "user")  # pragma: no cover - Windows


def socket_location(config_dir: Path, runtime_dir: Path | None = None) -> tuple[str, Path]:
    """The server name (a full path on Unix) and the lock file, per user and per config home.

    Unix socket paths are limited to ~104 bytes, so the name is a short hash in a short
    per-user directory rather than a path under a possibly long config home.
    """
    digest = hashlib.sha256(str(config_dir.resolve()).encode()).hexdigest()[:12]
    name = f"kimai-tray-{_user_id()}-{digest}"
    if sys.platform == "win32":  # pragma: no cover - named pipes live in their own namespace
        base = runtime_dir or Path(tempfile.gettempdir())
        return name, base / f"{name}.lock"
    base = runtime_dir or _private_runtime_dir()
    return str(base / f"{name}.sock"), base / f"{name}.lock"


def _private_runtime_dir() -> Path:
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    if xdg and Path(xdg).is_dir():
        return Path(xdg)
    path = Path(tempfile.gettempdir()) / f"kimai-tray-{_user_id()}"
    path.mkdir(mode=0o700, exist_ok=True)
    # Another user could have created it first: refuse to use a directory we do not own.
    stat = path.stat()
    if hasattr(os, "getuid") and stat.st_uid != os.getuid():
        raise PermissionError(f"{path} belongs to another user")
    path.chmod(0o700)
    return path


def send_request(
    server_name: str, request: IpcRequest, *, timeout: float = 30.0
) -> IpcResponse | None:
    """Send one request to a running app; None when no app is listening (or it is stale)."""
    if sys.platform == "win32":  # pragma: no cover - Windows uses Qt named pipes
        return _send_request_qt(server_name, request, timeout)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(0.5)
        try:
            sock.connect(server_name)
        except OSError:
            return None  # nobody listens: no socket file, or a stale one from a crashed app
        sock.settimeout(timeout)
        sock.sendall(request.encode())
        reply = _read_line(sock)
    finally:
        sock.close()
    if reply is None:
        return None
    return IpcResponse.decode(reply)


def _read_line(sock: socket.socket) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        try:
            chunk = sock.recv(65536)
        except OSError:
            return None
        if not chunk:
            return None
        chunks.append(chunk)
        size += len(chunk)
        if b"\n" in chunk or size > _MAX_MESSAGE:
            return b"".join(chunks).split(b"\n", 1)[0]


def _send_request_qt(
    server_name: str, request: IpcRequest, timeout: float
) -> IpcResponse | None:  # pragma: no cover - exercised on Windows only
    from PySide6.QtNetwork import QLocalSocket

    sock = QLocalSocket()
    sock.connectToServer(server_name)
    if not sock.waitForConnected(500):
        return None
    sock.write(request.encode())
    sock.waitForBytesWritten(int(timeout * 1000))
    data = b""
    while b"\n" not in data:
        if not sock.waitForReadyRead(int(timeout * 1000)):
            return None
        data += bytes(sock.readAll().data())
    sock.disconnectFromServer()
    return IpcResponse.decode(data.split(b"\n", 1)[0])


class AlreadyRunningError(Exception):
    """Another kimai-tray owns this config home and answers on its socket."""


class InstanceServer:
    """Owns the single-instance lock and socket, and answers requests with `handler`.

    Qt objects are created here (not at import) so the CLI path never loads Qt.
    """

    def __init__(self, server_name: str, lock_path: Path, handler: Handler) -> None:
        from PySide6.QtCore import QLockFile
        from PySide6.QtNetwork import QLocalServer

        self.server_name = server_name
        self._handler = handler
        self._lock = QLockFile(str(lock_path))
        # 0: a lock is stale only when its process is gone (Qt checks the PID), never by age.
        self._lock.setStaleLockTime(0)
        self._server = QLocalServer()
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._on_new_connection)
        self._tasks: set[asyncio.Task[None]] = set()
        self._connections: dict[Any, bytearray] = {}

    def acquire(self) -> None:
        """Take the lock and listen; raise AlreadyRunningError if another app answers."""
        from PySide6.QtNetwork import QLocalServer

        if send_request(self.server_name, IpcRequest("ping"), timeout=2.0) is not None:
            raise AlreadyRunningError(self.server_name)
        if not self._lock.tryLock(2000):
            raise AlreadyRunningError(self.server_name)
        # Connect failed and we hold the lock: any socket file left behind is stale.
        QLocalServer.removeServer(self.server_name)
        if not self._server.listen(self.server_name):
            self._lock.unlock()
            raise OSError(f"cannot listen on {self.server_name}: {self._server.errorString()}")
        log.info("single-instance socket listening")

    def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        # Delete live connections ourselves before the server goes: letting the server's
        # destructor delete its children while a deleteLater is queued crashed PySide6.
        for conn in list(self._connections):
            self._drop(conn)
        self._server.close()
        self._lock.unlock()

    def _on_new_connection(self) -> None:
        while self._server.hasPendingConnections():
            conn = self._server.nextPendingConnection()
            conn.setParent(None)
            self._connections[conn] = bytearray()
            conn.readyRead.connect(lambda conn=conn: self._on_ready(conn))
            conn.disconnected.connect(lambda conn=conn: self._drop(conn))

    def _drop(self, conn: Any) -> None:
        if self._connections.pop(conn, None) is None:
            return
        with contextlib.suppress(RuntimeError, TypeError):
            conn.readyRead.disconnect()
            conn.disconnected.disconnect()
        conn.abort()
        conn.deleteLater()

    def _on_ready(self, conn: Any) -> None:
        buffer = self._connections.get(conn)
        if buffer is None:
            return
        buffer.extend(bytes(conn.readAll().data()))
        if b"\n" not in buffer:
            if len(buffer) > _MAX_MESSAGE:
                self._drop(conn)
            return
        line = bytes(buffer).split(b"\n", 1)[0]
        buffer.clear()
        task = asyncio.ensure_future(self._answer(conn, line))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _answer(self, conn: Any, line: bytes) -> None:
        try:
            request = IpcRequest.decode(line)
        except ValueError as exc:
            response = IpcResponse(2, "", f"kimai-tray: bad request ({exc})\n")
        else:
            if request.command == "ping":
                response = IpcResponse(0, "pong\n", "")
            else:
                try:
                    response = await self._handler(request)
                except Exception:  # the app must survive a failing command
                    log.exception("IPC command %s failed", request.command)
                    response = IpcResponse(1, "", "kimai-tray: the command failed; see the log.\n")
        if conn in self._connections:  # the client may have gone away meanwhile
            conn.write(response.encode())
            conn.flush()
