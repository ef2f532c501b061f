"""Simulator fixtures (owned by the simulator work; see src/kimai_tray/simulator/)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from kimai_tray.simulator.kimai2 import SimulatorState
from kimai_tray.simulator.server import SimulatorServer

SIMULATOR_TOKEN = "demo-token"  # the seeded admin's Bearer token
PLAIN_TOKEN = "plain-token"  # the seeded ROLE_USER's Bearer token

SimulatorFactory = Callable[..., SimulatorServer]


@pytest.fixture
def simulator_factory() -> Iterator[SimulatorFactory]:
    """`make(seed="demo", timezone=..., rounding=True, ...)` -> a started SimulatorServer."""
    servers: list[SimulatorServer] = []

    def make(**state_options: Any) -> SimulatorServer:
        state_options.setdefault("token", SIMULATOR_TOKEN)
        server = SimulatorServer(SimulatorState(**state_options))
        server.start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def simulator(simulator_factory: SimulatorFactory) -> SimulatorServer:
    """A running simulator: demo seed, rounding on, admin token SIMULATOR_TOKEN."""
    return simulator_factory(seed="demo")


@pytest.fixture
def empty_simulator(simulator_factory: SimulatorFactory) -> SimulatorServer:
    return simulator_factory(seed="empty")
