"""A field that records one global-hotkey combination ("Ctrl+Alt+T") from real key presses.

Click it and press the combination: it shows it in `Hotkey.__str__` form, which `parse_hotkey`
reads back. A key without a modifier, or a key the grab backends cannot name, is refused with
a hint and the previous value stays. Escape cancels, Backspace/Delete and the Reset button go
back to the default.

Typing the text is a mode of its own ("Type" button): the desktop may grab a combination
before any app sees it (GNOME's Ctrl+Alt+T opens a terminal), and some users and assistive
tools enter keys as text rather than chords. In that mode the field is an ordinary line edit;
Enter or leaving the field checks the text with `parse_hotkey`.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QCoreApplication, QEvent, Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from kimai_tray.platform.hotkeys import Hotkey, HotkeyError, parse_hotkey

NEEDS_MODIFIER = "Hold Ctrl, Alt, Shift or Super while you press the key; the hotkey is unchanged."
SHIFT_ALONE = "Shift alone with a letter or digit would stop you typing capitals: add Ctrl or Alt."
UNSUPPORTED_KEY = (
    "That key cannot be a global hotkey: use a letter, a digit, F1–F24, Space, Pause, "
    "Insert, Home or End."
)

_MODIFIER_KEYS = frozenset(
    k.value
    for k in (
        Qt.Key.Key_Control,
        Qt.Key.Key_Shift,
        Qt.Key.Key_Alt,
        Qt.Key.Key_AltGr,
        Qt.Key.Key_Meta,
        Qt.Key.Key_Super_L,
        Qt.Key.Key_Super_R,
        Qt.Key.Key_Hyper_L,
        Qt.Key.Key_Hyper_R,
        Qt.Key.Key_CapsLock,
        Qt.Key.Key_NumLock,
    )
)
# Keys every grab backend can name (X11 keysyms, Windows virtual keys), besides A-Z, 0-9, F-keys.
_NAMED_KEYS = {
    Qt.Key.Key_Space.value: "space",
    Qt.Key.Key_Pause.value: "pause",
    Qt.Key.Key_Insert.value: "insert",
    Qt.Key.Key_Home.value: "home",
    Qt.Key.Key_End.value: "end",
}
# The flag a modifier key sets: whether its own press event already carries it differs
# between platforms (and QTest), so the preview adds it.
_MODIFIER_FLAGS = {
    Qt.Key.Key_Control.value: Qt.KeyboardModifier.ControlModifier,
    Qt.Key.Key_Shift.value: Qt.KeyboardModifier.ShiftModifier,
    Qt.Key.Key_Alt.value: Qt.KeyboardModifier.AltModifier,
    Qt.Key.Key_Meta.value: Qt.KeyboardModifier.MetaModifier,
    Qt.Key.Key_Super_L.value: Qt.KeyboardModifier.MetaModifier,
    Qt.Key.Key_Super_R.value: Qt.KeyboardModifier.MetaModifier,
}
_CLEAR_KEYS = frozenset((Qt.Key.Key_Backspace.value, Qt.Key.Key_Delete.value))
_ENTER_KEYS = frozenset((Qt.Key.Key_Return.value, Qt.Key.Key_Enter.value))


def key_name(key: int) -> str | None:
    """Our name for a Qt key ("j", "7", "f5", "space"), None for keys we cannot grab."""
    if Qt.Key.Key_A.value <= key <= Qt.Key.Key_Z.value:
        return chr(key).lower()
    if Qt.Key.Key_0.value <= key <= Qt.Key.Key_9.value:
        return chr(key)
    if Qt.Key.Key_F1.value <= key <= Qt.Key.Key_F24.value:
        return f"f{key - Qt.Key.Key_F1.value + 1}"
    return _NAMED_KEYS.get(key)


def modifier_names(
    modifiers: Qt.KeyboardModifier, *, platform: str = sys.platform, swapped: bool | None = None
) -> frozenset[str]:
    """Our modifier names for Qt's modifier flags (Meta is the Super/Windows key).

    On macOS Qt swaps the flags by default: ControlModifier is the Command key and
    MetaModifier the Control key. Command is our "super" (parse_hotkey reads "cmd" as super),
    so undo the swap unless the app turned it off (AA_MacDontSwapCtrlAndMeta).
    """
    if swapped is None:
        attribute = Qt.ApplicationAttribute.AA_MacDontSwapCtrlAndMeta
        swapped = platform == "darwin" and not QCoreApplication.testAttribute(attribute)
    control, meta = ("super", "ctrl") if swapped else ("ctrl", "super")
    names: set[str] = set()
    for flag, name in (
        (Qt.KeyboardModifier.ControlModifier, control),
        (Qt.KeyboardModifier.AltModifier, "alt"),
        (Qt.KeyboardModifier.ShiftModifier, "shift"),
        (Qt.KeyboardModifier.MetaModifier, meta),
    ):
        if modifiers & flag:
            names.add(name)
    return frozenset(names)


def refusal(hotkey: Hotkey) -> str | None:
    """Why `hotkey` makes a bad global hotkey even though parse_hotkey accepts it, or None."""
    if hotkey.modifiers == {"shift"} and len(hotkey.key) == 1:
        return SHIFT_ALONE
    return None


def _preview(modifiers: frozenset[str]) -> str:
    held = str(Hotkey(modifiers, "x")).rsplit("+", 1)[0]
    return f"{held}+…"


class _Recorder(QLineEdit):
    """The line edit; HotkeyEdit decides what a key press means."""

    def __init__(self, owner: HotkeyEdit) -> None:
        super().__init__()
        self._owner = owner

    def event(self, event: QEvent) -> bool:
        # While recording, every combination is ours: without this, Alt+S would press the
        # dialog's "&Save" mnemonic and Ctrl+A would select all instead of being recorded.
        if event.type() == QEvent.Type.ShortcutOverride and not self._owner.typing:
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        if not self._owner.handle_key(event):
            super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        self._owner.handle_release(event)
        super().keyReleaseEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt's name
        self._owner.focus_lost()
        super().focusOutEvent(event)


class HotkeyEdit(QWidget):
    """Records one combination; `text()` is the value `HotkeySettingsBox.apply` validates.

    `setText` sets the value without checks (it comes from the config file, and `apply`
    reports a bad one when saving); what the user records or types is checked at once.
    """

    changed = Signal(str)

    def __init__(self, value: str, default: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._value = value
        self._default = default
        self.typing = False
        self._discard_typed = False
        self.field = _Recorder(self)
        self.field.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
        self.field.setAcceptDrops(False)
        self.field.setAccessibleName("Hotkey")
        self.field.setAccessibleDescription(
            "Press the key combination. Escape cancels, Backspace restores the default."
        )
        self.type_button = QToolButton()
        self.type_button.setText("Type")
        self.type_button.setCheckable(True)
        self.type_button.setToolTip("Type the combination as text, e.g. Ctrl+Alt+T")
        self.type_button.toggled.connect(self._set_typing)
        self.reset_button = QToolButton()
        self.reset_button.setText("Reset")
        self.reset_button.setToolTip(f"Back to the default, {default}")
        self.reset_button.clicked.connect(self.reset)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #b42318;")
        self.hint.hide()
        # A form label's mnemonic (its buddy is this widget) lands in the recorder.
        self.setFocusProxy(self.field)

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.field, 1)
        row.addWidget(self.type_button)
        row.addWidget(self.reset_button)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addLayout(row)
        column.addWidget(self.hint)
        self._set_recording_look()
        self._show(value)

    # -- value ---------------------------------------------------------------------------------

    def text(self) -> str:
        """The value to save: the recorded one, or while typing, the text as typed."""
        return self.field.text().strip() if self.typing else self._value

    def setText(self, text: str) -> None:  # noqa: N802 - mirrors QLineEdit for callers and tests
        self._value = text
        self._show(text)
        self._say(None)

    def reset(self) -> None:
        """Back to the default combination."""
        if self.typing:
            self.type_button.setChecked(False)
        self._accept(self._default)

    def _accept(self, text: str) -> None:
        self._say(None)
        self._show(text)
        if text != self._value:
            self._value = text
            self.changed.emit(text)

    def _show(self, text: str) -> None:
        self.field.setText(text)

    def _say(self, hint: str | None) -> None:
        self.hint.setText(hint or "")
        self.hint.setVisible(bool(hint))

    # -- recording -----------------------------------------------------------------------------

    def handle_key(self, event: QKeyEvent) -> bool:
        """Act on a key press; False lets QLineEdit handle it (typing mode)."""
        key = event.key()
        if self.typing:
            if key in _ENTER_KEYS:
                self.type_button.setChecked(False)  # commits
                return True
            if key == Qt.Key.Key_Escape.value:
                self._discard_typed = True  # leave typing mode without checking the text
                self.type_button.setChecked(False)
                return True
            return False
        if key == Qt.Key.Key_Escape.value:
            pending = self.field.text() != self._value or self.hint.isVisible()
            if not pending:
                event.ignore()  # nothing to cancel: let the dialog close
                return True
            self._say(None)
            self._show(self._value)
            return True
        if key in _CLEAR_KEYS:
            self._accept(self._default)
            return True
        if key in _ENTER_KEYS and not modifier_names(event.modifiers()):
            event.ignore()  # a plain Enter is the dialog's (Save), not a hotkey
            return True
        if key in _MODIFIER_KEYS:
            held = event.modifiers() | _MODIFIER_FLAGS.get(key, Qt.KeyboardModifier.NoModifier)
            self._show(_preview(modifier_names(held)))  # what is held so far
            return True
        modifiers = modifier_names(event.modifiers())
        name = key_name(key)
        if name is None:
            self._refuse(UNSUPPORTED_KEY)
        elif not modifiers:
            self._refuse(NEEDS_MODIFIER)
        else:
            hotkey = Hotkey(modifiers, name)
            problem = refusal(hotkey)
            if problem:
                self._refuse(problem)
            else:
                self._accept(str(hotkey))
        return True

    def handle_release(self, event: QKeyEvent) -> None:
        # A modifier let go without a key: the preview ends (pressing a modifier again shows
        # it again; the final key press carries every held modifier anyway).
        if not self.typing and event.key() in _MODIFIER_KEYS and self.field.text() != self._value:
            self._show(self._value)

    def _refuse(self, hint: str) -> None:
        self._show(self._value)
        self._say(hint)

    def focus_lost(self) -> None:
        if self.typing:
            # Leaving the field commits what was typed; on the way to the Type button the
            # button's own toggle does that (committing here would re-check it).
            if QApplication.focusWidget() is not self.type_button:
                self.type_button.setChecked(False)
        elif self.field.text() != self._value:
            self._show(self._value)  # a half-held combination is not a value

    # -- typing mode ---------------------------------------------------------------------------

    def _set_typing(self, typing: bool) -> None:
        if typing == self.typing:
            return
        self.typing = typing
        if typing:
            self._say(None)
            self.field.setAttribute(Qt.WidgetAttribute.WA_InputMethodEnabled, True)
            self.field.setPlaceholderText("e.g. Ctrl+Alt+T")
            self.field.setFocus(Qt.FocusReason.OtherFocusReason)
            self.field.selectAll()
            return
        if self._discard_typed:
            self._discard_typed = False
            self._show(self._value)
        else:
            self._commit_typed(self.field.text().strip())
        self._set_recording_look()

    def _commit_typed(self, text: str) -> None:
        if not text:
            self._accept(self._default)
            return
        try:
            hotkey = parse_hotkey(text)
        except HotkeyError as exc:
            self._refuse(exc.user_message)
            return
        problem = refusal(hotkey)
        if problem:
            self._refuse(problem)
        else:
            self._accept(str(hotkey))

    def _set_recording_look(self) -> None:
        # No input method while recording: it would swallow the keys we want to see raw.
        self.field.setAttribute(Qt.WidgetAttribute.WA_InputMethodEnabled, False)
        self.field.setPlaceholderText("Click and press a key combination")
