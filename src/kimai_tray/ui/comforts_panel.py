"""Popup pieces for the everyday comforts: totals bar, favourite/recent rows, number keys."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QVBoxLayout, QWidget

from kimai_tray.core.favourites import Favourite
from kimai_tray.core.totals import Totals, format_duration
from kimai_tray.core.tracker import RecentEntry
from kimai_tray.ui.picker_model import PickerRow

QUICK_KEYS = 9


def quick_rows(favourites: Sequence[Favourite], recents: Sequence[RecentEntry]) -> list[PickerRow]:
    """Favourites (★) then recents not already pinned; the first nine carry their number key."""
    rows: list[PickerRow] = [
        PickerRow(f.customer, f.project, f.activity, f.description, f.tags, recent=True)
        for f in favourites
    ]
    pinned = {f.key for f in favourites}
    rows.extend(
        PickerRow.of_recent(r)
        for r in recents
        if (r.project.id, r.activity.id, r.description, r.tags) not in pinned
    )
    out: list[PickerRow] = []
    for i, row in enumerate(rows):
        star = "★ " if i < len(favourites) else ""
        number = str(i + 1) if i < QUICK_KEYS else ""
        badge = (star + number).strip()
        out.append(
            PickerRow(
                row.customer,
                row.project,
                row.activity,
                row.description,
                row.tags,
                recent=True,
                badge=badge,
            )
        )
    return out


def quick_index(event: QKeyEvent, search_empty: bool) -> int | None:
    """0-based quick row for 1..9: plain digits only while the search field is empty
    (so digits can still be typed into a search), Alt+digit always."""
    key = event.key()
    if not Qt.Key.Key_1.value <= key <= Qt.Key.Key_9.value:
        return None
    mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
    if mods == Qt.KeyboardModifier.AltModifier or (
        mods == Qt.KeyboardModifier.NoModifier and search_empty
    ):
        return key - Qt.Key.Key_1.value
    return None


def favourite_of_row(row: PickerRow) -> Favourite:
    return Favourite(row.customer, row.project, row.activity, row.description, row.tags)


class TotalsBar(QWidget):
    """ "Today 3:05 · Week 21:40" and, with a daily target, a progress bar."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        row = QHBoxLayout()
        self.label = QLabel()
        self.label.setObjectName("customer")
        row.addWidget(self.label, 1)
        lay.addLayout(row)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.setFixedHeight(4)
        self.progress.setVisible(False)
        lay.addWidget(self.progress)

    def show_totals(self, totals: Totals) -> None:
        # Called on every state change: touch the widgets only when something changed.
        text = f"Today {format_duration(totals.today)} · Week {format_duration(totals.week)}"
        if totals.target:
            text += f" · target {format_duration(totals.target)}"
        if self.label.text() != text:
            self.label.setText(text)
        progress = totals.progress
        if self.progress.isHidden() != (progress is None):
            self.progress.setVisible(progress is not None)
        value = min(1000, int(progress * 1000)) if progress is not None else 0
        if progress is not None and self.progress.value() != value:
            self.progress.setValue(value)
