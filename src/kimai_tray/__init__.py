"""kimai-tray: a system-tray time tracker for Kimai servers, offline first."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("kimai-tray")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

APP_ID = "org.kimai.KimaiTray"
APP_NAME = "kimai-tray"

__all__ = ["APP_ID", "APP_NAME", "__version__"]
