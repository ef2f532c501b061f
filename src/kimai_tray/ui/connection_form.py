"""The server/login fields shared by the settings dialog and the first-run wizard."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from kimai_tray.ui.connection import AuthKind, ConnectionDraft, http_warning

LEGACY_HELP = (
    "Kimai 2.14 and newer use API tokens: in Kimai open your profile → API access and create "
    "one. Older Kimai versions use your username plus an API password — set in the same place; "
    "it is not your login password."
)

# Mnemonics (Alt+letter) are unique across the settings dialog, which shows these fields too.
SECRET_LABELS: dict[AuthKind, str] = {"token": "API &token", "legacy": "API &password"}


class ServerFields(QWidget):
    """URL with its clear-text warning."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        self.url = QLineEdit()
        self.url.setPlaceholderText("https://kimai.example.com")
        self.warning = QLabel()
        self.warning.setWordWrap(True)
        self.warning.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.warning.setStyleSheet("color: #9a6700;")
        self.warning.hide()
        form.addRow("Server &URL", self.url)
        form.addRow("", self.warning)
        self.url.textChanged.connect(self._update_warning)
        self.url.textChanged.connect(self.changed)

    def _update_warning(self, text: str) -> None:
        warning = http_warning(text) if text.strip() else None
        self.warning.setText(warning or "")
        self.warning.setVisible(warning is not None)


class AuthFields(QWidget):
    """Token, or legacy username + API password; the CA bundle for private CAs."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        self.kind = QComboBox()
        self.kind.addItem("API token (Kimai 2.14+)", "token")
        self.kind.addItem("Username + API password (older Kimai)", "legacy")
        # Sized to the longest item, the combo squeezed the form's labels ("Authentica") at
        # large fonts; the items still show in full in the drop-down.
        self.kind.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.kind.setMinimumContentsLength(20)
        self.username = QLineEdit()
        self.secret = QLineEdit()
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.help = QLabel(LEGACY_HELP)
        self.help.setWordWrap(True)
        # Top-aligned: the form may give the row more height than the wrapped text needs.
        self.help.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.help.setStyleSheet("color: #6e7781;")
        self.ca_bundle = QLineEdit()
        self.ca_bundle.setPlaceholderText("System certificates")
        # No mnemonic: every letter of "Browse" is taken elsewhere in the settings dialog.
        self.browse = QPushButton("Browse…")
        self.browse.clicked.connect(self._pick_ca)
        ca_row = QHBoxLayout()
        ca_row.addWidget(self.ca_bundle, 1)
        ca_row.addWidget(self.browse)
        form.addRow("&Authentication", self.kind)
        form.addRow("User&name", self.username)
        self.secret_label = QLabel(SECRET_LABELS["token"])
        self.secret_label.setBuddy(self.secret)
        form.addRow(self.secret_label, self.secret)
        form.addRow(self.help)  # spanning: QFormLayout under-measures wrapped field text
        ca_label = QLabel("CA &bundle")
        ca_label.setBuddy(self.ca_bundle)
        form.addRow(ca_label, ca_row)
        self._form = form
        self.kind.currentIndexChanged.connect(self._update_kind)
        for edit in (self.username, self.secret, self.ca_bundle):
            edit.textChanged.connect(self.changed)
        self._update_kind()

    def auth_kind(self) -> AuthKind:
        return "legacy" if self.kind.currentData() == "legacy" else "token"

    def set_auth_kind(self, kind: AuthKind) -> None:
        self.kind.setCurrentIndex(max(self.kind.findData(kind), 0))

    def _update_kind(self) -> None:
        legacy = self.auth_kind() == "legacy"
        self._form.setRowVisible(self.username, legacy)
        self.secret_label.setText(SECRET_LABELS[self.auth_kind()])
        self.changed.emit()

    def _pick_ca(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "CA bundle", "", "Certificates (*.pem *.crt *.cer);;All files (*)"
        )
        if path:
            self.ca_bundle.setText(path)


def draft_of(server: ServerFields, auth: AuthFields) -> ConnectionDraft:
    legacy = auth.auth_kind() == "legacy"
    return ConnectionDraft(
        url=server.url.text().strip(),
        auth_kind=auth.auth_kind(),
        secret=auth.secret.text(),
        username=auth.username.text().strip() if legacy else "",
        ca_bundle=auth.ca_bundle.text().strip(),
    )
