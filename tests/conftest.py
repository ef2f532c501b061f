"""Root conftest: shared fixtures live in tests/helpers/, one module per concern."""

import gc
import os
from collections.abc import Iterator

import pytest

# Tests never need a real screen unless they start Xvfb themselves.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Python's cyclic GC runs in whichever thread happens to allocate. Tests run simulators in
# background threads; a collection there deletes Qt objects (timers!) from the wrong thread and
# leaves dangling timers that crash the next event loop turn. So collect only in the main thread.
gc.disable()


@pytest.fixture(autouse=True)
def _collect_garbage_in_the_main_thread() -> Iterator[None]:
    yield
    gc.collect()


pytest_plugins = [
    "helpers.qt_fixtures",
    "helpers.simulator_fixtures",
    "helpers.keyring_fixtures",
    "helpers.xvfb_fixtures",
    "helpers.fake_portal",
    "reliability.plugin",
]
