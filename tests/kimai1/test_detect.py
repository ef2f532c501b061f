"""detect_api over real HTTP against both simulators; a non-Kimai site via httpx.MockTransport.

The MockTransport is the HTTP edge: it stands in for a web site that is not Kimai at all.
"""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest

from kimai1.conftest import MakeServer
from kimai_tray.api.kimai1 import detect_api
from kimai_tray.core import errors
from kimai_tray.simulator.kimai1 import Kimai1SimulatorServer
from kimai_tray.simulator.server import SimulatorServer


def detect_with(handler: httpx.MockTransport | None, url: str) -> str | None:
    async def main() -> str | None:
        if handler is None:
            return await detect_api(url)
        async with httpx.AsyncClient(transport=handler) as client:
            return await detect_api(url, client)

    return asyncio.run(main())


def test_detects_kimai1_simulator(server: Kimai1SimulatorServer) -> None:
    assert detect_with(None, server.url + "/") == "kimai1"
    assert [c.method for c in server.state.request_log] == ["getVersion"]


def test_detects_kimai1_without_get_version(make_server: MakeServer) -> None:
    server = make_server(has_get_version=False)
    assert detect_with(None, server.url) == "kimai1"


def test_detects_kimai2_simulator(simulator: SimulatorServer) -> None:
    """/api/version answers JSON (401 without credentials): one request decides, no RPC probe."""
    assert detect_with(None, simulator.url + "/") == "kimai2"
    assert [(r.method, r.path) for r in simulator.state.requests] == [("GET", "/api/version")]


def test_html_site_is_neither() -> None:
    def website(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>welcome</html>")

    assert detect_with(httpx.MockTransport(website), "https://example.test") is None


def test_unreachable_raises_transport_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        with pytest.raises(errors.ServerUnreachableError):
            detect_with(None, url)
