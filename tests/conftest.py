"""Root conftest: shared fixtures live in tests/helpers/, one module per concern."""

import os

# Tests never need a real screen unless they start Xvfb themselves.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

pytest_plugins = [
    "helpers.qt_fixtures",
    "helpers.simulator_fixtures",
    "helpers.keyring_fixtures",
    "helpers.xvfb_fixtures",
]
