"""`python -m kimai_tray.simulator`: same as `kimai-tray simulator`."""

import sys

from kimai_tray.simulator.cli import run_simulator

if __name__ == "__main__":
    sys.exit(run_simulator(sys.argv[1:]))
