"""The "Daily target" row of the settings dialog: hours and minutes, 0 h 0 min = no target."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QSpinBox, QWidget

MAX_MINUTES = 24 * 60


class DailyTargetField(QWidget):
    """`minutes()` is what `Preferences.daily_target_minutes` stores (the popup's progress bar)."""

    def __init__(self, minutes: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        minutes = min(max(0, minutes), MAX_MINUTES)
        self.hours = QSpinBox()
        self.hours.setRange(0, 24)
        self.hours.setSuffix(" h")
        self.hours.setAccessibleName("Daily target hours")
        self.hours.setValue(minutes // 60)
        self.mins = QSpinBox()
        self.mins.setRange(0, 59)
        self.mins.setSingleStep(5)
        self.mins.setSuffix(" min")
        self.mins.setAccessibleName("Daily target minutes")
        self.mins.setValue(minutes % 60)
        self.note = QLabel("0 h 0 min: no target")
        self.note.setStyleSheet("color: #6e7781;")
        # The form label "Daily target" has this widget as buddy: its mnemonic focuses the hours.
        self.setFocusProxy(self.hours)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.hours)
        row.addWidget(self.mins)
        row.addWidget(self.note)
        row.addStretch(1)

    def minutes(self) -> int:
        # 24 h is the ceiling: "24 h 30 min" would be a day longer than a day.
        return min(self.hours.value() * 60 + self.mins.value(), MAX_MINUTES)
