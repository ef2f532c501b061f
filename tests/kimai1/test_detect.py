"""detect_api: Kimai 1 over real HTTP; Kimai 2 and non-Kimai answers via httpx.MockTransport.

The MockTransport is the HTTP edge: it stands in for servers this package does not simulate.
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


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, {"version": "2.28.0", "versionId": 22800}),
        (401, {"code": 401, "message": "Unauthorized"}),
    ],
)
def test_detects_kimai2_version_endpoint(status: int, body: dict[str, object]) -> None:
    seen: list[str] = []

    def kimai2(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        if request.url.path == "/kimai/api/version":
            return httpx.Response(status, json=body)
        return httpx.Response(404, text="<html>nope</html>")

    assert detect_with(httpx.MockTransport(kimai2), "https://example.test/kimai") == "kimai2"
    assert seen == ["/kimai/api/version"]


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
