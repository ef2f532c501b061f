"""Core fixtures: a real SQLite outbox/catalog in tmp_path, a FakeClock and a FakeBackend."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from helpers.fake_backend import FakeBackend
from helpers.fake_clock import FakeClock
from kimai_tray.core.catalog import Catalog
from kimai_tray.core.outbox import Outbox
from kimai_tray.core.tracker import Tracker


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def backend(clock: FakeClock) -> FakeBackend:
    return FakeBackend(clock)


@pytest.fixture
def make_tracker(
    tmp_path: Path, clock: FakeClock, backend: FakeBackend
) -> Iterator[Callable[..., Tracker]]:
    """Build a Tracker over the same database files (call again to simulate a restart)."""
    opened: list[tuple[Outbox, Catalog]] = []

    def build(*, online: bool = True) -> Tracker:
        outbox = Outbox(tmp_path / "outbox.sqlite")
        catalog = Catalog(tmp_path / "catalog.sqlite", today=lambda: clock.now().date())
        opened.append((outbox, catalog))
        return Tracker(
            outbox,
            catalog,
            clock,
            backend=backend if online else None,
            rng=random.Random(7),
            sleep=clock.sleep,
        )

    yield build
    for outbox, catalog in opened:
        outbox.close()
        catalog.close()


@pytest.fixture
def tracker(make_tracker: Callable[..., Tracker]) -> Tracker:
    """A tracker with the FakeBackend's catalog loaded, online."""
    built = make_tracker()
    asyncio.run(built.refresh_catalog())
    return built
