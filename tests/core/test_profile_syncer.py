"""ProfileSyncer: a left profile keeps syncing until its outbox is empty, then is released.

Real SQLite outbox/catalog; the server is the in-process FakeBackend (its `down` flag is the
outage); time is the FakeClock, so back-off waits cost nothing.
"""

from __future__ import annotations

import asyncio

from helpers.fake_backend import FakeBackend
from helpers.fake_clock import FakeClock
from kimai_tray.core.profiles import ProfileSyncer
from kimai_tray.core.tracker import Tracker


def _first_pair(backend: FakeBackend) -> tuple[int, int]:
    project = asyncio.run(backend.projects())[0]
    activity = next(
        a for a in asyncio.run(backend.activities()) if a.project_id in (None, project.id)
    )
    return project.id, activity.id


def test_drains_through_an_outage_then_releases(
    tracker: Tracker, backend: FakeBackend, clock: FakeClock
) -> None:
    project_id, activity_id = _first_pair(backend)
    released: list[Tracker] = []

    async def release(t: Tracker) -> None:
        released.append(t)

    async def run() -> None:
        backend.down = True
        tracker.start(project_id, activity_id, "left behind")
        tracker.stop()
        syncer = ProfileSyncer(release, retry_s=5.0, sleep=clock.sleep)
        syncer.hand_over("work", tracker)
        assert syncer.names == ["work"] and syncer.pending("work") >= 1
        for _ in range(20):  # a few failed rounds while the server is down
            await asyncio.sleep(0)
        assert not released
        backend.down = False
        await asyncio.wait_for(syncer.wait_idle("work"), 10)

    asyncio.run(run())
    assert released == [tracker] and tracker.state.pending == 0
    assert [s.description for s in backend.sheets.values()] == ["left behind"]


def test_switching_back_takes_the_same_tracker_without_releasing_it(
    tracker: Tracker, backend: FakeBackend, clock: FakeClock
) -> None:
    project_id, activity_id = _first_pair(backend)
    released: list[Tracker] = []

    async def release(t: Tracker) -> None:
        released.append(t)

    async def run() -> None:
        backend.down = True
        tracker.start(project_id, activity_id)
        syncer = ProfileSyncer(release, sleep=clock.sleep)
        syncer.hand_over("work", tracker)
        await asyncio.sleep(0)
        assert syncer.take("work") is tracker
        assert syncer.names == [] and syncer.take("work") is None
        await syncer.aclose()

    asyncio.run(run())
    assert released == []  # the caller owns it again
    assert tracker.state.pending >= 1  # still queued: the active profile's supervisor sends it
