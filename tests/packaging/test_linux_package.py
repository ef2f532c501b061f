"""Build the PyInstaller bundle and the .deb, unpack it, and run the installed binary.

Slow (~1 min on 2 cores): one build per module, shared by every test here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(900),
    pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="dpkg-deb is not installed"),
]

ROOT = Path(__file__).resolve().parents[2]
APP_ID = "org.kimai.KimaiTray"
ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256)


@dataclass(frozen=True)
class Built:
    deb: Path
    root: Path  # the .deb unpacked with dpkg-deb -x
    appdir: Path


def _ensure_pyinstaller() -> None:
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        # Until the dev extra carries it everywhere: the brief allows this one registry install.
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "pyinstaller>=6.5"], check=True
        )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    _ensure_pyinstaller()
    out = tmp_path_factory.mktemp("dist")
    env = {**os.environ, "PYTHON": sys.executable}
    subprocess.run(
        ["bash", str(ROOT / "packaging" / "build-linux.sh"), str(out)],
        check=True,
        env=env,
        timeout=840,
    )
    (deb,) = out.glob("kimai-tray_*_*.deb")
    root = tmp_path_factory.mktemp("unpacked")
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    yield Built(deb=deb, root=root, appdir=out / "kimai-tray.AppDir")


def _run(
    binary: Path, *args: str, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    # A clean HOME: the installed app must not depend on this checkout or the developer's config.
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(binary.parent),
        "QT_QPA_PLATFORM": "offscreen",
        "LANG": "C.UTF-8",
        **(extra_env or {}),
    }
    return subprocess.run(
        [str(binary), *args], capture_output=True, text=True, env=env, timeout=120, cwd="/"
    )


def test_installed_binary_prints_version(built: Built) -> None:
    from kimai_tray import __version__

    result = _run(built.root / "opt/kimai-tray/kimai-tray", "--version")
    assert result.returncode == 0, result.stderr
    assert __version__ in result.stdout


def test_installed_binary_passes_self_test(built: Built) -> None:
    result = _run(built.root / "opt/kimai-tray/kimai-tray", "--self-test")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "FAIL" not in result.stdout
    for check in ("qt-platform", "qt-imageformats", "svg-icons", "doctor/catalog", "keyring"):
        assert f"{check}:" in result.stdout


def test_installed_app_starts_in_demo_mode(built: Built) -> None:
    # Tray, popup and the bundled simulator (demo mode) start; the env var quits once shown.
    binary = built.root / "opt/kimai-tray/kimai-tray"
    env = {"KIMAI_TRAY_EXIT_AFTER_START": "1"}
    result = _run(binary, "--demo", extra_env=env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_deb_metadata_and_layout(built: Built) -> None:
    info = subprocess.run(
        ["dpkg-deb", "-f", str(built.deb), "Package", "Depends"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Package: kimai-tray" in info
    for lib in ("libegl1", "libxkbcommon-x11-0", "libxcb-cursor0", "libfontconfig1", "libdbus-1-3"):
        assert lib in info
    link = built.root / "usr/bin/kimai-tray"
    assert link.is_symlink() and os.readlink(link) == "/opt/kimai-tray/kimai-tray"
    share = built.root / "usr/share"
    assert (share / f"applications/{APP_ID}.desktop").is_file()
    assert (share / f"metainfo/{APP_ID}.metainfo.xml").is_file()
    assert (share / f"icons/hicolor/scalable/apps/{APP_ID}.svg").is_file()
    for size in ICON_SIZES:
        png = share / f"icons/hicolor/{size}x{size}/apps/{APP_ID}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", png


def test_deb_files_are_root_owned(built: Built) -> None:
    listing = subprocess.run(
        ["dpkg-deb", "-c", str(built.deb)], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    owners = {line.split()[1] for line in listing}
    assert owners == {"root/root"}


def test_unused_qt_parts_are_excluded(built: Built) -> None:
    internal = built.root / "opt/kimai-tray/_internal"
    names = {path.name for path in internal.rglob("*")}
    for unwanted in (
        "libQt6Qml.so.6",
        "libQt6Quick.so.6",
        "libQt6Pdf.so.6",
        "libqgtk3.so",
        "libgtk-3.so.0",
        "libqtvirtualkeyboardplugin.so",
    ):
        assert unwanted not in names
    assert "libqsvg.so" in names  # the icon format the tray needs must stay


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="no validator")
def test_desktop_file_validates(built: Built) -> None:
    desktop = built.root / f"usr/share/applications/{APP_ID}.desktop"
    result = subprocess.run(["desktop-file-validate", str(desktop)], capture_output=True, text=True)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout


@pytest.mark.skipif(shutil.which("appstreamcli") is None, reason="no appstreamcli")
def test_metainfo_validates(built: Built) -> None:
    metainfo = built.root / f"usr/share/metainfo/{APP_ID}.metainfo.xml"
    result = subprocess.run(
        ["appstreamcli", "validate", "--no-net", str(metainfo)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_appdir_is_ready_for_appimagetool(built: Built) -> None:
    apprun = built.appdir / "AppRun"
    assert os.access(apprun, os.X_OK)
    assert (built.appdir / f"{APP_ID}.desktop").is_file()
    assert (built.appdir / f"{APP_ID}.svg").is_file()
    result = _run(apprun, "--version")
    assert result.returncode == 0, result.stderr
