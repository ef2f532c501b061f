"""Where kimai-tray keeps its config, data and sockets."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from kimai_tray import APP_NAME

HOME_ENV = "KIMAI_TRAY_HOME"


@dataclass(frozen=True, slots=True)
class AppPaths:
    """The three directories kimai-tray writes to; `ensure()` creates them private (0700)."""

    config_dir: Path
    data_dir: Path
    runtime_dir: Path

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def outbox_file(self) -> Path:
        return self.data_dir / "outbox.sqlite3"

    @property
    def catalog_file(self) -> Path:
        return self.data_dir / "catalog.sqlite3"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "kimai-tray.log"

    def ensure(self) -> AppPaths:
        """Create the directories (0700) and return self."""
        for directory in (self.config_dir, self.data_dir, self.runtime_dir):
            make_private_dir(directory)
        return self


def make_private_dir(directory: Path) -> None:
    """Create `directory` with mode 0700, tightening an existing one we own."""
    # Parents we create (e.g. a fresh KIMAI_TRAY_HOME) get 0700 too, not the umask's 0755.
    created = [p for p in (directory, *directory.parents) if not p.exists()]
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    # mkdir's mode is filtered by the umask and ignored for existing dirs; a data dir
    # holding timesheets must not be world-readable, so set it explicitly.
    if os.name == "posix":
        for path in {directory, *created}:
            path.chmod(0o700)


def resolve_paths(env: dict[str, str] | None = None) -> AppPaths:
    """Paths from `KIMAI_TRAY_HOME` when set, else the platform's standard locations."""
    environ = os.environ if env is None else env
    home = environ.get(HOME_ENV, "").strip()
    if home:
        base = Path(home).expanduser().absolute()
        return AppPaths(base / "config", base / "data", base / "run")
    # platformdirs is imported here so that `kimai-tray --version` stays cheap.
    import platformdirs

    dirs = platformdirs.PlatformDirs(APP_NAME, appauthor=False)
    return AppPaths(
        Path(dirs.user_config_dir),
        Path(dirs.user_data_dir),
        _runtime_dir(environ, Path(dirs.user_data_dir)),
    )


def _runtime_dir(environ: os._Environ[str] | dict[str, str], data_dir: Path) -> Path:
    # XDG_RUNTIME_DIR is per-user and tmpfs: the right home for sockets and locks.
    # Without it, a per-user dir under the temp dir keeps socket paths short (108-byte limit).
    xdg = environ.get("XDG_RUNTIME_DIR", "").strip()
    if xdg and Path(xdg).is_dir():
        return Path(xdg) / APP_NAME
    if os.name == "posix":
        return Path(tempfile.gettempdir()) / f"{APP_NAME}-{os.getuid()}"
    return data_dir / "run"
