#!/usr/bin/env bash
# Set up a development checkout: system Qt libraries (apt, only if missing), .venv, editable install.
# Uses sudo for apt-get when not run as root. Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
# Runtime libraries PySide6 needs on a minimal Debian/Ubuntu (the xcb platform plugin, EGL, fonts).
APT_PACKAGES=(libegl1 libgl1 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1
  libxcb-shape0 libxcb-image0 libxcb-render-util0 libfontconfig1 libdbus-1-3 fonts-dejavu-core)

say() { printf 'setup: %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null; then say "using sudo for: $*"; sudo "$@"
  else say "not root and no sudo: run as root: $*"; return 1; fi
}

apt_missing() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  printf '%s\n' "${missing[@]}"
}

install_apt() {
  command -v apt-get >/dev/null || { say "no apt-get: install the Qt xcb libraries yourself"; return 0; }
  local missing
  mapfile -t missing < <(apt_missing "$@" | sed '/^$/d')
  [ "${#missing[@]}" -eq 0 ] && return 0
  say "installing system packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

install_apt "${APT_PACKAGES[@]}"
# python3-venv provides ensurepip on Debian/Ubuntu, where it is split out of python3.
if ! "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
  install_apt python3-venv
fi

if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  "$PYTHON" -m venv .venv
fi
# Reinstall only when pyproject.toml changed since the last successful install.
stamp=.venv/.kimai-tray-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  say "installing kimai-tray (editable) with dev tools into .venv"
  .venv/bin/python -m pip install -q -e '.[dev]'
  touch "$stamp"
fi
say "ready: .venv/bin/kimai-tray --demo starts the app (needs a graphical session)"
