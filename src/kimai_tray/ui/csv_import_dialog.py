""" "Import from CSV…" in the settings: pick a file, import it with a QProgressDialog.

The import runs as an asyncio task on the qasync loop, so the UI keeps painting and Cancel
works between two creates (what was created stays created; running it again fills the rest).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import cast

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFileDialog, QProgressDialog, QWidget

from kimai_tray.core.backend import KimaiBackend
from kimai_tray.core.csv_import import plan_import
from kimai_tray.core.csv_import_run import (
    CatalogWriter,
    ImportResult,
    load_existing,
    run_import,
    summary_lines,
)
from kimai_tray.core.errors import KimaiTrayError
from kimai_tray.import_csv_command import read_csv_file

MakeBackend = Callable[[], KimaiBackend]


class CsvImportController(QObject):
    """`finished(ok, summary)` when an import ends: one summary sentence plus details lines."""

    finished = Signal(bool, str)

    def __init__(self, parent: QWidget, make_backend: MakeBackend) -> None:
        super().__init__(parent)
        self._parent = parent
        self._make_backend = make_backend
        self.progress: QProgressDialog | None = None
        self.task: asyncio.Task[None] | None = None
        self.result: ImportResult | None = None

    def choose_and_start(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self._parent, "Import from CSV", "", "CSV files (*.csv);;All files (*)"
        )
        if path:
            self.start(path)

    def start(self, path: str) -> None:
        if self.task is not None and not self.task.done():
            return  # one import at a time
        progress = QProgressDialog("Reading the CSV file…", "Cancel", 0, 0, self._parent)
        progress.setWindowTitle("Import from CSV")
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(0)
        progress.setAutoClose(False)
        progress.setAutoReset(False)
        self.progress = progress
        self.task = asyncio.get_event_loop().create_task(self._run(path, progress))
        progress.canceled.connect(self.task.cancel)
        progress.show()

    async def _run(self, path: str, progress: QProgressDialog) -> None:
        ok, text = False, ""
        try:
            content = read_csv_file(path, None)
            backend = self._make_backend()
            try:
                if not hasattr(backend, "create_customer"):
                    raise KimaiTrayError("CSV import needs a Kimai 2 server.")
                writer = cast(CatalogWriter, backend)
                progress.setLabelText("Reading customers, projects and activities from Kimai…")
                existing = await load_existing(writer)
                plan = plan_import(content, existing)
                progress.setMaximum(max(plan.total, 1))
                progress.setLabelText(f"Creating {plan.total} item(s)…")

                def step(done: int, total: int) -> None:
                    progress.setValue(done)

                self.result = await run_import(writer, plan, existing, step)
            finally:
                await backend.aclose()
            ok = not self.result.failed
            text = "\n".join(summary_lines(self.result))
        except asyncio.CancelledError:
            text = "Import cancelled: what was created stays; import again to add the rest."
        except KimaiTrayError as exc:
            text = exc.user_message
        finally:
            progress.close()
            self.finished.emit(ok, text)
