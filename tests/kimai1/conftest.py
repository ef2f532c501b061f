"""Fixtures for the Kimai 1 tests: a real Kimai 1 simulator on 127.0.0.1 with a steppable clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from kimai_tray.simulator.kimai1 import Kimai1Options, Kimai1SimulatorServer, Kimai1State

PASSWORD = "s3cret-Pa55word"


@dataclass
class SteppedClock:
    """Unix seconds that only move when a test says so."""

    now: float = 1_795_000_000.0  # 2026-11-18, a whole minute plus 40 s

    def __call__(self) -> float:
        return self.now


MakeServer = Callable[..., Kimai1SimulatorServer]


@pytest.fixture
def clock() -> SteppedClock:
    return SteppedClock()


@pytest.fixture
def make_server(clock: SteppedClock) -> Iterator[MakeServer]:
    servers: list[Kimai1SimulatorServer] = []

    def make(**options: object) -> Kimai1SimulatorServer:
        opts = Kimai1Options(**{"password": PASSWORD, **options})  # type: ignore[arg-type]
        server = Kimai1SimulatorServer(Kimai1State(opts, clock=clock))
        server.start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def server(make_server: MakeServer) -> Kimai1SimulatorServer:
    return make_server()
