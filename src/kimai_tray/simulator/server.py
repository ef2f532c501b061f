"""`SimulatorServer`: the Kimai 2 simulator on 127.0.0.1 in a daemon thread, restartable."""

from __future__ import annotations

from typing import Any

from kimai_tray.simulator.app import build_app
from kimai_tray.simulator.kimai2 import SimulatorState
from kimai_tray.simulator.threaded import ThreadedServer

DEFAULT_TOKEN = "demo-token"


class SimulatorServer(ThreadedServer):
    """Serves `state` over real HTTP; port 0 picks a free port, kept across restarts."""

    thread_name = "kimai2-simulator"

    def __init__(
        self,
        state: SimulatorState | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str = DEFAULT_TOKEN,
    ) -> None:
        super().__init__(host=host, port=port)
        self.state = state or SimulatorState(token=token)

    def build_asgi(self) -> Any:
        return build_app(self.state)
