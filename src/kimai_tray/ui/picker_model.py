"""The picker's rows: recent entries and catalog matches in one bounded QAbstractListModel."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from kimai_tray.core.search import CatalogMatch
from kimai_tray.core.state import NamedRef
from kimai_tray.core.tracker import RecentEntry

# The list never holds more rows than this: 10,000 projects must not mean 10,000 rows to lay out.
MAX_ROWS = 50

ROW_ROLE = int(Qt.ItemDataRole.UserRole) + 1


@dataclass(frozen=True, slots=True)
class PickerRow:
    """One pickable line: a recent entry (with its description/tags) or a catalog match."""

    customer: NamedRef
    project: NamedRef
    activity: NamedRef
    description: str = ""
    tags: tuple[str, ...] = ()
    recent: bool = False
    inactive: bool = False
    badge: str = ""  # e.g. "★ 1": favourite mark and its number key, drawn at the right
    create: str = ""  # "Create activity 'X' in project Y": the row's whole text (core/creation)

    @property
    def title(self) -> str:
        if self.create:
            return self.create
        return f"{self.project.name} · {self.activity.name}"

    @property
    def subtitle(self) -> str:
        extra = self.description or ", ".join(self.tags)
        return f"{self.customer.name} — {extra}" if extra else self.customer.name

    @classmethod
    def of_recent(cls, entry: RecentEntry) -> PickerRow:
        return cls(
            entry.customer,
            entry.project,
            entry.activity,
            entry.description,
            entry.tags,
            recent=True,
        )

    @classmethod
    def of_match(cls, match: CatalogMatch) -> PickerRow:
        return cls(match.customer, match.project, match.activity, inactive=match.inactive)


class PickerModel(QAbstractListModel):
    """Read-only list of `PickerRow`s; replaced wholesale per keystroke (cheap: <= MAX_ROWS)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[PickerRow] = []

    def set_rows(self, rows: Sequence[PickerRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows[:MAX_ROWS])
        self.endResetModel()

    def row_at(self, row: int) -> PickerRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> object:
        row = self.row_at(index.row()) if index.isValid() else None
        if row is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return row.title
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{row.customer.name} · {row.title}" + (" (inactive)" if row.inactive else "")
        if role == ROW_ROLE:
            return row
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        row = self.row_at(index.row()) if index.isValid() else None
        if row is None:
            return Qt.ItemFlag.NoItemFlags
        # Inactive projects stay visible (greyed) so users understand why they cannot pick them.
        if row.inactive:
            return Qt.ItemFlag.ItemIsEnabled
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


def rows_for(
    query: str,
    recent: Sequence[RecentEntry],
    matches: Sequence[CatalogMatch],
) -> list[PickerRow]:
    """Recent entries first when the query is empty; otherwise the (already ranked) matches."""
    rows: list[PickerRow] = []
    if not query.strip():
        rows.extend(PickerRow.of_recent(r) for r in recent)
    # A recent entry already offers its project/activity pair: do not list it twice.
    seen = {(r.project.id, r.activity.id) for r in rows}
    for match in matches:
        if (match.project.id, match.activity.id) in seen:
            continue
        rows.append(PickerRow.of_match(match))
    return rows[:MAX_ROWS]
