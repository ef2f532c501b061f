"""Reliability suite plumbing (a plugin, loaded from tests/conftest.py): `--soak` and the summary.

Loaded as a plugin rather than from tests/reliability/conftest.py because pytest only accepts
command-line options from conftests it loads before parsing: `pytest --soak` must work for the
whole suite, not just when tests/reliability is named on the command line.

Every test that drives real work records it in `ReliabilityStats` (runs, faults injected,
entries checked, lost, duplicated); the session prints one line at the end, to the terminal
reporter so it shows without `-s`:
`reliability: runs=N faults=N entries=N lost=0 duplicated=0`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

_STATS = pytest.StashKey["ReliabilityStats"]()


@dataclass
class ReliabilityStats:
    runs: int = 0
    faults: int = 0
    entries: int = 0
    lost: int = 0
    duplicated: int = 0

    def line(self) -> str:
        return (
            f"reliability: runs={self.runs} faults={self.faults} entries={self.entries} "
            f"lost={self.lost} duplicated={self.duplicated}"
        )


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--soak",
        action="store_true",
        default=False,
        help="reliability suite: long mode (200 kill -9 runs, more fault actions)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_STATS] = ReliabilityStats()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--soak", default=False):
        return
    skip = pytest.mark.skip(reason="soak test: run with --soak")
    for item in items:
        if item.get_closest_marker("soak") is not None:
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    stats = terminalreporter.config.stash.get(_STATS, None)
    if stats is not None and stats.runs:
        terminalreporter.write_line(stats.line())


@pytest.fixture
def soak(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--soak", default=False))


@pytest.fixture
def reliability_stats(request: pytest.FixtureRequest) -> ReliabilityStats:
    return request.config.stash[_STATS]
