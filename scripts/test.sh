#!/usr/bin/env bash
# Run the whole test suite under a time limit. When available, wrap it in a private D-Bus
# session with an unlocked, headless gnome-keyring so the real Secret Service tests run too
# (see docs: desktop-notes §4). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

LIMIT=${KIMAI_TRAY_TEST_TIMEOUT:-1200}
PYTEST=(.venv/bin/python -m pytest -q "$@")

if command -v dbus-run-session >/dev/null && command -v gnome-keyring-daemon >/dev/null; then
  # A throw-away HOME/XDG_RUNTIME_DIR keeps the test keyring away from the user's own one.
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  mkdir -p "$scratch/home/.cache" "$scratch/home/.local/share/keyrings" "$scratch/run"
  chmod 700 "$scratch/run"
  # The keyring password must be non-empty: an empty one can hang set_password.
  timeout --kill-after=30 "$LIMIT" env HOME="$scratch/home" XDG_RUNTIME_DIR="$scratch/run" \
    XDG_DATA_HOME="$scratch/home/.local/share" XDG_CONFIG_HOME="$scratch/home/.config" \
    XDG_CACHE_HOME="$scratch/home/.cache" \
    dbus-run-session -- bash -c \
    'echo -n kimai-tray-test | gnome-keyring-daemon --unlock --components=secrets --daemonize >/dev/null && exec "$@"' \
    _ "${PYTEST[@]}"
  exit $?
fi
echo "test: dbus-run-session/gnome-keyring missing: real-keyring tests will be skipped" >&2
exec timeout --kill-after=30 "$LIMIT" "${PYTEST[@]}"
