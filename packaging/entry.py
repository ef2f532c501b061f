"""PyInstaller entry point: the same `main` as the `kimai-tray` console script."""

import sys

from kimai_tray.cli import main

if __name__ == "__main__":
    sys.exit(main())
