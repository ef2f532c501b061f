"""The system-tray icon: state icon, tooltip, context menu and notifications."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Protocol
from urllib.parse import urlsplit

from PySide6.QtCore import QObject, QRect, QTimer, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QGuiApplication, QIcon
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from kimai_tray.core.state import RunningEntry, TrackerState
from kimai_tray.core.tracker import RecentEntry
from kimai_tray.ui.bridge import StateBridge
from kimai_tray.ui.icons import IconState, icon_state, is_dark_theme, palette_is_dark, state_icon
from kimai_tray.ui.notifications import Notice, Notifier

log = logging.getLogger(__name__)

NOT_CONFIGURED = "Not configured: run kimai-tray login or open Settings"
RECENT_IN_MENU = 5
GEOMETRY_TRIES = 12
GEOMETRY_RETRY_MS = 250


class TrayTracker(Protocol):
    """What the tray needs of `core.tracker.Tracker`."""

    def start(
        self,
        project_id: int,
        activity_id: int,
        description: str = ...,
        tags: tuple[str, ...] = ...,
        begin: datetime | None = ...,
    ) -> RunningEntry: ...
    def start_last(self) -> RunningEntry | None: ...
    def stop(self) -> RunningEntry | None: ...
    def recent(self, limit: int = ...) -> Sequence[RecentEntry]: ...
    def wake(self) -> None: ...


def format_elapsed(delta: timedelta) -> str:
    minutes = max(0, int(delta.total_seconds()) // 60)
    return f"{minutes // 60}:{minutes % 60:02d}"


def connecting_text(server_url: str | None) -> str:
    """The tooltip line until the first sync answers: the server's host name, not the path."""
    host = urlsplit(server_url).hostname if server_url else None
    return f"Connecting to {host or server_url or 'Kimai'}…"


def tooltip_text(
    state: TrackerState,
    now: datetime,
    *,
    configured: bool = True,
    connecting_to: str | None = None,
) -> str:
    """One line per fact: what runs (or not), what waits, what went wrong.

    `connecting_to`: the server URL while no sync attempt has answered yet.
    """
    lines: list[str] = []
    if not configured:
        lines.append(NOT_CONFIGURED)
    elif connecting_to is not None and not state.online:
        lines.append(connecting_text(connecting_to))
    run = state.running
    if run is not None:
        lines.append(
            f"{run.project.name} · {run.activity.name} · {format_elapsed(now - run.begin)}"
        )
    else:
        lines.append("Not tracking")
    if state.pending:
        lines.append(
            "1 entry waiting to sync"
            if state.pending == 1
            else f"{state.pending} entries waiting to sync"
        )
    if state.last_error:
        lines.append(state.last_error)
    return "\n".join(lines)


def ms_until_next_minute(begin: datetime, now: datetime) -> int:
    """Milliseconds until the elapsed h:mm display changes (aligned to `begin`, not the clock)."""
    elapsed_ms = max(0, int((now - begin).total_seconds() * 1000))
    return 60_000 - elapsed_ms % 60_000


