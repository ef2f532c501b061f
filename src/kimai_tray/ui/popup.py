"""The tray popup: running entry with Stop, or the keyboard-first picker when idle."""

from __future__ import annotations

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

from kimai_tray.core.errors import KimaiTrayError
from kimai_tray.core.state import TrackerState
from kimai_tray.core.tracker import Tracker
from kimai_tray.ui.bridge import StateBridge
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
    if state.last_error:
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
        self, tracker: Tracker, bridge: StateBridge, parent: QWidget | None = None
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
        for field in (self.description, self.tags):
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
        lay.addLayout(fields)
        lay.addWidget(self.start_button)
        QWidget.setTabOrder(self.search, self.description)
        QWidget.setTabOrder(self.description, self.tags)
        QWidget.setTabOrder(self.tags, self.start_button)
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
        self._render(self._bridge.state)
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
            self.hide()
            return
        super().keyPressEvent(event)

    # -- rendering ----------------------------------------------------------------------

    def _render(self, state: TrackerState) -> None:
        text, is_error = status_text(state)
        # A glyph makes the state readable at a glance, before the sentence.
        glyph = "⚠" if is_error else ("↻" if state.syncing else ("●" if state.online else "○"))
        self.status_label.setText(f"{glyph}  {text}")
        self.status_label.setObjectName("statusError" if is_error else "status")
        self.status_label.setStyleSheet("")  # re-apply the object-name rule
        running = state.running
        if running is not None:
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
                if self.isVisible():
                    self.search.setFocus()
            self._refilter(self.search.text())

    def _tick(self) -> None:
        running = self._bridge.state.running
        if running is None:
            return
        elapsed = (datetime.now(UTC) - running.begin).total_seconds()
        self.elapsed_label.setText(format_elapsed(elapsed))

    def _refilter(self, query: str) -> None:
        recent = self._tracker.recent(RECENT_COUNT) if not query.strip() else []
        matches = self._tracker.catalog.search(query, MAX_ROWS)
        self.model.set_rows(rows_for(query, recent, matches))
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
        description = self.description.text().strip() or row.description
        tags = parse_tags(self.tags.text()) or row.tags
        try:
            self._tracker.start(row.project.id, row.activity.id, description, tags)
        except KimaiTrayError as exc:
            self.status_label.setText(exc.user_message)
            return
        self.hide()

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
