"""Layout regressions seen in the screenshots: wrapped help text painted over the next row.

The dialogs are shown offscreen (a real 800x800 screen, real layouts) at the default font and
at 14 pt; geometry is read after Qt laid them out.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QLabel, QWidget
from pytestqt.qtbot import QtBot

from helpers.keyring_fixtures import MemoryKeyring
from kimai_tray.platform.config import Config
from kimai_tray.platform.credentials import CredentialStore
from kimai_tray.ui.connection_form import AuthFields
from kimai_tray.ui.settings import SettingsDialog
from kimai_tray.ui.wizard import FirstRunWizard


@pytest.fixture(params=[None, 14], ids=["default-font", "14pt"])
def font_size(request: pytest.FixtureRequest) -> Iterator[int | None]:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    app.setStyle("Fusion")
    normal = QFont(app.font())
    if request.param is not None:
        bigger = QFont(normal)
        bigger.setPointSize(request.param)
        app.setFont(bigger)
    yield request.param
    app.setFont(normal)


def rect_in(widget: QWidget, top: QWidget) -> QRect:
    return QRect(widget.mapTo(top, QPoint(0, 0)), widget.size())


def assert_help_fits(auth: AuthFields, top: QWidget) -> None:
    help_label: QLabel = auth.help
    needed = help_label.heightForWidth(help_label.width())
    assert help_label.height() >= needed, "the wrapped help text is cut off"
    help_rect = rect_in(help_label, top)
    for field in (auth.secret, auth.ca_bundle, auth.kind):
        assert not help_rect.intersects(rect_in(field, top)), field.objectName()
        # A squeezed form shrinks its line edits below their natural height first.
        assert field.height() >= field.sizeHint().height()


def test_settings_token_help_does_not_cover_the_next_row(
    qtbot: QtBot, tmp_path: Path, memory_keyring: MemoryKeyring, font_size: int | None
) -> None:
    dialog = SettingsDialog(
        Config(server_url="https://kimai.example.com"),
        tmp_path / "config.toml",
        CredentialStore(memory_keyring),
    )
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert_help_fits(dialog.auth, dialog)
    # Room on a 1366x768 laptop (title bar and panel take the rest) at the default font.
    if font_size is None:
        assert dialog.height() <= 700 and dialog.width() <= 1300


def test_wizard_login_page_help_does_not_cover_the_next_row(
    qtbot: QtBot, tmp_path: Path, memory_keyring: MemoryKeyring, font_size: int | None
) -> None:
    wizard = FirstRunWizard(tmp_path / "config.toml", CredentialStore(memory_keyring))
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.waitExposed(wizard)
    wizard.server.url.setText("https://kimai.example.com")
    wizard.next()
    assert_help_fits(wizard.auth, wizard)
    # The combo no longer squeezes the label column: "Authentication" is shown whole.
    label = wizard.auth.layout().labelForField(wizard.auth.kind)
    assert isinstance(label, QLabel)
    assert label.width() >= label.sizeHint().width()


def test_every_settings_mnemonic_is_unique_and_lands_on_a_field(
    qtbot: QtBot, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    """Alt+letter: each visible labelled control has its own letter; labels have buddies."""
    dialog = SettingsDialog(Config(), tmp_path / "config.toml", CredentialStore(memory_keyring))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    letters: dict[str, str] = {}
    for widget in dialog.findChildren(QWidget):
        text = getattr(widget, "text", None)
        if not widget.isVisible() or not callable(text):
            continue
        value = text()
        if not isinstance(value, str) or "&" not in value.replace("&&", ""):
            continue
        letter = value[value.index("&") + 1].lower()
        assert letter not in letters, f"{value!r} and {letters[letter]!r} share Alt+{letter}"
        letters[letter] = value
        if isinstance(widget, QLabel):
            assert widget.buddy() is not None, f"{value!r} has no buddy"
    assert {"u", "a", "t", "b", "d", "h", "o", "i", "w", "k"} <= letters.keys()
