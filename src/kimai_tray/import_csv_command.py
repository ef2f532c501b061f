"""`kimai-tray import-csv FILE [--dry-run] [--delimiter ,]`: the CLI side of the CSV import.

The progress bar is hand-written (a dozen lines) rather than a dependency: it only needs to
redraw one stderr line, and only when stderr is a terminal.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from kimai_tray.command_output import say
from kimai_tray.core.csv_import import (
    CsvContent,
    CsvFormatError,
    describe_plan,
    plan_import,
    read_rows,
)
from kimai_tray.core.csv_import_run import CatalogWriter, load_existing, run_import, summary_lines
from kimai_tray.core.errors import KimaiTrayError

if TYPE_CHECKING:
    from kimai_tray.context import AppContext

BAR_WIDTH = 30


class UserError(KimaiTrayError):
    """One sentence for stderr, exit 1 (cli.py prints `user_message` of every KimaiTrayError)."""


class ProgressBar:
    """`[#####.....] 12/40` redrawn in place on a terminal; silent otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._on = stream.isatty()

    def __call__(self, done: int, total: int) -> None:
        if not self._on or total <= 0:
            return
        filled = BAR_WIDTH * done // total
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        self._stream.write(f"\rImporting [{bar}] {done}/{total}")
        if done >= total:
            self._stream.write("\n")
        self._stream.flush()


def read_csv_file(path: str, delimiter: str | None) -> CsvContent:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UserError(f"There is no file {path}.") from None
    except UnicodeDecodeError:
        raise UserError(f"{path} is not UTF-8 text: save the CSV as UTF-8.") from None
    except OSError as exc:
        raise UserError(f"{path} cannot be read: {exc.strerror}.") from None
    try:
        return read_rows(text, delimiter)
    except CsvFormatError as exc:
        raise UserError(str(exc)) from None


async def run_import_csv(ctx: AppContext, args: argparse.Namespace) -> int:
    content = read_csv_file(args.file, args.delimiter)
    if not ctx.config.configured:
        raise UserError("Not logged in: run 'kimai-tray login --url URL' first.")
    if ctx.config.api_kind != "kimai2":
        raise UserError("CSV import needs a Kimai 2 server: Kimai 1 has no API to create them.")
    backend = ctx.make_backend()
    try:
        writer: CatalogWriter = backend  # type: ignore[assignment]  # Kimai2Client has create_*
        existing = await load_existing(writer)
        plan = plan_import(content, existing)
        if args.dry_run:
            for line in describe_plan(plan):
                say(f"would create {line}")
            say(
                f"Dry run: would create {plan.total} item(s); "
                f"{len(plan.present_lines)} line(s) already present."
            )
            for problem in plan.problems:
                say(f"  line {problem.line}: {problem.reason}")
            return 1 if plan.problems else 0
        result = await run_import(writer, plan, existing, ProgressBar(sys.stderr))
    finally:
        await backend.aclose()
    for line in summary_lines(result):
        say(line)
    return 1 if result.failed else 0
