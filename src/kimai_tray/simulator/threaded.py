"""An ASGI app served by uvicorn on 127.0.0.1 in a daemon thread: restartable, same port."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Any, Self

import uvicorn


class ThreadedServer:
    """Base of the Kimai 2 and Kimai 1 simulator servers: subclasses provide `build_asgi()`."""

    thread_name = "simulator"

    def __init__(self, *, host: str, port: int, tls: tuple[str, str | None] | None = None) -> None:
        self.host = host
        self.port = port
        self._tls = tls  # (certfile, keyfile): serve https (TLS tests)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def build_asgi(self) -> Any:
        raise NotImplementedError

    @property
    def url(self) -> str:
        scheme = "https" if self._tls else "http"
        return f"{scheme}://{self.host}:{self.port}"

    def start(self) -> None:
        """Return once the server accepts connections."""
        if self._thread is not None:
            return
        # proto=IPPROTO_TCP: asyncio sets TCP_NODELAY on accepted sockets only when the
        # listener's proto says TCP; with proto 0 Nagle + delayed ACK cost 40 ms a response.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        # SO_REUSEADDR lets a restart bind the same port while old sockets sit in TIME_WAIT.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.build_asgi(),
            log_level="critical",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
            ssl_certfile=self._tls[0] if self._tls else None,
            ssl_keyfile=self._tls[1] if self._tls else None,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=self.thread_name, daemon=True
        )
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                sock.close()
                raise RuntimeError(f"the {self.thread_name} did not start")
            time.sleep(0.005)  # polling another thread's startup flag, not async work
        self._server, self._thread = server, thread

    def stop(self) -> None:
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
