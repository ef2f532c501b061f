"""The running app's clock check: after the first sync that reached Kimai, a clock minutes off
the server's is told once (real client, real HTTP to the simulator, which sends `Date`)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from helpers.simulator_fixtures import SIMULATOR_TOKEN
from kimai_tray.api.credentials import Credentials
from kimai_tray.api.kimai2 import Kimai2Client
from kimai_tray.core.state import TrackerState
from kimai_tray.simulator.server import SimulatorServer
from kimai_tray.ui.clock_warning import ClockWarning


def _client_after_one_answer(simulator: SimulatorServer) -> Kimai2Client:
    client = Kimai2Client(simulator.url, Credentials("token", SIMULATOR_TOKEN))

    async def ping() -> None:
        await client.ping()
        await client.aclose()

    asyncio.run(ping())
    return client


def test_a_skewed_clock_is_told_once_after_the_first_online_state(
    simulator: SimulatorServer,
) -> None:
    client = _client_after_one_answer(simulator)
    told: list[str] = []
    behind = ClockWarning(
        lambda: client, told.append, now=lambda: datetime.now(UTC) - timedelta(minutes=9)
    )
    behind.check(TrackerState(online=False))  # nothing heard from the server yet
    assert told == []
    behind.check(TrackerState(online=True))
    behind.check(TrackerState(online=True))
    assert len(told) == 1 and told[0].startswith("This computer's clock is 9 minutes behind")

    in_step: list[str] = []
    ClockWarning(lambda: client, in_step.append).check(TrackerState(online=True))
    ClockWarning(lambda: None, in_step.append).check(TrackerState(online=True))  # no client
    assert in_step == []
