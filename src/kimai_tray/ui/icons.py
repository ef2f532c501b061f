"""Finds the bundled resources and picks the tray icon for a state and theme."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from PySide6.QtGui import QGuiApplication, QIcon, QPalette

from kimai_tray.core.state import TrackerState

APP_ICON = "org.kimai.KimaiTray.svg"


class IconState(StrEnum):
    IDLE = "idle"
    RUNNING = "running"
    OFFLINE = "offline"
    PENDING = "pending"
    ERROR = "error"
    # Neutral until the first sync answers: "offline" every morning would read as an error.
    CONNECTING = "connecting"


def resources_dir() -> Path:
    """The icons' root: `kimai_tray/resources` in a wheel, `<repo>/resources` in the dev tree."""
    # The package's own folder, as `importlib.resources.files` gives it for a regular package;
    # read from `__file__` because importing importlib.resources delays the first icon.
    package = Path(__file__).parent.parent
    packaged = package / "resources"
    if packaged.is_dir():
        return packaged
    # Editable install: the package lives in <repo>/src/kimai_tray, resources at <repo>/resources.
    return package.parent.parent / "resources"


def icon_state(state: TrackerState, *, connecting: bool = False) -> IconState:
    """The single icon that best summarises `state` (errors that need the user win).

    `connecting`: no sync attempt has answered yet, so "not online" means "not known yet".
    """
    # Offline, `last_error` only says the server is unreachable: that is the offline/pending
    # icon's job, not an error the user must act on (a refused token comes back online=True).
    if state.failed or (state.last_error and state.online):
        return IconState.ERROR
    if state.is_running:
        return IconState.RUNNING
    if state.pending:
        return IconState.PENDING
    if not state.online:
        return IconState.CONNECTING if connecting else IconState.OFFLINE
    return IconState.IDLE


def is_dark_theme() -> bool:
    """True when the desktop uses a dark colour scheme (falls back to the window colour)."""
    from PySide6.QtCore import Qt  # its first use builds Qt's whole enum namespace (~25 ms)

    app = QGuiApplication.instance()
    if not isinstance(app, QGuiApplication):
        return False
    scheme = QGuiApplication.styleHints().colorScheme()
    if scheme != Qt.ColorScheme.Unknown:
        return scheme == Qt.ColorScheme.Dark
    return palette_is_dark()


def palette_is_dark() -> bool:
    """The window colour alone: what `is_dark_theme` falls back to, without its start-up cost
    (asking Qt for the colour scheme builds the `Qt` enum namespace first)."""
    app = QGuiApplication.instance()
    if not isinstance(app, QGuiApplication):
        return False
    return QGuiApplication.palette().color(QPalette.ColorRole.Window).lightness() < 128


def icon_path(kind: IconState, *, dark: bool) -> Path:
    return resources_dir() / "icons" / f"{kind.value}-{'dark' if dark else 'light'}.svg"


def state_icon(kind: IconState, *, dark: bool | None = None) -> QIcon:
    use_dark = is_dark_theme() if dark is None else dark
    return QIcon(str(icon_path(kind, dark=use_dark)))


def app_icon() -> QIcon:
    return QIcon(str(resources_dir() / "icons" / APP_ICON))
