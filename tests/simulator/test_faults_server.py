"""Fault injection, request log, restart on the same port, and the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import httpx
import pytest

from kimai_tray.simulator.server import SimulatorServer


def test_request_log_records_body_and_status(
    admin: httpx.Client, simulator: SimulatorServer
) -> None:
    admin.post("/api/timesheets", json={"project": 1, "activity": 1})
    last = simulator.state.requests[-1]
    assert (last.method, last.path, last.status) == ("POST", "/api/timesheets", 200)
    assert last.json == {"project": 1, "activity": 1}


@pytest.mark.parametrize("status", [500, 502, 503])
def test_status_fault_returns_html_and_applies_nothing(
    admin: httpx.Client, simulator: SimulatorServer, status: int
) -> None:
    simulator.state.faults.add("status", method="POST", status=status)
    before = len(simulator.state.timesheets)
    r = admin.post("/api/timesheets", json={"project": 1, "activity": 1})
    assert r.status_code == status and r.headers["content-type"].startswith("text/html")
    assert len(simulator.state.timesheets) == before
    assert admin.post("/api/timesheets", json={"project": 1, "activity": 1}).status_code == 200


def test_html_200_and_truncated_json(admin: httpx.Client, simulator: SimulatorServer) -> None:
    simulator.state.faults.add("html_200", path="/api/ping")
    r = admin.get("/api/ping")
    assert r.status_code == 200 and r.text.startswith("<!DOCTYPE html>")
    simulator.state.faults.add("truncated_json", path="/api/users/me")
    r = admin.get("/api/users/me")
    with pytest.raises(ValueError):
        r.json()


def test_drop_before_breaks_connection_and_applies_nothing(
    admin: httpx.Client, simulator: SimulatorServer
) -> None:
    simulator.state.faults.add("drop_before", method="POST", path="/api/timesheets")
    before = len(simulator.state.timesheets)
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        admin.post("/api/timesheets", json={"project": 1, "activity": 1})
    assert len(simulator.state.timesheets) == before


def test_drop_after_applies_then_breaks(admin: httpx.Client, simulator: SimulatorServer) -> None:
    simulator.state.faults.add("drop_after", method="POST", path="/api/timesheets")
    before = len(simulator.state.timesheets)
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        admin.post("/api/timesheets", json={"project": 1, "activity": 1})
    assert len(simulator.state.timesheets) == before + 1


def test_delay_does_not_block_other_requests(
    admin: httpx.Client, simulator: SimulatorServer
) -> None:
    simulator.state.faults.add("delay", path="/api/version", delay=1.0)
    done = threading.Event()

    def slow() -> None:
        httpx.get(f"{simulator.url}/api/version", headers={"Authorization": "Bearer demo-token"})
        done.set()

    thread = threading.Thread(target=slow)
    thread.start()
    started = time.monotonic()
    while len(simulator.state.requests) == 0 and time.monotonic() - started < 0.5:
        assert admin.get("/api/ping").status_code == 200
    assert admin.get("/api/ping").status_code == 200
    assert not done.is_set()  # the delayed request is still pending while others are served
    thread.join()
    assert done.is_set()


def test_random_faults_are_seeded(simulator: SimulatorServer) -> None:
    def run() -> list[bool]:
        simulator.state.faults.random(rate=0.5, kinds=["status"], seed=3)
        return [simulator.state.faults.take("GET", "/api/ping") is not None for _ in range(20)]

    first = run()
    assert first == run() and any(first) and not all(first)


def test_offline_then_restart_on_same_port(simulator: SimulatorServer) -> None:
    simulator.state.set_offline()
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        httpx.get(f"{simulator.url}/api/ping")
    simulator.state.set_offline(False)
    port = simulator.port
    simulator.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{simulator.url}/api/ping")
    simulator.start()
    assert simulator.port == port
    assert (
        httpx.get(
            f"{simulator.url}/api/ping", headers={"Authorization": "Bearer demo-token"}
        ).status_code
        == 200
    )


def test_cli_prints_url_and_stops_on_sigterm() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "kimai_tray.simulator", "--seed", "empty", "--token", "t0k"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.startswith("listening on http://127.0.0.1:")
        url = line.removeprefix("listening on ")
        r = httpx.get(f"{url}/api/ping", headers={"Authorization": "Bearer t0k"})
        assert r.json() == {"message": "pong"}
        proc.terminate()
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
