"""`kimai-tray simulator ...`: run the Kimai 2 simulator until SIGTERM/SIGINT.

Without `--token` the admin user's API token is `demo-token`.
"""

from __future__ import annotations

import argparse
import signal
import threading
from types import FrameType

from kimai_tray.simulator.kimai2 import SimulatorState
from kimai_tray.simulator.server import DEFAULT_TOKEN, SimulatorServer


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kimai-tray simulator", description="Run a Kimai 2 simulator.")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--token", default=DEFAULT_TOKEN, help="admin API token (default: demo-token)")
    p.add_argument("--seed", choices=("demo", "large", "empty"), default="demo")
    p.add_argument("--timezone", default="Europe/Berlin")
    return p


def run_simulator(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    state = SimulatorState(seed=args.seed, timezone=args.timezone, token=args.token)
    server = SimulatorServer(state, host=args.host, port=args.port)
    done = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        done.set()

    old = {s: signal.signal(s, _on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        server.start()
        print(f"listening on {server.url}", flush=True)
        done.wait()
    finally:
        server.stop()
        for s, handler in old.items():
            signal.signal(s, handler)
    return 0
