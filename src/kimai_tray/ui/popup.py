"""The tray popup: running entry with Stop, or the keyboard-first picker when idle."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QHideEvent, QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kimai_tray.core.backend import KimaiBackend
from kimai_tray.core.comforts import Comforts
from kimai_tray.core.errors import BackendError, KimaiTrayError
from kimai_tray.core.rules import ServerRules
from kimai_tray.core.state import TrackerState
from kimai_tray.core.timeparse import parse_start
from kimai_tray.core.tracker import Tracker
from kimai_tray.ui.bridge import StateBridge
from kimai_tray.ui.comforts_panel import TotalsBar, favourite_of_row, quick_index, quick_rows
from kimai_tray.ui.create_activity import ActivityCreator, creation_rows
from kimai_tray.ui.picker_model import MAX_ROWS, PickerModel, PickerRow, rows_for
from kimai_tray.ui.widgets import POPUP_STYLE, PickerDelegate

log = logging.getLogger(__name__)

POPUP_WIDTH = 380
POPUP_HEIGHT = 480
RECENT_COUNT = 5


def format_elapsed(seconds: float) -> str:
    seconds = max(int(seconds), 0)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def status_text(state: TrackerState) -> tuple[str, bool]:
    """The status line sentence and whether it is an error."""
    # Offline, last_error only says "unreachable": "Offline — N waiting" is the useful line.
    if state.last_error and state.online:
        return state.last_error, True
    if state.failed:
        noun = "entry" if state.failed == 1 else "entries"
        return f"{state.failed} {noun} rejected by Kimai — open the tray menu to review.", True
    if state.syncing:
        return "Syncing…", False
    waiting = ""
    if state.pending:
        noun = "entry" if state.pending == 1 else "entries"
        waiting = f"{state.pending} {noun} waiting to sync"
    if not state.online:
        return ("Offline — " + waiting) if waiting else "Offline", False
    return waiting or "All changes synced", False


def parse_tags(text: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in text.split(",") if t.strip())


def _separator() -> QFrame:
    line = QFrame()
    line.setObjectName("separator")
    return line


class PopupWindow(QWidget):
    """Frameless, focusable popup; `show_near(point)` from the tray, Esc or focus loss hides it."""

    visibility_changed = Signal(bool)

    def __init__(
        self,
        tracker: Tracker,
        bridge: StateBridge,
        parent: QWidget | None = None,
        *,
        comforts: Comforts | None = None,
        target_hours: float | None = None,
    ) -> None:
        # Qt.Popup grabs the keyboard oddly on some WMs and cannot hold text focus reliably;
        # a frameless always-on-top Tool window behaves like a popup and accepts typing.
        super().__init__(
            parent,
            Qt.WindowType.Tool
            | Qt.WindowType.FramelessWindowHint
            | Qt.WindowType.WindowStaysOnTopHint,
        )
        self._tracker = tracker
        self._bridge = bridge
        self._comforts = comforts
        self._retarget = False  # the picker is re-booking the running entry
        self.target_hours = target_hours
        self._refresh_task: asyncio.Future[None] | None = None
        self._creator = ActivityCreator(tracker, self)
        self._creator.finished.connect(self._created)
        # A new project has no activity yet: search it so its (global) activities show.
        self._creator.project_created.connect(lambda name: self.search.setText(name))
        self.hide_on_deactivate = True
        self.setAttribute(Qt.WidgetAttribute.WA_TranslucentBackground)
        self.setObjectName("popupWindow")
        self.setStyleSheet(POPUP_STYLE)
        self.setFixedSize(POPUP_WIDTH, POPUP_HEIGHT)

        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._tick)

        root = QWidget(self)
        root.setObjectName("popupRoot")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(root)
        layout = QVBoxLayout(root)
        layout.setContentsMargins(16, 14, 16, 12)
        layout.setSpacing(10)

        header = QLabel("Kimai")
        header.setObjectName("header")
        layout.addWidget(header)
        self.totals_bar = TotalsBar()
        self.totals_bar.setVisible(comforts is not None)
        layout.addWidget(self.totals_bar)
        layout.addWidget(_separator())

        self._stack = QStackedWidget()
        self._running_page = self._build_running_page()
        self._idle_page = self._build_idle_page()
        self._stack.addWidget(self._running_page)
        self._stack.addWidget(self._idle_page)
        layout.addWidget(self._stack, 1)

        layout.addWidget(_separator())
        self.status_label = QLabel()
        self.status_label.setObjectName("status")
        self.status_label.setWordWrap(True)
        layout.addWidget(self.status_label)

        bridge.state_changed.connect(self._render)
        self._render(bridge.state)

    # -- construction -------------------------------------------------------------------

    def _build_running_page(self) -> QWidget:
        page = QWidget()
        lay = QVBoxLayout(page)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(6)
        self.customer_label = QLabel()
        self.customer_label.setObjectName("customer")
        self.path_label = QLabel()
        self.path_label.setObjectName("path")
        self.path_label.setWordWrap(True)
        row = QHBoxLayout()
        self.elapsed_label = QLabel("0:00:00")
        self.elapsed_label.setObjectName("elapsed")
        self.stop_button = QPushButton("■  Stop")
        self.stop_button.setObjectName("stop")
        self.stop_button.clicked.connect(self.stop)
        row.addWidget(self.elapsed_label, 1)
        row.addWidget(self.stop_button)
        self.running_description = QLineEdit()
        self.running_description.setPlaceholderText("What are you working on?")
        self.running_tags = QLineEdit()
        self.running_tags.setPlaceholderText("Tags, comma separated")
        for field in (self.running_description, self.running_tags):
            field.editingFinished.connect(self._save_running_edits)
        lay.addWidget(self.customer_label)
        lay.addWidget(self.path_label)
        lay.addLayout(row)
        self.started_label = QLabel()
        self.started_label.setObjectName("customer")
        lay.addWidget(self.started_label)
        begin_row = QHBoxLayout()
        self.running_begin = QLineEdit()
        self.running_begin.setPlaceholderText('Started earlier? "-20m", "9:15"')
        self.running_begin.editingFinished.connect(self._save_running_begin)
        self.change_button = QPushButton("Change…")
        self.change_button.setToolTip("Book the running entry on another project or activity")
        self.change_button.clicked.connect(self.begin_change_target)
        begin_row.addWidget(self.running_begin, 1)
        begin_row.addWidget(self.change_button)
        lay.addLayout(begin_row)
        lay.addSpacing(6)
        title = QLabel("DESCRIPTION")
        title.setObjectName("sectionTitle")
        lay.addWidget(title)
        lay.addWidget(self.running_description)
        tags_title = QLabel("TAGS")
        tags_title.setObjectName("sectionTitle")
        lay.addWidget(tags_title)
        lay.addWidget(self.running_tags)
        lay.addStretch(1)
        QWidget.setTabOrder(self.running_description, self.running_tags)
        QWidget.setTabOrder(self.running_tags, self.stop_button)
        return page

    def _build_idle_page(self) -> QWidget:
        page = QWidget()
        lay = QVBoxLayout(page)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(8)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search customer, project or activity…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._refilter)
        self.search.installEventFilter(self)
        self.model = PickerModel(self)
        self.list_view = QListView()
        self.list_view.setModel(self.model)
        self.list_view.setItemDelegate(PickerDelegate(self.list_view))
        self.list_view.setUniformItemSizes(True)
        self.list_view.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys stay in the search field
        self.list_view.activated.connect(self._start_index)
        self.list_view.clicked.connect(self._start_index)
        self.description = QLineEdit()
        self.description.setPlaceholderText("Description (optional)")
        self.tags = QLineEdit()
        self.tags.setPlaceholderText("Tags")
        self.tags.setToolTip("Tags, comma separated")
        self.started_at = QLineEdit()
        self.started_at.setPlaceholderText("Now")
        self.started_at.setToolTip('Started at: "-15m", "20 min ago" or "9:15"')
        for field in (self.description, self.tags, self.started_at):
            field.returnPressed.connect(self.start_selected)
        self.start_button = QPushButton("▶  Start")
        self.start_button.setObjectName("primary")
        self.start_button.clicked.connect(self.start_selected)
        self.list_title = QLabel("RECENT")
        self.list_title.setObjectName("sectionTitle")
        lay.addWidget(self.search)
        lay.addWidget(self.list_title)
        lay.addWidget(self.list_view, 1)
        fields = QHBoxLayout()
        fields.setSpacing(6)
        fields.addWidget(self.description, 3)
        fields.addWidget(self.tags, 2)
        fields.addWidget(self.started_at, 1)
        lay.addLayout(fields)
        lay.addWidget(self.start_button)
        QWidget.setTabOrder(self.search, self.description)
        QWidget.setTabOrder(self.description, self.tags)
        QWidget.setTabOrder(self.tags, self.started_at)
        QWidget.setTabOrder(self.started_at, self.start_button)
        return page

    # -- showing ------------------------------------------------------------------------

    def show_near(self, point: QPoint | None) -> None:
        """Show next to `point` (the tray icon), kept on its screen; centred when unknown."""
        screen = QGuiApplication.screenAt(point) if point is not None else None
        screen = screen or QGuiApplication.primaryScreen()
        area = screen.availableGeometry()
        if point is None or point.isNull():
            pos = area.center() - QPoint(self.width() // 2, self.height() // 2)
        else:
            # Tray icons live at a screen edge: open towards the screen's centre.
            x = point.x() - self.width() // 2
            y = point.y() + 8 if point.y() < area.center().y() else point.y() - self.height() - 8
            x = min(max(x, area.left()), area.right() - self.width())
            y = min(max(y, area.top()), area.bottom() - self.height())
            pos = QPoint(x, y)
        self.move(pos)
        self.show()
        self.raise_()
        self.activateWindow()

    def toggle_visible(self, point: QPoint | None = None) -> None:
        if self.isVisible():
            self.hide()
        else:
            self.show_near(point)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        self._retarget = False
        self._render(self._bridge.state)
        # Not from inside this C++ virtual call: start the refresh from the event loop.
        QTimer.singleShot(0, self.refresh_comforts)
        if self._bridge.state.is_running:
            self._timer.start()
            self.running_description.setFocus()
        else:
            self.search.selectAll()
            self.search.setFocus()
        self.visibility_changed.emit(True)

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802
        # The elapsed clock only ticks while someone can see it.
        self._timer.stop()
        super().hideEvent(event)
        self.visibility_changed.emit(False)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        super().changeEvent(event)
        if (
            event.type() == QEvent.Type.ActivationChange
            and self.hide_on_deactivate
            and self.isVisible()
            and not self.isActiveWindow()
        ):
            self.hide()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Escape:
            if self._retarget:  # leave "change project" without changing anything
                self._retarget = False
                self._render(self._bridge.state)
                return
            self.hide()
            return
        if self._is_pin_key(event) and self._bridge.state.is_running and not self._retarget:
            self.toggle_running_favourite()
            return
        super().keyPressEvent(event)

    # -- comforts: favourites, recents, totals ---------------------------------------------

    @staticmethod
    def _is_pin_key(event: QKeyEvent) -> bool:
        return (
            event.key() == Qt.Key.Key_D and event.modifiers() == Qt.KeyboardModifier.ControlModifier
        )

    def refresh_comforts(self) -> None:
        """Re-read the server's recent timesheets in the background, then re-render."""
        backend = self._tracker.backend
        if self._comforts is None or backend is None:
            return
        if self._refresh_task is not None and not self._refresh_task.done():
            return
        # ensure_future: the qasync loop is the current one, also when a Qt key event (not a
        # coroutine) calls this.
        self._refresh_task = asyncio.ensure_future(self._refresh(backend))

    async def _refresh(self, backend: KimaiBackend) -> None:
        assert self._comforts is not None
        try:
            await self._comforts.refresh(backend)
        except BackendError as exc:
            log.info("comforts refresh failed: %s", type(exc).__name__)
            return
        self._render(self._bridge.state)

    def _show_totals(self) -> None:
        if self._comforts is not None:
            self.totals_bar.show_totals(self._comforts.totals(self.target_hours))

    def toggle_running_favourite(self) -> None:
        if self._comforts is None:
            return
        pinned = self._comforts.toggle_running()
        if pinned is not None:
            text = "★ Added to favourites" if pinned else "Removed from favourites"
            self.status_label.setText(text)

    def toggle_selected_favourite(self) -> None:
        row = self.selected_row()
        if self._comforts is None or row is None or row.inactive:
            return
        self._comforts.toggle_favourite(favourite_of_row(row))
        self._refilter(self.search.text())

    def begin_change_target(self) -> None:
        """Show the picker; the row picked next re-books the running entry instead."""
        if not self._bridge.state.is_running:
            return
        self._retarget = True
        self._stack.setCurrentWidget(self._idle_page)
        self.search.clear()
        self._refilter("")
        self.start_button.setText("✓  Change")
        self.search.setFocus()

    # -- rendering ----------------------------------------------------------------------

    def _render(self, state: TrackerState) -> None:
        text, is_error = status_text(state)
        # A glyph makes the state readable at a glance, before the sentence.
        glyph = "⚠" if is_error else ("↻" if state.syncing else ("●" if state.online else "○"))
        self.status_label.setText(f"{glyph}  {text}")
        self.status_label.setObjectName("statusError" if is_error else "status")
        self.status_label.setStyleSheet("")  # re-apply the object-name rule
        self._show_totals()
        running = state.running
        if running is None:
            self._retarget = False
        if running is not None and self._retarget:
            pass  # the picker is open to change the running entry's project/activity
        elif running is not None:
            self._stack.setCurrentWidget(self._running_page)
            self.customer_label.setText(running.customer.name)
            self.path_label.setText(f"{running.project.name} · {running.activity.name}")
            begin = running.begin.astimezone()  # shown in the desktop's local time
            synced = "" if running.timesheet_id is not None else " · not on the server yet"
            self.started_label.setText(f"Started {begin:%H:%M}{synced}")
            # Never overwrite what the user is typing right now.
            if not self.running_description.hasFocus():
                self.running_description.setText(running.description)
            if not self.running_tags.hasFocus():
                self.running_tags.setText(", ".join(running.tags))
            if not self.running_begin.hasFocus():
                self.running_begin.clear()
            self._tick()
            if self.isVisible():
                self._timer.start()
        else:
            self._timer.stop()
            if self._stack.currentWidget() is not self._idle_page:
                self._stack.setCurrentWidget(self._idle_page)
                self.search.clear()
                self.description.clear()
                self.tags.clear()
                self.started_at.clear()
                if self.isVisible():
                    self.search.setFocus()
            if self.start_button.text() != "▶  Start":  # after re-booking ("✓  Change")
                self.start_button.setText("▶  Start")
            self._refilter(self.search.text())

    def _tick(self) -> None:
        running = self._bridge.state.running
        if running is None:
            return
        elapsed = (datetime.now(UTC) - running.begin).total_seconds()
        self.elapsed_label.setText(format_elapsed(elapsed))

    def _refilter(self, query: str) -> None:
        matches = self._tracker.catalog.search(query, MAX_ROWS)
        if self._comforts is not None and not query.strip():
            # Favourites (★) first, then distinct recents; the first nine start with 1..9.
            quick = quick_rows(self._comforts.favourites(), self._comforts.recents(RECENT_COUNT))
            self.model.set_rows([*quick, *rows_for(query, [], matches)][:MAX_ROWS])
            self.list_title.setText("FAVOURITES AND RECENT" if quick else "PROJECTS AND ACTIVITIES")
            self._select_row(self._first_selectable(0, 1))
            return
        recent = self._tracker.recent(RECENT_COUNT) if not query.strip() else []
        rows = rows_for(query, recent, matches)
        # Nothing matched: offer "Create activity 'X' in project Y" (not while re-booking).
        if not self._retarget:
            rows += creation_rows(query, self._tracker, rows, self._last_project())
        self.model.set_rows(rows)
        self.list_title.setText("RECENT" if recent else "PROJECTS AND ACTIVITIES")
        self._select_row(self._first_selectable(0, 1))

    # -- keyboard navigation ------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self.search and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            key = event.key()
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up):
                step = 1 if key == Qt.Key.Key_Down else -1
                self._select_row(self._first_selectable(self._current_row() + step, step))
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.start_selected()
                return True
            quick = quick_index(event, not self.search.text())
            if quick is not None and self._comforts is not None:
                picked = self.model.row_at(quick)
                if picked is not None and picked.badge:  # only the numbered quick rows
                    self._select_row(quick)
                    self.start_selected()
                return True
            if self._is_pin_key(event):
                self.toggle_selected_favourite()
                return True
        return super().eventFilter(watched, event)

    def _current_row(self) -> int:
        return self.list_view.currentIndex().row()

    def _first_selectable(self, start: int, step: int) -> int:
        row = start
        while 0 <= row < self.model.rowCount():
            picked = self.model.row_at(row)
            if picked is not None and not picked.inactive:
                return row
            row += step
        return self._current_row() if self._current_row() >= 0 else -1

    def _select_row(self, row: int) -> None:
        if row < 0:
            self.list_view.setCurrentIndex(QModelIndex())
            self.start_button.setEnabled(False)
            return
        index = self.model.index(row, 0)
        self.list_view.setCurrentIndex(index)
        self.list_view.scrollTo(index)
        self.start_button.setEnabled(True)

    def selected_row(self) -> PickerRow | None:
        return self.model.row_at(self._current_row())

    # -- actions ------------------------------------------------------------------------

    def _start_index(self, index: QModelIndex) -> None:
        self._select_row(index.row())
        self.start_selected()

    def start_selected(self) -> None:
        """Start the selected row; typed description/tags win over a recent entry's own."""
        row = self.selected_row()
        if row is None or row.inactive:
            return
        if row.create:
            tags = parse_tags(self.tags.text())
            self._creator.create_and_start(row, self.description.text().strip(), tags)
            return
        try:
            if self._retarget:
                self._tracker.edit_running(project_id=row.project.id, activity_id=row.activity.id)
                self._retarget = False
                self._render(self._bridge.state)
                return
            description = self.description.text().strip() or row.description
            tags = parse_tags(self.tags.text()) or row.tags
            begin = self._parse_begin(self.started_at.text())
            self._tracker.start(row.project.id, row.activity.id, description, tags, begin=begin)
        except KimaiTrayError as exc:
            self.status_label.setText(exc.user_message)
            return
        self.hide()

    def _parse_begin(self, text: str) -> datetime | None:
        """None for "now" (the tracker stamps the click); else the typed past instant."""
        if not text.strip():
            return None
        now = self._tracker.clock.now()
        zone = now.astimezone().tzinfo  # the user reads and types the desktop's local time
        assert zone is not None
        return parse_start(text, now, zone)

    def _save_running_begin(self) -> None:
        running = self._bridge.state.running
        text = self.running_begin.text()
        if running is None or not text.strip():
            return
        try:
            begin = self._parse_begin(text)
            if begin is not None and begin != running.begin:
                self._tracker.edit_running(begin=begin)
        except KimaiTrayError as exc:
            self.status_label.setText(exc.user_message)
            return
        self.running_begin.clear()

    def _last_project(self) -> int | None:
        last = self._tracker.recent(1)
        return last[0].project.id if last else None

    def _created(self, problem: str) -> None:
        """The create row finished: started (hide) or one sentence why not."""
        if problem:
            self.status_label.setText(problem)
            return
        self.hide()

    def set_tracker(self, tracker: Tracker, comforts: Comforts | None = None) -> None:
        """Work on another profile's tracker (and its favourites); the caller rebinds the bridge."""
        self._tracker = tracker
        self._creator.tracker = tracker
        if comforts is not None:
            self._comforts = comforts
        self._render(self._bridge.state)

    def set_rules(self, rules: ServerRules) -> None:
        """Disable what the server's tracking mode forbids (punch: no begin/end editing)."""
        allowed = rules.may_edit_times
        why = "" if allowed else "Your Kimai sets the times itself (its tracking mode)."
        for field in (self.started_at, self.running_begin):
            field.setEnabled(allowed)
            if not allowed:
                field.clear()
                field.setToolTip(why)

    def stop(self) -> None:
        self._save_running_edits()
        self._tracker.stop()

    def _save_running_edits(self) -> None:
        running = self._bridge.state.running
        if running is None:
            return
        description = self.running_description.text().strip()
        tags = parse_tags(self.running_tags.text())
        if description != running.description or tags != running.tags:
            self._tracker.edit_running(description=description, tags=tags)
