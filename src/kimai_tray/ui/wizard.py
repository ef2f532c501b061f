"""First-run wizard: URL → login → test → done. Only a verified login is saved."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kimai_tray.core.errors import KimaiTrayError
from kimai_tray.platform.config import Config
from kimai_tray.platform.credentials import CredentialStore
from kimai_tray.ui.connection import (
    BackendFactory,
    ConnectionDraft,
    ConnectionReport,
    async_slot,
    check_connection,
    kimai2_backend,
)
from kimai_tray.ui.connection_form import AuthFields, ServerFields, draft_of
from kimai_tray.ui.settings import fit_wrapped_text, result_style, save_login

PAGE_URL, PAGE_AUTH, PAGE_TEST, PAGE_DONE = range(4)


def _page(title: str, body: QWidget | None, intro: str = "") -> QWidget:
    page = QWidget()
    lay = QVBoxLayout(page)
    heading = QLabel(title)
    # Relative to the user's font: a fixed pixel size came out smaller than the body text.
    font = heading.font()
    font.setPointSizeF(font.pointSizeF() * 1.4)
    font.setWeight(QFont.Weight.DemiBold)
    heading.setFont(font)
    lay.addWidget(heading)
    if intro:
        text = QLabel(intro)
        text.setWordWrap(True)
        text.setStyleSheet("color: #6e7781;")
        lay.addWidget(text)
    if body is not None:
        lay.addWidget(body)
    lay.addStretch(1)
    return page


class FirstRunWizard(QDialog):
    """Shown when nothing is configured; emits `configured(Config)` once saved."""

    configured = Signal(object)  # Config

    def __init__(
        self,
        config_path: Path,
        store: CredentialStore,
        *,
        base: Config | None = None,
        make_backend: BackendFactory = kimai2_backend,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Connect Kimai Tray to Kimai")
        self.setMinimumSize(520, 340)
        self._path = config_path
        self._store = store
        self._base = base or Config()
        self._make_backend = make_backend
        self._verified: ConnectionDraft | None = None
        self.last_report: ConnectionReport | None = None

        self.server = ServerFields()
        self.auth = AuthFields()
        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        self.result_label.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.stack = QStackedWidget()
        self.stack.addWidget(
            _page("Your Kimai server", self.server, "The address you open Kimai with.")
        )
        self.stack.addWidget(_page("Log in", self.auth))
        self.stack.addWidget(_page("Testing the connection", self.result_label))
        self.stack.addWidget(
            _page("All set", None, "Kimai Tray lives in your system tray. Click it to track.")
        )

        self.back_button = QPushButton("Back")
        self.next_button = QPushButton("Next")
        self.next_button.setDefault(True)
        self.back_button.clicked.connect(self.back)
        self.next_button.clicked.connect(self.next)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.next_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.stack, 1)
        layout.addLayout(buttons)
        self.server.changed.connect(self._update_buttons)
        self.auth.changed.connect(self._update_buttons)
        self._update_buttons()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        fit_wrapped_text(self)

    def page(self) -> int:
        return self.stack.currentIndex()

    def _update_buttons(self) -> None:
        page = self.page()
        self.back_button.setEnabled(page in (PAGE_AUTH, PAGE_TEST))
        draft = draft_of(self.server, self.auth)
        ready = {
            PAGE_URL: bool(draft.url),
            PAGE_AUTH: bool(draft.secret) and (draft.auth_kind == "token" or bool(draft.username)),
            PAGE_TEST: self._verified is not None,
            PAGE_DONE: True,
        }[page]
        self.next_button.setEnabled(ready)
        self.next_button.setText("Finish" if page == PAGE_DONE else "Next")

    def _go(self, page: int) -> None:
        self.stack.setCurrentIndex(page)
        self._update_buttons()
        if self.isVisible():
            fit_wrapped_text(self)  # the login page's help text is taller than the URL page
        if page == PAGE_URL:
            self.server.url.setFocus()
        elif page == PAGE_AUTH:
            self.auth.secret.setFocus()

    def back(self) -> None:
        self._verified = None
        self._go(max(self.page() - 1, PAGE_URL))

    def next(self) -> None:
        page = self.page()
        if page == PAGE_AUTH:
            self._go(PAGE_TEST)
            self.run_test()
        elif page == PAGE_TEST and self._verified is not None:
            self._finish_save()
        elif page == PAGE_DONE:
            self.accept()
        elif page == PAGE_URL:
            self._go(PAGE_AUTH)

    @async_slot
    async def run_test(self) -> None:
        draft = draft_of(self.server, self.auth)
        self._verified = None
        self.result_label.setStyleSheet("color: #6e7781;")
        self.result_label.setText("Contacting Kimai…")
        self._update_buttons()
        report = await check_connection(draft, self._make_backend)
        self.last_report = report
        # The user may have gone back meanwhile; only the draft we tested can be saved.
        if report.ok and draft == draft_of(self.server, self.auth):
            self._verified = draft
        self.result_label.setStyleSheet(result_style(report.ok))
        self.result_label.setText(
            report.sentence if report.ok else report.sentence + "\n\nGo back to fix it."
        )
        self._update_buttons()

    def _finish_save(self) -> None:
        assert self._verified is not None
        try:
            config = save_login(self._verified, self._base, self._path, self._store)
        except KimaiTrayError as exc:
            self.result_label.setStyleSheet(result_style(False))
            self.result_label.setText(exc.user_message)
            return
        self.configured.emit(config)
        self._go(PAGE_DONE)
