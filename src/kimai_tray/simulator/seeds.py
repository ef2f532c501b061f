"""Deterministic seed data: `demo`, `large` (10k projects / 50k activities) and `empty`."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import TYPE_CHECKING

from kimai_tray.simulator.timefmt import floor_minute

if TYPE_CHECKING:
    from kimai_tray.simulator.kimai2 import SeedName, SimulatorState

_WORDS = ["Alpha", "Beacon", "Cobalt", "Delta", "Ember", "Fjord", "Garnet", "Harbor", "Iris"]
DEMO_TAGS = ("meeting", "remote", "urgent", "review")


def apply_seed(state: SimulatorState, seed: SeedName) -> None:
    if seed == "demo":
        _demo(state)
    elif seed == "large":
        _large(state)
    elif seed != "empty":
        raise ValueError(f"unknown seed {seed!r}")


def _demo(state: SimulatorState) -> None:
    rng = random.Random(42)
    customers = [state.add_customer(f"{w} GmbH") for w in _WORDS[:5]]
    today = state.now().date()
    projects = []
    for i in range(20):
        cust = customers[i % 5]
        kw: dict[str, object] = {}
        if i == 18:  # ended: hidden from /api/projects unless ignoreDates=1
            kw = {"start": date(2019, 1, 1), "end": date(2020, 12, 31)}
        elif i == 19:  # not started yet
            kw = {"start": today + timedelta(days=3650), "end": None}
        projects.append(state.add_project(f"{cust.name.split()[0]} Project {i + 1}", cust.id, **kw))
    for name in ("Meeting", "Support", "Admin", "Travel", "Research"):
        state.add_activity(name, None)  # global activities
    for i in range(25):
        state.add_activity(f"Task {i + 1}", projects[i % 18].id, billable=i % 7 != 0)
    for name in DEMO_TAGS:
        state.add_tag(name)
    _week_of_timesheets(state, rng, [p.id for p in projects[:18]])


def _week_of_timesheets(state: SimulatorState, rng: random.Random, project_ids: list[int]) -> None:
    user = state.admin
    start_day = floor_minute(state.now()).replace(hour=8, minute=0) - timedelta(days=7)
    for day in range(7):
        begin = start_day + timedelta(days=day)
        for _ in range(3):
            pid = rng.choice(project_ids)
            acts = [a.id for a in state.activities.values() if a.project in (pid, None)]
            length = timedelta(minutes=rng.choice((30, 45, 60, 90, 120)))
            state.insert_timesheet(
                user=user.id,
                begin=begin,
                end=begin + length,
                timezone=user.timezone,
                project=pid,
                activity=rng.choice(acts),
                description=rng.choice([None, "worked on it", "call"]),
                tags=[rng.choice(DEMO_TAGS)] if rng.random() < 0.3 else [],
            )
            begin += length + timedelta(minutes=15)


def _large(state: SimulatorState) -> None:
    # Direct dict construction: building 60k entities must stay well under 2 s.
    from kimai_tray.simulator.kimai2 import SimActivity, SimProject

    rng = random.Random(7)
    customers = [state.add_customer(f"Customer {i + 1}") for i in range(200)]
    for i in range(10_000):
        pid = state.next_id("project")
        cust = customers[i % 200].id
        state.projects[pid] = SimProject(pid, f"{rng.choice(_WORDS)} project {i + 1}", cust)
    for i in range(50_000):
        aid = state.next_id("activity")
        project = None if i < 50 else rng.randint(1, 10_000)
        state.activities[aid] = SimActivity(aid, f"Activity {i + 1}", project)
    for name in DEMO_TAGS:
        state.add_tag(name)
