"""Plain httpx clients against the running simulator."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from helpers.simulator_fixtures import PLAIN_TOKEN, SIMULATOR_TOKEN
from kimai_tray.simulator.server import SimulatorServer


@pytest.fixture
def admin(simulator: SimulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=simulator.url, headers={"Authorization": f"Bearer {SIMULATOR_TOKEN}"}
    ) as client:
        yield client


@pytest.fixture
def plain(simulator: SimulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=simulator.url, headers={"Authorization": f"Bearer {PLAIN_TOKEN}"}
    ) as client:
        yield client
