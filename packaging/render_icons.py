"""Render the app SVG to PNGs with Qt (no network, no extra tools).

Usage: python render_icons.py SVG OUT_DIR SIZE... -> OUT_DIR/<size>.png; `ico` as a size writes
OUT_DIR/kimai-tray.ico (16..256, for the Windows installer).
"""

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSize
from PySide6.QtGui import QGuiApplication, QImage, QImageReader


def render(svg: str, size: int) -> QImage:
    reader = QImageReader(svg)
    reader.setScaledSize(QSize(size, size))
    image = reader.read()
    if image.isNull():
        raise SystemExit(f"cannot render {svg}: {reader.errorString()}")
    return image


def main(svg: str, out_dir: str, *sizes: str) -> int:
    app = QGuiApplication([])  # noqa: F841 - image plugins need an application object
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for size in sizes:
        if size == "ico":
            # The ico plugin writes the largest image only; 256 px scales down well in Explorer.
            if not render(svg, 256).save(str(out / "kimai-tray.ico"), "ICO"):
                raise SystemExit("cannot write kimai-tray.ico")
        elif not render(svg, int(size)).save(str(out / f"{size}.png"), "PNG"):
            raise SystemExit(f"cannot write {size}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
