"""scripts/screenshots.py runs and writes every PNG the README shows (into a temp dir)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "screenshots.py"
EXPECTED = {
    "popup-idle.png",
    "popup-filtering.png",
    "popup-running.png",
    "popup-offline-pending.png",
    "popup-error.png",
    "settings.png",
    "tray-icons-light.png",
    "tray-icons-dark.png",
}


def test_screenshot_script_writes_every_png_the_readme_shows(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "KIMAI_TRAY_SCREENSHOTS": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    written = {p.name for p in tmp_path.glob("*.png")}
    assert written == EXPECTED
    for name in EXPECTED:
        image = QImage(str(tmp_path / name))
        assert not image.isNull() and image.width() >= 200 and image.height() >= 40, name
    # The README shows each of them, from the committed copies in docs/screenshots.
    readme = (ROOT / "README.md").read_text()
    shown = set(re.findall(r"docs/screenshots/([\w-]+\.png)", readme))
    assert shown == EXPECTED
    assert all((ROOT / "docs" / "screenshots" / name).is_file() for name in EXPECTED)
