"""The settings/wizard "Test connection" against the Kimai 2 simulator over real HTTP:
a working login with a wrong computer clock succeeds, and says what is wrong with the clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from helpers.fake_clock import FakeClock
from helpers.simulator_fixtures import SIMULATOR_TOKEN
from kimai_tray.simulator.server import SimulatorServer
from kimai_tray.ui.connection import ConnectionDraft, check_connection


def test_a_skewed_clock_is_reported_with_a_working_login(simulator: SimulatorServer) -> None:
    draft = ConnectionDraft(simulator.url, "token", SIMULATOR_TOKEN)
    in_step = asyncio.run(check_connection(draft))
    behind = FakeClock(datetime.now(UTC) - timedelta(minutes=7))
    skewed = asyncio.run(check_connection(draft, clock=behind))
    assert in_step.ok and skewed.ok
    assert "clock" not in in_step.sentence
    first, second = skewed.sentence.splitlines()
    assert first == in_step.sentence
    assert second.startswith("This computer's clock is 7 minutes behind")
