"""Single running instance, driven by the command line over a per-user local socket.

The first `kimai-tray` owns a `QLocalServer`. Later invocations *connect first*: measured on Qt
6.12, `QLocalServer.listen()` succeeds even while another instance listens (it silently takes the
socket over), so listen() cannot detect a running instance. The connect-then-listen race between
two starting apps is closed by a `QLockFile` held for the app's lifetime; Qt treats the lock of a
killed process as stale, so a crashed app is replaced.

Wire format (like qutebrowser's ipc.py): one JSON object per line.
    client: {"protocol_version": 2, "command": "toggle", "args": {...}}
    app:    {"protocol_version": 2, "accepted": true}           (read and decoded; not run yet)
    client: {"protocol_version": 2, "confirmed": true}
    app:    {"protocol_version": 2, "exit_code": 0, "stdout": "...", "stderr": "..."}

The acknowledgement tells the client whether the app took the command: without it, "no reply"
could mean "never ran" or "ran, then the app died", and acting again could toggle twice. The
client's confirmation closes the other half of that gap: an app that was frozen (SIGSTOP, swap)
while the client gave up finds the request in its socket buffer later, but without a
confirmation it never runs it, so "nothing was changed" stays true. Version-1 clients (no
confirmation) still get the old request -> result exchange.

On Linux/macOS the socket is a plain Unix socket at a full path inside a per-user 0700
directory, so the CLI client needs no Qt at all (`send_request`); on Windows Qt's named pipes
are used through `QLocalSocket`. Both clients run the same exchange (`_exchange`).
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
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

PROTOCOL_VERSION = 2
_LEGACY_VERSION = 1  # request -> result, no acknowledgement
_MAX_MESSAGE = 1 << 20
ACK_TIMEOUT_S = 5.0  # an app that is alive reads and acknowledges a request in milliseconds
_CONNECT_TIMEOUT_S = 0.5

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class IpcRequest:
    command: str
    args: dict[str, Any] = field(default_factory=dict)
    protocol_version: int = PROTOCOL_VERSION

    def encode(self) -> bytes:
        payload = {
            "protocol_version": self.protocol_version,
            "command": self.command,
            "args": self.args,
        }
        return json.dumps(payload).encode() + b"\n"

    @classmethod
    def decode(cls, line: bytes) -> IpcRequest:
        data = json.loads(line)
        if not isinstance(data, dict) or not isinstance(data.get("command"), str):
            raise ValueError("not a kimai-tray request")
        args = data.get("args") or {}
        if not isinstance(args, dict):
            raise ValueError("args must be an object")
        version = data.get("protocol_version", _LEGACY_VERSION)
        if not isinstance(version, int):
            raise ValueError("protocol_version must be a number")
        return cls(command=data["command"], args=args, protocol_version=version)


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
        if not isinstance(data, dict):
            raise ValueError("not a kimai-tray response")
        return cls(
            exit_code=int(data.get("exit_code", 1)),
            stdout=str(data.get("stdout", "")),
            stderr=str(data.get("stderr", "")),
        )


ACK_LINE = json.dumps({"protocol_version": PROTOCOL_VERSION, "accepted": True}).encode() + b"\n"
CONFIRM_LINE = (
    json.dumps({"protocol_version": PROTOCOL_VERSION, "confirmed": True}).encode() + b"\n"
)


def _is_flag(line: bytes, key: str) -> bool:
    """True when `line` is a JSON object with `key: true` (the ack or the confirmation)."""
    try:
        data = json.loads(line)
    except ValueError:
        return False
    return isinstance(data, dict) and data.get(key) is True


class IpcError(Exception):
    """The running app was reached but the exchange did not complete."""

    def __init__(self, server_name: str, command: str) -> None:
        super().__init__(f"{command} via {server_name}")
        self.command = command


class AppNotRespondingError(IpcError):
    """An app is alive on the socket but did not take the command: it was not run."""


class AppStoppedAnsweringError(IpcError):
    """The app took the command, then gave no result: it may or may not have run."""


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
        base = runtime_dir or Path(_temp_dir())
        return name, base / f"{name}.lock"
    base = runtime_dir or _private_runtime_dir()
    return str(base / f"{name}.sock"), base / f"{name}.lock"


def _temp_dir() -> str:
    # Imported here: tempfile pulls in random and shutil, and the usual path (XDG_RUNTIME_DIR)
    # needs none of them before the first tray icon.
    import tempfile

    return tempfile.gettempdir()


def _private_runtime_dir() -> Path:
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    if xdg and Path(xdg).is_dir():
        return Path(xdg)
    path = Path(_temp_dir()) / f"kimai-tray-{_user_id()}"
    path.mkdir(mode=0o700, exist_ok=True)
    # Another user could have created it first: refuse to use a directory we do not own.
    stat = path.stat()
    if hasattr(os, "getuid") and stat.st_uid != os.getuid():
        raise PermissionError(f"{path} belongs to another user")
    path.chmod(0o700)
    return path


class _Channel(Protocol):
    """One connection to the app, as the exchange needs it (Unix socket or Qt named pipe)."""

    def send(self, data: bytes) -> bool:
        """Write all of `data`; False when the app closed its end."""
        ...

    def read_line(self, timeout: float) -> bytes | None:
        """The next line (without newline); None on timeout, close or error."""
        ...


def send_request(
    server_name: str,
    request: IpcRequest,
    *,
    timeout: float = 30.0,
    ack_timeout: float = ACK_TIMEOUT_S,
) -> IpcResponse | None:
    """Send one request to a running app and return its result.

    None means no app will run it: nobody listens (no socket file, or a stale one from a
    crashed app), or the app went away before taking it; the caller may act itself.
    Raises AppNotRespondingError when an app is alive but did not take the request within
    `ack_timeout`, and AppStoppedAnsweringError when it took it but gave no result: in both
    cases the caller must not act itself (the app owns the outbox, or may have acted already).
    """
    if sys.platform == "win32":  # pragma: no cover - Windows uses Qt named pipes
        return _send_request_qt(server_name, request, timeout, ack_timeout)
    sock = _connect_unix(server_name)
    if sock is None:
        return None
    with sock:
        return _exchange(
            _UnixChannel(sock),
            request,
            server_name=server_name,
            timeout=timeout,
            ack_timeout=ack_timeout,
            app_gone=lambda: _unix_app_gone(server_name),
        )


def _exchange(
    channel: _Channel,
    request: IpcRequest,
    *,
    server_name: str,
    timeout: float,
    ack_timeout: float,
    app_gone: Callable[[], bool],
) -> IpcResponse | None:
    """Request, ack, confirmation, result; see the module docstring for why each step."""

    def not_taken(why: str) -> IpcResponse | None:
        # The app did not take the command. Gone (crashed, quit): nobody writes the outbox,
        # so the caller may act. Alive (frozen, busy): acting would make a second writer.
        if app_gone():
            log.info("the app went away without taking %s (%s)", request.command, why)
            return None
        log.warning("the running app did not take %s (%s)", request.command, why)
        raise AppNotRespondingError(server_name, request.command)

    def answer(line: bytes) -> IpcResponse:
        try:
            return IpcResponse.decode(line)
        except (ValueError, TypeError):
            log.warning("the running app answered %s with garbage", request.command)
            raise AppStoppedAnsweringError(server_name, request.command) from None

    if not channel.send(request.encode()):
        return not_taken("closed before the request")
    first = channel.read_line(min(ack_timeout, timeout))
    if first is None:
        return not_taken(f"no acknowledgement within {min(ack_timeout, timeout):.1f} s")
    if not _is_flag(first, "accepted"):
        # A direct answer: a refused (bad) request, or an app speaking protocol 1.
        return answer(first)
    if not channel.send(CONFIRM_LINE):
        # It closed before our confirmation arrived, so it cannot have run the command.
        return not_taken("closed after the acknowledgement")
    result = channel.read_line(timeout)
    if result is None:
        log.warning("the running app took %s but gave no result", request.command)
        raise AppStoppedAnsweringError(server_name, request.command)
    return answer(result)


def _connect_unix(server_name: str) -> socket.socket | None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(_CONNECT_TIMEOUT_S)
    try:
        sock.connect(server_name)
    except OSError:
        sock.close()
        return None  # nobody listens: no socket file, or a stale one from a crashed app
    return sock


def _unix_app_gone(server_name: str) -> bool:
    # A frozen app still accepts connections (the kernel queues them); a dead or quitting one
    # refuses them, and its lock is released with it.
    sock = _connect_unix(server_name)
    if sock is None:
        return True
    sock.close()
    return False


class _UnixChannel:
    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buffer = bytearray()

    def send(self, data: bytes) -> bool:
        try:
            self._sock.settimeout(_CONNECT_TIMEOUT_S)
            self._sock.sendall(data)
        except OSError:
            return False
        return True

    def read_line(self, timeout: float) -> bytes | None:
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or len(self._buffer) > _MAX_MESSAGE:
                return None
            self._sock.settimeout(left)
            try:
                chunk = self._sock.recv(65536)
            except OSError:  # includes the timeout
                return None
            if not chunk:
                return None
            self._buffer.extend(chunk)
        line, _, rest = bytes(self._buffer).partition(b"\n")
        self._buffer[:] = rest
        return line


def _send_request_qt(
    server_name: str, request: IpcRequest, timeout: float, ack_timeout: float
) -> IpcResponse | None:  # pragma: no cover - exercised on Windows only
    from PySide6.QtNetwork import QLocalSocket

    def connect() -> QLocalSocket | None:
        sock = QLocalSocket()
        sock.connectToServer(server_name)
        if not sock.waitForConnected(int(_CONNECT_TIMEOUT_S * 1000)):
            return None
        return sock

    def app_gone() -> bool:
        probe = connect()
        if probe is None:
            return True
        probe.abort()
        return False

    sock = connect()
    if sock is None:
        return None
    try:
        return _exchange(
            _QtChannel(sock),
            request,
            server_name=server_name,
            timeout=timeout,
            ack_timeout=ack_timeout,
            app_gone=app_gone,
        )
    finally:
        sock.abort()


class _QtChannel:  # pragma: no cover - exercised on Windows only
    def __init__(self, sock: Any) -> None:
        self._sock = sock
        self._buffer = bytearray()

    def send(self, data: bytes) -> bool:
        from PySide6.QtNetwork import QLocalSocket

        if self._sock.state() != QLocalSocket.LocalSocketState.ConnectedState:
            return False
        if self._sock.write(data) != len(data):
            return False
        self._sock.waitForBytesWritten(int(_CONNECT_TIMEOUT_S * 1000))
        return bool(self._sock.bytesToWrite() == 0)

    def read_line(self, timeout: float) -> bytes | None:
        deadline = time.monotonic() + timeout
        self._buffer.extend(bytes(self._sock.readAll().data()))
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or len(self._buffer) > _MAX_MESSAGE:
                return None
            if not self._sock.waitForReadyRead(max(1, int(left * 1000))):
                return None
            self._buffer.extend(bytes(self._sock.readAll().data()))
        line, _, rest = bytes(self._buffer).partition(b"\n")
        self._buffer[:] = rest
        return line


class AlreadyRunningError(Exception):
    """Another kimai-tray owns this config home and answers on its socket."""


@dataclass(slots=True)
class _Peer:
    """One client connection: bytes not yet a line, and the request awaiting confirmation."""

    buffer: bytearray = field(default_factory=bytearray)
    accepted: IpcRequest | None = None


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
        self._connections: dict[Any, _Peer] = {}

    def acquire(self) -> None:
        """Take the lock and listen; raise AlreadyRunningError if another app answers."""
        from PySide6.QtNetwork import QLocalServer

        try:
            answered = send_request(self.server_name, IpcRequest("ping"), timeout=2.0)
        except IpcError:
            answered = None  # alive but frozen: its lock below says it still owns the home
        if answered is not None:
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
            self._connections[conn] = _Peer()
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
        peer = self._connections.get(conn)
        if peer is None:
            return
        peer.buffer.extend(bytes(conn.readAll().data()))
        while b"\n" in peer.buffer and conn in self._connections:
            line, _, rest = bytes(peer.buffer).partition(b"\n")
            peer.buffer[:] = rest
            self._on_line(conn, peer, line)
        if len(peer.buffer) > _MAX_MESSAGE:
            self._drop(conn)

    def _on_line(self, conn: Any, peer: _Peer, line: bytes) -> None:
        if peer.accepted is not None:
            request, peer.accepted = peer.accepted, None
            if _is_flag(line, "confirmed"):
                self._run(conn, request)
            else:
                log.warning("IPC %s: no confirmation from the client; not run", request.command)
                self._drop(conn)
            return
        try:
            request = IpcRequest.decode(line)
        except ValueError as exc:
            self._reply(conn, IpcResponse(2, "", f"kimai-tray: bad request ({exc})\n"))
            return
        if request.protocol_version <= _LEGACY_VERSION:
            self._run(conn, request)  # an older client: no acknowledgement step
            return
        # Taken, not run: it runs only once the client confirms it is still waiting.
        peer.accepted = request
        conn.write(ACK_LINE)
        conn.flush()

    def _run(self, conn: Any, request: IpcRequest) -> None:
        task = asyncio.ensure_future(self._answer(conn, request))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _reply(self, conn: Any, response: IpcResponse) -> None:
        if conn in self._connections:  # the client may have gone away meanwhile
            conn.write(response.encode())
            conn.flush()

    async def _answer(self, conn: Any, request: IpcRequest) -> None:
        if request.command == "ping":
            response = IpcResponse(0, "pong\n", "")
        else:
            try:
                response = await self._handler(request)
            except Exception:  # the app must survive a failing command
                log.exception("IPC command %s failed", request.command)
                response = IpcResponse(1, "", "kimai-tray: the command failed; see the log.\n")
        self._reply(conn, response)
