"""`kimai-tray --self-test`: prove an installed build works, headless, in seconds.

Each check prints one line (`OK`, `WARNING` or `FAIL`); the exit code is 0 only if every required
check passed. It is the smoke test that the packaging scripts run on each bundle, so it exercises
what a frozen build most often gets wrong: Qt plugins, bundled resources, hidden imports.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from PySide6.QtGui import QImage

    from kimai_tray.core.diagnostics import CheckResult


class Status(Enum):
    OK = "OK"
    WARNING = "WARNING"
    FAIL = "FAIL"


@dataclass(frozen=True, slots=True)
class Check:
    """The outcome of one self-test check."""

    name: str
    status: Status
    detail: str

    def line(self) -> str:
        return f"{self.status.value:<7} {self.name}: {self.detail}"


def run_self_test(out: TextIO | None = None) -> int:
    """Run every check, print one line each to `out` (stdout); 0 if all required checks passed."""
    stream = out if out is not None else sys.stdout
    checks: list[Check] = []
    for step in (_check_qt, _check_svg_icon, _check_doctor, _check_keyring):
        for check in _guarded(step):
            checks.append(check)
            print(check.line(), file=stream, flush=True)
    failed = sum(check.status is Status.FAIL for check in checks)
    print(f"self-test: {'FAILED' if failed else 'passed'} ({len(checks)} checks)", file=stream)
    return 1 if failed else 0


def _guarded(step: Callable[[], Iterator[Check]]) -> Iterator[Check]:
    # A crash in one check must become a FAIL line, not hide the checks after it.
    name = step.__name__.removeprefix("_check_")
    try:
        yield from step()
    except Exception as exc:  # reported as a FAIL line, never swallowed
        yield Check(name, Status.FAIL, f"{type(exc).__name__}: {exc}")


def _check_qt() -> Iterator[Check]:
    # Without a display Qt aborts the process; offscreen makes the check runnable on any box.
    if not os.environ.get("QT_QPA_PLATFORM") and not (
        sys.platform in ("win32", "darwin")
        or os.environ.get("DISPLAY")
        or os.environ.get("WAYLAND_DISPLAY")
    ):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtGui import QGuiApplication, QImageReader
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "kimai-tray"])
    del app  # kept alive by Qt itself; the reference is only needed to create it
    yield Check("qt-platform", Status.OK, f"plugin {QGuiApplication.platformName()!r}")
    formats = {bytes(fmt.data()).decode() for fmt in QImageReader.supportedImageFormats()}
    if "svg" in formats:
        yield Check("qt-imageformats", Status.OK, "svg image format plugin loaded")
    else:
        yield Check("qt-imageformats", Status.FAIL, f"no svg plugin (have {sorted(formats)})")


def _check_svg_icon() -> Iterator[Check]:
    from PySide6.QtCore import QSize
    from PySide6.QtGui import QImageReader

    # The same helper the tray uses, so this sees exactly the files the app will load.
    from kimai_tray.ui.icons import resources_dir

    icons = sorted((resources_dir() / "icons").glob("*.svg"))
    if not icons:
        yield Check("svg-icons", Status.FAIL, f"no .svg icon in {resources_dir() / 'icons'}")
        return
    for svg in icons:
        reader = QImageReader(str(svg))
        reader.setScaledSize(QSize(64, 64))  # tray-ish size, independent of the viewBox
        image = reader.read()
        if image.isNull() or not _painted_pixels(image):
            problem = reader.errorString() if image.isNull() else "renders empty"
            yield Check("svg-icons", Status.FAIL, f"{svg.name}: {problem}")
            return
    yield Check("svg-icons", Status.OK, f"{len(icons)} icons rendered non-empty at 64x64")


def _painted_pixels(image: QImage) -> int:
    from PySide6.QtGui import QImage as Image  # run-time import: Qt loads only once needed

    argb = image.convertToFormat(Image.Format.Format_ARGB32)
    return sum(
        1
        for y in range(argb.height())
        for x in range(argb.width())
        if (argb.pixel(x, y) >> 24) & 0xFF
    )


def _check_doctor() -> Iterator[Check]:
    from kimai_tray.simulator.server import SimulatorServer

    token = secrets.token_urlsafe(16)  # throwaway: only this process and its loopback server see it
    server = SimulatorServer(token=token)
    server.start()
    try:
        yield Check("simulator", Status.OK, f"listening on {server.url}")
        results = asyncio.run(_doctor(server.url, token))
    finally:
        server.stop()
    for result in results:
        yield _from_doctor(result)


async def _doctor(url: str, token: str) -> list[CheckResult]:
    from kimai_tray.api.credentials import Credentials
    from kimai_tray.api.kimai2 import Kimai2Client
    from kimai_tray.core.diagnostics import run_doctor

    client = Kimai2Client(url, Credentials(kind="token", secret=token, username=None))
    try:
        return await run_doctor(client)
    finally:
        await client.aclose()


def _from_doctor(result: CheckResult) -> Check:
    status = Status.FAIL if not result.ok else Status.WARNING if result.warning else Status.OK
    return Check(f"doctor/{result.name}", status, result.detail)


def _check_keyring() -> Iterator[Check]:
    import keyring
    from keyring.backends import fail, null

    backend = keyring.get_keyring()
    label = f"{type(backend).__module__}.{type(backend).__name__}"
    # A headless box has no secret store; the app then asks for the token each start. Not fatal.
    if isinstance(backend, fail.Keyring | null.Keyring):
        yield Check("keyring", Status.WARNING, f"none usable ({label}); tokens will not be saved")
    else:
        yield Check("keyring", Status.OK, label)
