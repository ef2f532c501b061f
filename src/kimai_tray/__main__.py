"""`python -m kimai_tray` runs the command line, like the `kimai-tray` script."""

import sys

from kimai_tray.cli import main

sys.exit(main())
