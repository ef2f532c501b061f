"""`SimulatorServer`: the Kimai 2 simulator on 127.0.0.1 in a daemon thread, restartable."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn

from kimai_tray.simulator.app import build_app
from kimai_tray.simulator.kimai2 import SimulatorState

DEFAULT_TOKEN = "demo-token"


class SimulatorServer:
    """Serves `state` over real HTTP; port 0 picks a free port, kept across restarts."""

    def __init__(
        self,
        state: SimulatorState | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str = DEFAULT_TOKEN,
    ) -> None:
        self.state = state or SimulatorState(token=token)
        self.host = host
        self.port = port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

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
            build_app(self.state),
            log_level="critical",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="kimai2-simulator", daemon=True
        )
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                sock.close()
                raise RuntimeError("the Kimai 2 simulator did not start")
            time.sleep(0.005)  # polling another thread's startup flag, not async work
        self._server, self._thread = server, thread

    def stop(self) -> None:
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> SimulatorServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
