"""kimai-tray: a system-tray time tracker for Kimai servers, offline first."""

APP_ID = "org.kimai.KimaiTray"
APP_NAME = "kimai-tray"

__all__ = ["APP_ID", "APP_NAME", "__version__"]


def __getattr__(name: str) -> str:
    # On demand: importing importlib.metadata cost ~40 ms of every app start (bench cold start).
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("kimai-tray")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0+unknown"
