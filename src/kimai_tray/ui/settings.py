"""Settings dialog: server login (tested before it is saved) and preferences."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kimai_tray.core.errors import KimaiTrayError
from kimai_tray.platform.autostart import Autostart
from kimai_tray.platform.config import Config, save_config
from kimai_tray.platform.credentials import CredentialStore
from kimai_tray.platform.hotkeys import HotkeySupport
from kimai_tray.ui.away_settings import AwaySettingsBox
from kimai_tray.ui.connection import (
    BackendFactory,
    ConnectionDraft,
    ConnectionReport,
    async_slot,
    check_connection,
    kimai2_backend,
)
from kimai_tray.ui.connection_form import AuthFields, ServerFields, draft_of
from kimai_tray.ui.csv_import_dialog import CsvImportController
from kimai_tray.ui.daily_target import DailyTargetField
from kimai_tray.ui.hotkey_settings import HotkeySettingsBox


def save_login(
    draft: ConnectionDraft, base: Config, config_path: Path, store: CredentialStore
) -> Config:
    """Secret to the keyring, everything else to the config file (never the other way)."""
    username = draft.username or None
    if draft.secret:
        store.store(draft.url, username, draft.secret)
    config = replace(
        base,
        server_url=draft.url,
        username=draft.username,
        auth_kind=draft.auth_kind,
        ca_bundle=draft.ca_bundle,
    )
    save_config(config_path, config)
    return config


WINDOW_TITLE = "Kimai Tray settings"


def fit_wrapped_text(dialog: QDialog) -> None:
    """Make a shown dialog at least as tall as its word-wrapped labels need at its width.

    Qt sizes a new window from plain size hints, caps it at 2/3 of the screen's height and
    ignores height-for-width in its minimum height: with a large font a wrapped label then
    gets fewer lines than it needs and is painted over the row below it.
    """
    layout = dialog.layout()
    if layout is None or not layout.hasHeightForWidth():
        return
    available = dialog.screen().availableGeometry().height()
    # Twice: the first resize can move the form's label column and so re-wrap the text.
    for _ in range(2):
        layout.activate()
        height = min(layout.totalHeightForWidth(dialog.width()), available)
        if height > dialog.minimumHeight():
            dialog.setMinimumHeight(height)
        if height > dialog.height():
            dialog.resize(dialog.width(), height)


def result_style(ok: bool) -> str:
    return "color: #1a7f37;" if ok else "color: #b42318;"


class SettingsDialog(QDialog):
    """Edit the login and preferences; `saved(Config)` after a successful save."""

    saved = Signal(object)  # Config

    def __init__(
        self,
        config: Config,
        config_path: Path,
        store: CredentialStore,
        *,
        make_backend: BackendFactory = kimai2_backend,
        hotkey_support: HotkeySupport | None = None,
        autostart: Autostart | None = None,
        idle_status: str | None = None,
        hotkeys_assigned: Mapping[str, str] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(WINDOW_TITLE)
        self._config = config
        self._path = config_path
        self._store = store
        self._make_backend = make_backend
        self.last_report: ConnectionReport | None = None

        server_box = QGroupBox("Kimai server")
        server_layout = QVBoxLayout(server_box)
        self.server = ServerFields()
        self.auth = AuthFields()
        server_layout.addWidget(self.server)
        server_layout.addWidget(self.auth)
        test_row = QHBoxLayout()
        self.test_button = QPushButton("Test conn&ection")
        self.test_button.clicked.connect(self.test_connection)
        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.result_label, 1)
        server_layout.addLayout(test_row)
        # Customers, projects and activities from a spreadsheet (Kimai 2, needs create rights).
        self.csv_import = CsvImportController(self, lambda: self._make_backend(self._draft()))
        self.csv_import.finished.connect(self._csv_import_finished)
        self.import_button = QPushButton("I&mport from CSV…")
        self.import_button.clicked.connect(self.csv_import.choose_and_start)
        server_layout.addWidget(self.import_button)

        prefs_box = QGroupBox("Preferences")
        prefs = QFormLayout(prefs_box)
        self.notifications = QCheckBox("Show noti&fications")
        self.notifications.setChecked(config.preferences.notifications)
        prefs.addRow("", self.notifications)
        self.daily_target = DailyTargetField(config.preferences.daily_target_minutes)
        prefs.addRow("&Daily target", self.daily_target)
        self.hotkeys_box = HotkeySettingsBox(
            config.preferences,
            support=hotkey_support,
            autostart=autostart,
            assigned=hotkeys_assigned,
        )
        self.away_box = AwaySettingsBox(config.preferences, idle_status=idle_status)

        # Two columns: stacked in one, the groups need ~800 px, more than a 768-px-high screen
        # has, and Qt then squeezes the rows until the token help covers the fields below it.
        left = QVBoxLayout()
        left.addWidget(server_box)
        left.addWidget(prefs_box)
        left.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(self.hotkeys_box)
        right.addWidget(self.away_box)
        right.addStretch(1)
        columns = QHBoxLayout()
        columns.setSpacing(12)
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
        layout = QVBoxLayout(self)
        layout.setSpacing(12)
        layout.addLayout(columns, 1)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

        self.server.url.setText(config.server_url)
        self.auth.set_auth_kind(config.auth_kind)
        self.auth.username.setText(config.username)
        self.auth.ca_bundle.setText(config.ca_bundle)
        # The stored secret stays in the keyring; an empty field means "keep it".
        self.auth.secret.setPlaceholderText("Unchanged" if config.configured else "")

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        fit_wrapped_text(self)

    def _draft(self) -> ConnectionDraft:
        draft = draft_of(self.server, self.auth)
        if not draft.secret and self._config.configured:
            try:
                stored = self._store.load(draft.url, draft.username or None)
            except KimaiTrayError:
                stored = None
            draft = replace(draft, secret=stored or "")
        return draft

    @async_slot
    async def test_connection(self) -> None:
        """Run the doctor checks on the typed values without blocking the UI."""
        self.test_button.setEnabled(False)
        self.result_label.setStyleSheet("color: #6e7781;")
        self.result_label.setText("Testing…")
        try:
            report = await check_connection(self._draft(), self._make_backend)
        finally:
            self.test_button.setEnabled(True)
        self.last_report = report
        self.result_label.setStyleSheet(result_style(report.ok))
        self.result_label.setText(report.sentence)

    def _csv_import_finished(self, ok: bool, summary: str) -> None:
        # The headline sentences here; the per-line failures in the tooltip.
        lines = summary.splitlines()
        headline = " ".join(line for line in lines if not line.startswith(" "))
        self.result_label.setStyleSheet(result_style(ok))
        self.result_label.setText(headline)
        self.result_label.setToolTip(summary)

    def save(self) -> None:
        draft = draft_of(self.server, self.auth)
        preferences = replace(
            self._config.preferences,
            notifications=self.notifications.isChecked(),
            daily_target_minutes=self.daily_target.minutes(),
        )
        preferences = self.away_box.apply(preferences)
        try:
            preferences = self.hotkeys_box.apply(preferences)
            config = save_login(
                draft, replace(self._config, preferences=preferences), self._path, self._store
            )
            self.hotkeys_box.apply_autostart()
        except KimaiTrayError as exc:
            self.result_label.setStyleSheet(result_style(False))
            self.result_label.setText(exc.user_message)
            return
        except OSError as exc:  # the autostart file could not be written or removed
            self.result_label.setStyleSheet(result_style(False))
            self.result_label.setText(f"Start at login could not be changed: {exc.strerror}.")
            return
        self._config = config
        self.saved.emit(config)
        self.accept()
