"""The hotkey recorder (ui/hotkey_edit.py) driven by real Qt key events through QTest."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QPushButton, QVBoxLayout
from pytestqt.qtbot import QtBot

from kimai_tray.platform.hotkeys import parse_hotkey
from kimai_tray.ui.hotkey_edit import (
    NEEDS_MODIFIER,
    SHIFT_ALONE,
    UNSUPPORTED_KEY,
    HotkeyEdit,
    key_name,
    modifier_names,
)

CTRL = Qt.KeyboardModifier.ControlModifier
ALT = Qt.KeyboardModifier.AltModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
META = Qt.KeyboardModifier.MetaModifier


def make_edit(qtbot: QtBot, value: str = "Ctrl+Alt+T") -> HotkeyEdit:
    edit = HotkeyEdit(value, "Ctrl+Alt+T")
    qtbot.addWidget(edit)
    edit.show()
    qtbot.waitExposed(edit)
    return edit


def test_pressing_ctrl_alt_j_records_it_in_our_format(qtbot: QtBot) -> None:
    edit = make_edit(qtbot)
    with qtbot.waitSignal(edit.changed) as changed:
        qtbot.keyClick(edit.field, Qt.Key.Key_J, CTRL | ALT)
    assert changed.args == ["Ctrl+Alt+J"]
    assert edit.text() == "Ctrl+Alt+J" == edit.field.text()
    assert str(parse_hotkey(edit.text())) == "Ctrl+Alt+J"
    assert edit.hint.isHidden()

    qtbot.keyClick(edit.field, Qt.Key.Key_F5, CTRL | SHIFT)
    assert edit.text() == "Ctrl+Shift+F5"
    qtbot.keyClick(edit.field, Qt.Key.Key_Space, META)
    assert edit.text() == "Super+Space"  # Meta is the Super/Windows key
    qtbot.keyClick(edit.field, Qt.Key.Key_7, ALT | SHIFT | CTRL | META)
    assert edit.text() == "Ctrl+Alt+Shift+Super+7"


def test_a_bare_key_is_refused_with_a_hint_and_the_old_value_kept(qtbot: QtBot) -> None:
    edit = make_edit(qtbot, "Ctrl+Alt+K")
    with qtbot.assertNotEmitted(edit.changed):
        qtbot.keyClick(edit.field, Qt.Key.Key_J)
    assert edit.text() == "Ctrl+Alt+K" == edit.field.text()
    assert edit.hint.isVisible() and edit.hint.text() == NEEDS_MODIFIER

    # Shift alone with a letter would eat capitals everywhere; a key with no grab name is refused.
    qtbot.keyClick(edit.field, Qt.Key.Key_J, SHIFT)
    assert edit.text() == "Ctrl+Alt+K" and edit.hint.text() == SHIFT_ALONE
    qtbot.keyClick(edit.field, Qt.Key.Key_Slash, CTRL)
    assert edit.text() == "Ctrl+Alt+K" and edit.hint.text() == UNSUPPORTED_KEY

    qtbot.keyClick(edit.field, Qt.Key.Key_J, CTRL | ALT)  # a good one clears the hint
    assert edit.text() == "Ctrl+Alt+J" and edit.hint.isHidden()


def test_held_modifiers_preview_and_escape_cancels(qtbot: QtBot) -> None:
    edit = make_edit(qtbot, "Ctrl+Alt+K")
    qtbot.keyPress(edit.field, Qt.Key.Key_Control)
    assert edit.field.text() == "Ctrl+…"
    qtbot.keyPress(edit.field, Qt.Key.Key_Alt, CTRL)  # Ctrl still held
    assert edit.field.text() == "Ctrl+Alt+…"
    with qtbot.assertNotEmitted(edit.changed):
        qtbot.keyClick(edit.field, Qt.Key.Key_Escape, CTRL | ALT)
    assert edit.field.text() == "Ctrl+Alt+K" == edit.text()

    qtbot.keyClick(edit.field, Qt.Key.Key_J)  # refused: hint shown
    qtbot.keyClick(edit.field, Qt.Key.Key_Escape)  # Escape dismisses the hint
    assert edit.hint.isHidden() and edit.text() == "Ctrl+Alt+K"

    qtbot.keyPress(edit.field, Qt.Key.Key_Shift)
    assert edit.field.text() == "Shift+…"
    qtbot.keyRelease(edit.field, Qt.Key.Key_Shift)  # let go without a key: nothing recorded
    assert edit.field.text() == "Ctrl+Alt+K" == edit.text()


def test_escape_with_nothing_to_cancel_still_closes_the_dialog(qtbot: QtBot) -> None:
    dialog = QDialog()
    qtbot.addWidget(dialog)
    edit = HotkeyEdit("Ctrl+Alt+K", "Ctrl+Alt+T")
    QVBoxLayout(dialog).addWidget(edit)
    dialog.show()
    qtbot.waitExposed(dialog)
    qtbot.keyPress(edit.field, Qt.Key.Key_Control)
    qtbot.keyClick(edit.field, Qt.Key.Key_Escape, CTRL)  # cancels the half-pressed combination
    assert dialog.isVisible()
    with qtbot.waitSignal(dialog.rejected):
        qtbot.keyClick(edit.field, Qt.Key.Key_Escape)
    assert edit.text() == "Ctrl+Alt+K"


def test_a_plain_enter_reaches_the_dialogs_default_button(qtbot: QtBot) -> None:
    dialog = QDialog()
    qtbot.addWidget(dialog)
    layout = QVBoxLayout(dialog)
    edit = HotkeyEdit("Ctrl+Alt+K", "Ctrl+Alt+T")
    save = QPushButton("Save")
    save.setDefault(True)
    layout.addWidget(edit)
    layout.addWidget(save)
    dialog.show()
    qtbot.waitExposed(dialog)
    with qtbot.waitSignal(save.clicked):
        qtbot.keyClick(edit.field, Qt.Key.Key_Return)
    assert edit.text() == "Ctrl+Alt+K" and edit.hint.isHidden()


def test_backspace_delete_and_reset_go_back_to_the_default(qtbot: QtBot) -> None:
    edit = make_edit(qtbot, "Ctrl+Alt+K")
    qtbot.keyClick(edit.field, Qt.Key.Key_Backspace)
    assert edit.text() == "Ctrl+Alt+T"
    qtbot.keyClick(edit.field, Qt.Key.Key_J, CTRL | ALT)
    qtbot.keyClick(edit.field, Qt.Key.Key_Delete)
    assert edit.text() == "Ctrl+Alt+T"
    qtbot.keyClick(edit.field, Qt.Key.Key_J, CTRL | ALT)
    qtbot.mouseClick(edit.reset_button, Qt.MouseButton.LeftButton)
    assert edit.text() == "Ctrl+Alt+T" == edit.field.text()


def test_recording_wins_over_the_dialogs_mnemonics(qtbot: QtBot) -> None:
    """Alt+S must be recorded, not press a "&Save" button elsewhere in the dialog."""
    dialog = QDialog()
    qtbot.addWidget(dialog)
    layout = QVBoxLayout(dialog)
    edit = HotkeyEdit("Ctrl+Alt+K", "Ctrl+Alt+T")
    save = QPushButton("&Save")
    layout.addWidget(edit)
    layout.addWidget(save)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    edit.field.setFocus()
    qtbot.waitUntil(edit.field.hasFocus)
    with qtbot.assertNotEmitted(save.clicked):
        qtbot.keyClick(edit.field, Qt.Key.Key_S, ALT)
    assert edit.text() == "Alt+S"


def test_typing_mode_accepts_text_and_checks_it(qtbot: QtBot) -> None:
    edit = make_edit(qtbot, "Ctrl+Alt+K")
    qtbot.mouseClick(edit.type_button, Qt.MouseButton.LeftButton)
    assert edit.typing
    edit.field.clear()
    qtbot.keyClicks(edit.field, "ctrl+shift+f5")
    assert edit.text() == "ctrl+shift+f5"  # while typing, the raw text is the value
    qtbot.keyClick(edit.field, Qt.Key.Key_Return)
    assert not edit.typing and edit.text() == "Ctrl+Shift+F5" == edit.field.text()

    qtbot.mouseClick(edit.type_button, Qt.MouseButton.LeftButton)
    edit.field.clear()
    qtbot.keyClicks(edit.field, "T")
    qtbot.keyClick(edit.field, Qt.Key.Key_Return)
    assert edit.text() == "Ctrl+Shift+F5"  # refused, old value kept
    assert "modifier" in edit.hint.text() and edit.hint.isVisible()

    qtbot.mouseClick(edit.type_button, Qt.MouseButton.LeftButton)
    edit.field.clear()
    qtbot.keyClicks(edit.field, "alt+q")
    qtbot.keyClick(edit.field, Qt.Key.Key_Escape)  # Escape drops what was typed
    assert not edit.typing and edit.text() == "Ctrl+Shift+F5" == edit.field.text()


def test_key_and_modifier_names() -> None:
    assert [key_name(k.value) for k in (Qt.Key.Key_A, Qt.Key.Key_0, Qt.Key.Key_F24)] == [
        "a",
        "0",
        "f24",
    ]
    assert key_name(Qt.Key.Key_Pause.value) == "pause"
    assert key_name(Qt.Key.Key_Comma.value) is None
    assert modifier_names(CTRL | META, swapped=False) == {"ctrl", "super"}
    # macOS: Qt reports Command as ControlModifier and Control as MetaModifier.
    assert modifier_names(CTRL, swapped=True) == {"super"}
    assert modifier_names(META, swapped=True) == {"ctrl"}
    assert modifier_names(CTRL, platform="darwin") == {"super"}
    assert modifier_names(CTRL, platform="linux") == {"ctrl"}
