"""The return dialog: what happened while you were away, and what to do with that time.

Non-modal (no exec(): it must not spin a nested loop inside the qasync loop). If the user never
answers, nothing is booked: the dialog stays and the tray shows that a decision is pending.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kimai_tray.core.away import AwayChoice, AwayPeriod, AwayReason


@dataclass(frozen=True, slots=True)
class BookingTarget:
    label: str  # "Internal · Break"
    project_id: int
    activity_id: int


def _clock(dt: datetime) -> str:
    return dt.astimezone().strftime("%H:%M")


def _duration(seconds: float) -> str:
    minutes = int(seconds // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


_REASON = {
    AwayReason.IDLE: "You were away",
    AwayReason.LOCK: "The screen was locked",
    AwayReason.SLEEP: "The computer was asleep",
}


class AwayDialog(QDialog):
    """Emits `chosen(choice, target)`; target is a BookingTarget for BOOK_AS, else None."""

    chosen = Signal(object, object)

    def __init__(
        self,
        period: AwayPeriod,
        running_label: str,
        targets: list[BookingTarget],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.period = period
        self.setWindowTitle("Welcome back — Kimai Tray")
        self.setWindowFlag(Qt.WindowType.WindowStaysOnTopHint, True)
        self.setModal(False)

        title = QLabel(
            f"<b>{_REASON[period.reason]} from {_clock(period.began)} to "
            f"{_clock(period.returned)}</b> ({_duration(period.duration.total_seconds())})"
        )
        title.setObjectName("awayTitle")
        running = QLabel(f"Still running: {running_label}")
        running.setObjectName("awayRunning")
        question = QLabel("What should happen with the time you were away?")

        self.keep_button = QPushButton("&Keep it (count as work)")
        self.discard_button = QPushButton("&Discard it and stop")
        self.continue_button = QPushButton("Discard it and &continue")
        self.stop_button = QPushButton("&Stop now")
        self.book_button = QPushButton("&Book it as:")
        self.target_box = QComboBox()
        self.target_box.setEditable(False)
        for target in targets:
            self.target_box.addItem(target.label, target)
        self.book_button.setEnabled(bool(targets))
        self.target_box.setEnabled(bool(targets))
        self.continue_button.setDefault(True)

        book_row = QHBoxLayout()
        book_row.addWidget(self.book_button)
        book_row.addWidget(self.target_box, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 16)
        layout.setSpacing(8)
        for widget in (title, running, question):
            layout.addWidget(widget)
        layout.addSpacing(4)
        for button in (self.continue_button, self.discard_button, self.keep_button):
            layout.addWidget(button)
        layout.addLayout(book_row)
        layout.addWidget(self.stop_button)

        self.keep_button.clicked.connect(lambda: self._choose(AwayChoice.KEEP))
        self.discard_button.clicked.connect(lambda: self._choose(AwayChoice.DISCARD))
        self.continue_button.clicked.connect(lambda: self._choose(AwayChoice.DISCARD_AND_CONTINUE))
        self.stop_button.clicked.connect(lambda: self._choose(AwayChoice.STOP))
        self.book_button.clicked.connect(lambda: self._choose(AwayChoice.BOOK_AS))

    def reject(self) -> None:
        # Escape or closing the window is not an answer: hide, the decision stays pending.
        self.hide()

    def _choose(self, choice: AwayChoice) -> None:
        target = self.target_box.currentData() if choice is AwayChoice.BOOK_AS else None
        self.chosen.emit(choice, target)
        self.accept()