class TrayController(QObject):
    """Owns the QSystemTrayIcon; renders `TrackerState` and routes menu actions to the tracker."""

    def __init__(
        self,
        tracker: TrayTracker,
        bridge: StateBridge,
        *,
        toggle_popup: Callable[[], None],
        quit_app: Callable[[], None],
        open_settings: Callable[[], None] | None = None,
        server_url: str | None = None,
        connecting: bool = False,
        now: Callable[[], datetime] | None = None,
        parent: QObject | None = None,
    ) -> None:
        """`connecting`: a client is about to sync, so the first icon says so (not "offline")."""
        super().__init__(parent)
        self._tracker = tracker
        self._bridge = bridge
        self._toggle_popup = toggle_popup
        self._quit = quit_app
        self._open_settings = open_settings
        self._server_url = server_url
        self._now = now or (lambda: datetime.now().astimezone())
        self._configured = True
        self._connecting = connecting
        self._fast = False
        # The first icon follows the window colour only: reading the desktop's colour scheme
        # costs ~25 ms (it builds Qt's enum namespace), so it is read on the next event-loop
        # turn, which corrects the icon in the rare case the two disagree.
        self._scheme_read = False
        self._first_dark: bool | None = None  # the window colour's answer, until then
        self._state = bridge.state
        self.icon_kind = icon_state(self._state, connecting=connecting)
        # Put on top of the menu by other controllers (away decision, reminder actions).
        self._attention: list[tuple[str, Callable[[], None]]] = []
        # Fills the "Profiles" submenu (ui/profile_menu.py); None: a single server.
        self._fill_profiles: Callable[[QMenu], None] | None = None
        # Adds the favourites section (ui/favourites_menu.py); None: no favourites store.
        self._fill_favourites: Callable[[QMenu], None] | None = None

        self.tray = QSystemTrayIcon(self)
        self.menu = QMenu()
        self.menu.aboutToShow.connect(self.rebuild_menu)
        # The E2E test waits for this line before typing into the menu (no fixed sleeps).
        self.menu.aboutToShow.connect(lambda: log.info("kimai-tray: menu shown"))
        self.tray.setContextMenu(self.menu)
        self.tray.activated.connect(self._on_activated)
        self.notifier = Notifier(self._show_notice, self._state)

        # Single-shot and re-armed only while a timer runs: an idle tray wakes nothing.
        self._tick = QTimer(self)
        self._tick.setSingleShot(True)
        self._tick.timeout.connect(self._refresh_elapsed)

        bridge.state_changed.connect(self.render)
        # Follow the desktop switching between light and dark panels.
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._theme_changed)
        self.render(self._state)
        self.rebuild_menu()
        QTimer.singleShot(0, self._read_colour_scheme)

    # -- rendering ---------------------------------------------------------------------

    @property
    def state(self) -> TrackerState:
        return self._state

    @property
    def tick_active(self) -> bool:
        return self._tick.isActive()

    def show(self) -> None:
        self.tray.show()
        log.info("kimai-tray: tray shown (icon=%s)", self.icon_kind.value)
        self._log_geometry(GEOMETRY_TRIES, None)

    def _log_geometry(self, tries_left: int, last: QRect | None) -> None:
        """Log where the tray host puts the icon (E2E tests and bench click it); start-up only.

        The host embeds and moves the icon asynchronously, so each change within a few bounded
        retries is logged; the last line is the position to use.
        """
        geo = self.tray.geometry()
        if geo != last and not geo.isEmpty():
            log.info(
                "kimai-tray: tray geometry %d,%d,%d,%d", geo.x(), geo.y(), geo.width(), geo.height()
            )
            last = geo
        if tries_left > 0:
            QTimer.singleShot(GEOMETRY_RETRY_MS, lambda: self._log_geometry(tries_left - 1, last))

    @property
    def connecting(self) -> bool:
        """True until the first sync attempt after `set_connecting(True)` has answered."""
        return self._connecting

    def set_configured(self, configured: bool) -> None:
        self._configured = configured
        if not configured:
            self._connecting = False  # no client will answer: "offline" is the truth
        self._render_icon()
        self._render_tooltip()

    def set_connecting(self, connecting: bool) -> None:
        """A (new) client was attached: neutral icon and "Connecting to…" until it answers."""
        self._connecting = connecting
        self._render_icon()
        self._render_tooltip()

    def set_server_url(self, url: str | None) -> None:
        self._server_url = url

    def set_fast_refresh(self, fast: bool) -> None:
        """Once a second while the popup is visible (it shows seconds), else once a minute."""
        self._fast = fast
        self._schedule_tick()

    def render(self, state: object) -> None:
        assert isinstance(state, TrackerState)
        self._state = state
        # Online, or an error sentence: a sync attempt answered (a failed one says why).
        if self._connecting and (state.online or state.last_error is not None):
            self._connecting = False
            log.info(
                "kimai-tray: first sync answered (%s)", "online" if state.online else "offline"
            )
        self._render_icon()
        self._render_tooltip()
        self.notifier.observe(state)
        self._schedule_tick()

    def _render_icon(self) -> None:
        kind = icon_state(self._state, connecting=self._connecting)
        if kind != self.icon_kind or self.tray.icon().isNull():
            self.icon_kind = kind
            self.tray.setIcon(self.icon_for(kind))

    def _theme_changed(self) -> None:
        self.tray.setIcon(self.icon_for(self.icon_kind))

    def _read_colour_scheme(self) -> None:
        self._scheme_read = True  # from now on every icon follows the desktop's scheme
        if self._first_dark is not None and self._first_dark != is_dark_theme():
            self._theme_changed()

    def icon_for(self, kind: IconState) -> QIcon:
        if self._scheme_read:
            return state_icon(kind)
        if self._first_dark is None:
            self._first_dark = palette_is_dark()
        return state_icon(kind, dark=self._first_dark)

    def _render_tooltip(self) -> None:
        text = tooltip_text(
            self._state,
            self._now(),
            configured=self._configured,
            connecting_to=(self._server_url or "") if self._connecting else None,
        )
        if self._attention:
            text += "\n" + self._attention[0][0]
        self.tray.setToolTip(text)

    def set_attention(self, items: list[tuple[str, Callable[[], None]]]) -> None:
        """Menu items that need the user now (first one also in the tooltip); [] clears."""
        self._attention = list(items)
        self._render_tooltip()
        self.rebuild_menu()

    def _schedule_tick(self) -> None:
        run = self._state.running
        if run is None:
            self._tick.stop()
            return
        interval = 1000 if self._fast else ms_until_next_minute(run.begin, self._now())
        self._tick.start(interval)

    def _refresh_elapsed(self) -> None:
        self._render_tooltip()
        self._schedule_tick()

    # -- notifications ------------------------------------------------------------------

    def _show_notice(self, notice: Notice) -> None:
        icon = (
            QSystemTrayIcon.MessageIcon.Warning
            if notice.warning
            else QSystemTrayIcon.MessageIcon.Information
        )
        if self.tray.isVisible():
            self.tray.showMessage(notice.title, notice.message, icon, 10_000)

    # -- menu ---------------------------------------------------------------------------

    def rebuild_menu(self) -> None:
        """Rebuilt just before it opens, so the recent list is fresh without polling."""
        menu = self.menu
        menu.clear()
        for text, callback in self._attention:
            menu.addAction(text, callback)
        if self._attention:
            menu.addSeparator()
        if self._state.is_running:
            menu.addAction("Stop", self._stop)
        else:
            start = menu.addAction("Start", self._start_last)
            start.setEnabled(bool(self._recent()))
        recent = self._recent()
        if recent:
            menu.addSection("Recent")
            for entry in recent:
                action = QAction(_recent_label(entry), menu)
                action.triggered.connect(lambda _=False, e=entry: self._restart(e))
                menu.addAction(action)
        if self._fill_favourites is not None:
            self._fill_favourites(menu)
        menu.addSeparator()
        menu.addAction("Sync now", self._tracker.wake)
        if self._fill_profiles is not None:
            self._fill_profiles(menu.addMenu("Profiles"))
        browser = menu.addAction("Open Kimai in browser", self._open_browser)
        browser.setEnabled(bool(self._server_url))
        settings = menu.addAction("Settings…", self._settings)
        settings.setEnabled(self._open_settings is not None)
        menu.addSeparator()
        menu.addAction("Quit", self._quit)

    def set_profiles_menu(self, fill: Callable[[QMenu], None] | None) -> None:
        self._fill_profiles = fill

    def set_favourites_menu(self, fill: Callable[[QMenu], None] | None) -> None:
        self._fill_favourites = fill

    def set_tracker(self, tracker: TrayTracker) -> None:
        """Act on another profile's tracker (the bridge is rebound by the caller)."""
        self._tracker = tracker

    def action(self, text: str) -> QAction:
        """The menu action labelled `text` (for tests and accessibility tooling)."""
        for act in self.menu.actions():
            if act.text() == text:
                return act
        raise KeyError(text)

    def _recent(self) -> list[RecentEntry]:
        try:
            return list(self._tracker.recent(RECENT_IN_MENU))
        except Exception:  # a broken database must not take the menu down
            log.exception("reading recent entries failed")
            return []

    def _start_last(self) -> None:
        self._tracker.start_last()

    def _stop(self) -> None:
        self._tracker.stop()

    def _restart(self, entry: RecentEntry) -> None:
        self._tracker.start(entry.project.id, entry.activity.id, entry.description, entry.tags)

    def _open_browser(self) -> None:
        if self._server_url:
            QDesktopServices.openUrl(QUrl(self._server_url))

    def _settings(self) -> None:
        if self._open_settings is not None:
            self._open_settings()

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            log.info("kimai-tray: tray clicked")
            self._toggle_popup()

    def close(self) -> None:
        QGuiApplication.styleHints().colorSchemeChanged.disconnect(self._theme_changed)
        self._tick.stop()
        self.tray.hide()
        self.menu.deleteLater()


def _recent_label(entry: RecentEntry) -> str:
    label = f"{entry.project.name} · {entry.activity.name}"
    return f"{label} — {entry.description}" if entry.description else label
