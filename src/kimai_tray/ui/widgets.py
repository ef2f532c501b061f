"""Small shared widgets and the popup's look (palette constants, row delegate)."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from kimai_tray.ui.picker_model import ROW_ROLE, PickerRow

ACCENT = "#e5484d"  # stop/record red, as in Toggl-like trackers
TEXT = "#1f2328"
MUTED = "#6e7781"
SELECTED = "#eef2ff"

POPUP_STYLE = f"""
QWidget#popupRoot {{ background: #ffffff; border: 1px solid #d0d7de; border-radius: 10px; }}
QLabel#header {{ font-size: 15px; font-weight: 600; color: {TEXT}; }}
QLabel#status {{ color: {MUTED}; font-size: 12px; }}
QLabel#statusError {{ color: #b42318; font-size: 12px; }}
QLabel#path {{ font-size: 13px; font-weight: 600; color: {TEXT}; }}
QLabel#customer {{ font-size: 12px; color: {MUTED}; }}
QLabel#elapsed {{ font-size: 28px; font-weight: 400; color: {TEXT}; }}
QLabel#sectionTitle {{ font-size: 11px; font-weight: 600; color: {MUTED}; }}
QFrame#separator {{ background: #eaeef2; max-height: 1px; min-height: 1px; border: none; }}
QLineEdit {{ padding: 6px 8px; border: 1px solid #d0d7de; border-radius: 6px; font-size: 13px; }}
QLineEdit:focus {{ border: 1px solid #6366f1; }}
QListView {{ border: none; outline: none; }}
QPushButton {{ background: #ffffff; color: {TEXT}; border: 1px solid #d0d7de; border-radius: 6px;
    padding: 6px 12px; font-size: 13px; }}
QPushButton:hover {{ background: #f6f8fa; }}
QPushButton#primary {{ background: #6366f1; color: white; border: none; border-radius: 6px;
    padding: 7px 16px; font-weight: 600; }}
QPushButton#primary:disabled {{ background: #c7c9f5; }}
QPushButton#stop {{ background: {ACCENT}; color: white; border: none; border-radius: 6px;
    padding: 7px 16px; font-weight: 600; }}
"""


class PickerDelegate(QStyledItemDelegate):
    """Two-line row: bold `project · activity`, muted customer line; greyed when inactive."""

    ROW_HEIGHT = 44

    def sizeHint(  # noqa: N802
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        return QSize(option.rect.width(), self.ROW_HEIGHT)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        row = index.data(ROW_ROLE)
        if not isinstance(row, PickerRow):
            return
        painter.save()
        rect: QRect = option.rect
        state = option.state
        if state & QStyle.StateFlag.State_Selected:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(SELECTED))
            painter.drawRoundedRect(rect.adjusted(2, 1, -2, -1), 6, 6)
        text_color = QColor(MUTED if row.inactive else TEXT)
        left = rect.left() + 12
        if row.recent:
            # A small clock-like dot marks entries that restart with their description.
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor("#6366f1"))
            painter.drawEllipse(left, rect.top() + 12, 6, 6)
        left += 14
        width = rect.width() - (left - rect.left()) - 10
        if row.badge:
            # Favourite star and number key at the right edge; the title is elided before it.
            painter.setPen(QColor(MUTED))
            painter.drawText(
                QRect(rect.right() - 46, rect.top() + 4, 36, 18),
                int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                row.badge,
            )
            width -= 40
        title_font = QFont(option.font)
        title_font.setWeight(QFont.Weight.DemiBold)
        painter.setFont(title_font)
        painter.setPen(text_color)
        metrics = painter.fontMetrics()
        title = metrics.elidedText(row.title, Qt.TextElideMode.ElideRight, width)
        painter.drawText(
            QRect(left, rect.top() + 4, width, 18),
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            title,
        )
        sub_font = QFont(option.font)
        sub_font.setPointSizeF(max(sub_font.pointSizeF() - 1, 7))
        painter.setFont(sub_font)
        painter.setPen(QColor(MUTED))
        subtitle = row.subtitle + ("  (inactive)" if row.inactive else "")
        subtitle = painter.fontMetrics().elidedText(subtitle, Qt.TextElideMode.ElideRight, width)
        painter.drawText(
            QRect(left, rect.top() + 22, width, 18),
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            subtitle,
        )
        painter.restore()
