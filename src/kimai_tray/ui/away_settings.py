"""The settings group for away time and reminders (a widget of its own, used by SettingsDialog).

Shows whether this desktop reports idle time at all ("not available" with the reason, never a
guess), the idle threshold, work days and hours, reminders on/off, and what happens to a
running timer at logout.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QTime
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QTimeEdit,
    QWidget,
)

from kimai_tray.platform.away_prefs import format_days, parse_clock, parse_days
from kimai_tray.platform.config import Preferences
from kimai_tray.platform.idle import IdleDetection

NOT_CHECKED = "Checked when Kimai Tray starts."


def idle_status_text(detection: IdleDetection) -> str:
    if detection.source is None:
        return f"Not available on this desktop: {detection.reason}"
    return f"Available ({detection.source.name})."


def _qtime(text: str, fallback: str) -> QTime:
    value = parse_clock(text) or parse_clock(fallback)
    assert value is not None
    return QTime(value.hour, value.minute)


class AwaySettingsBox(QGroupBox):
    """`apply(prefs)` returns `prefs` with this group's values."""

    def __init__(
        self,
        prefs: Preferences,
        *,
        idle_status: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Away time and reminders", parent)
        defaults = Preferences()
        form = QFormLayout(self)
        # The app probes the desktop once at start (X server, D-Bus) and passes the result;
        # probing again here would block the dialog on a slow bus.
        self.idle_status = QLabel(idle_status or NOT_CHECKED)
        self.idle_status.setWordWrap(True)
        self.idle_minutes = QSpinBox()
        self.idle_minutes.setRange(1, 240)
        self.idle_minutes.setSuffix(" min")
        self.idle_minutes.setValue(max(1, prefs.idle_minutes))
        self.reminders = QCheckBox("&Remind me when I forget to start or stop")
        self.reminders.setChecked(prefs.reminders)
        days = parse_days(prefs.work_days) or parse_days(defaults.work_days) or frozenset()
        self.work_days = QLineEdit(format_days(days))
        self.work_days.setPlaceholderText("e.g. mon-fri or mon,tue,thu")
        self.work_start = QTimeEdit(_qtime(prefs.work_start, defaults.work_start))
        self.work_end = QTimeEdit(_qtime(prefs.work_end, defaults.work_end))
        for edit in (self.work_start, self.work_end):
            edit.setDisplayFormat("HH:mm")
        hours = QHBoxLayout()
        hours.addWidget(self.work_start)
        hours.addWidget(QLabel("to"))
        hours.addWidget(self.work_end)
        hours.addStretch(1)
        self.stop_on_logout = QCheckBox("Stop a running timer when I lo&g out or shut down")
        self.stop_on_logout.setChecked(prefs.stop_on_logout)

        form.addRow("Idle detection", self.idle_status)
        form.addRow("Ask after &idle for", self.idle_minutes)
        form.addRow("", self.reminders)
        form.addRow("&Work days", self.work_days)
        hours_label = QLabel("Wor&k hours")
        hours_label.setBuddy(self.work_start)
        form.addRow(hours_label, hours)
        form.addRow("", self.stop_on_logout)

    def apply(self, prefs: Preferences) -> Preferences:
        days = parse_days(self.work_days.text())
        start = self.work_start.time().toString("HH:mm")
        end = self.work_end.time().toString("HH:mm")
        return replace(
            prefs,
            idle_minutes=self.idle_minutes.value(),
            reminders=self.reminders.isChecked(),
            # An unreadable day list keeps the previous one rather than silencing reminders.
            work_days=format_days(days) if days else prefs.work_days,
            work_start=start,
            work_end=end if end > start else prefs.work_end,
            stop_on_logout=self.stop_on_logout.isChecked(),
        )
