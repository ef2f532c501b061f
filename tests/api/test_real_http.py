"""Transport failures over real sockets on 127.0.0.1 (tiny asyncio servers, no mocks).

The Kimai 2 simulator did not exist when these were written, so each test runs a minimal
server that misbehaves in exactly one way.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme

from api.conftest import TOKEN
from kimai_tray.api.credentials import Credentials
from kimai_tray.api.kimai2 import Kimai2Client
from kimai_tray.core import errors
from kimai_tray.core.models import TimesheetDraft

Behaviour = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]

PONG = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 18\r\n"
    b"Connection: close\r\n\r\n"
    b'{"message":"pong"}'
)


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return head + (await reader.readexactly(length) if length else b"")


async def answer(data: bytes) -> Behaviour:
    async def behaviour(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(data)
        await writer.drain()
        writer.close()

    return behaviour


async def with_server(
    behaviour: Behaviour,
    scenario: Callable[[str], Awaitable[Any]],
    ssl_context: ssl.SSLContext | None = None,
) -> Any:
    handlers: set[asyncio.Task[None]] = set()

    async def wrapped(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        handlers.add(task)
        try:
            await behaviour(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass  # the client hung up (that is what some tests provoke)
        finally:
            writer.close()

    server = await asyncio.start_server(wrapped, "127.0.0.1", 0, ssl=ssl_context)
    port = server.sockets[0].getsockname()[1]
    scheme = "https" if ssl_context else "http"
    try:
        return await scenario(f"{scheme}://127.0.0.1:{port}")
    finally:
        server.close()
        # Stalled handlers must close their sockets before the loop goes away.
        for task in handlers:
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)
        await server.wait_closed()


def client(url: str, **kwargs: Any) -> Kimai2Client:
    return Kimai2Client(url, Credentials("token", TOKEN), timezone="Pacific/Auckland", **kwargs)


async def expect(exc_type: type[errors.BackendError], url: str, fn: Any, **kw: Any) -> None:
    c = client(url, **kw)
    try:
        with pytest.raises(exc_type) as info:
            await fn(c)
        assert type(info.value) is exc_type
        assert TOKEN not in str(info.value) + info.value.detail
    finally:
        await c.aclose()


def test_server_down_is_unreachable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, never listening: connection refused
        asyncio.run(
            expect(errors.ServerUnreachableError, f"http://127.0.0.1:{port}", lambda c: c.ping())
        )


def test_stall_is_timeout() -> None:
    async def stall(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        await asyncio.sleep(5)  # the server-side stall; the client gives up after 0.3 s
        writer.close()

    async def scenario(url: str) -> None:
        await expect(
            errors.RequestTimeoutError,
            url,
            lambda c: c.ping(),
            timeout=httpx.Timeout(0.3, connect=2.0),
        )

    asyncio.run(with_server(stall, scenario))


def test_dropped_connection_after_commit_is_ambiguous() -> None:
    async def drop(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)  # the "commit" happened; the answer never comes
        writer.close()

    async def scenario(url: str) -> None:
        await expect(errors.AmbiguousRequestError, url, lambda c: c.stop_timesheet(1))

    asyncio.run(with_server(drop, scenario))


def test_html_page_and_truncated_json() -> None:
    html = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 13\r\n"
        b"Connection: close\r\n\r\n<html></html>"
    )
    trunc = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 8\r\n"
        b"Connection: close\r\n\r\n" + b'{"id": 1'
    )

    async def main() -> None:
        await with_server(
            await answer(html), lambda url: expect(errors.NotKimaiError, url, lambda c: c.version())
        )
        await with_server(
            await answer(trunc),
            lambda url: expect(errors.GarbledResponseError, url, lambda c: c.stop_timesheet(3)),
        )

    asyncio.run(main())


def test_tls_self_signed_then_ca_bundle(tmp_path: Path) -> None:
    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_ctx)
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))

    async def scenario(url: str) -> None:
        c = client(url)
        try:
            with pytest.raises(errors.TLSError) as info:
                await c.ping()
            assert "--ca-bundle" in info.value.user_message
            assert "unknown-ca" in info.value.detail  # trustme's leaf is issued by its CA
        finally:
            await c.aclose()
        trusted = client(url, ca_bundle=str(bundle))
        try:
            await trusted.ping()  # the same server is fine once its CA is trusted
        finally:
            await trusted.aclose()

    async def main() -> None:
        async def pong(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                await _read_request(reader)
                writer.write(PONG)
                await writer.drain()
            except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
                pass  # the first client hangs up during the handshake
            finally:
                writer.close()

        await with_server(pong, scenario, ssl_context=server_ctx)

    asyncio.run(main())


def test_missing_ca_bundle_file_is_tls_error(tmp_path: Path) -> None:
    with pytest.raises(errors.TLSError):
        client("https://127.0.0.1:1", ca_bundle=str(tmp_path / "missing.pem"))


def test_post_start_over_real_http_sends_json() -> None:
    seen: list[bytes] = []
    body = (
        b'{"id":5,"begin":"2024-04-07T02:30:00+1300","end":null,"project":1,"activity":2,"tags":[]}'
    )

    async def kimai(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await _read_request(reader)
        seen.append(request)
        payload = b'{"trackingMode":"default"}' if b"/api/config/timesheet" in request else body
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
            + str(len(payload)).encode()
            + b"\r\nConnection: close\r\n\r\n"
            + payload
        )
        await writer.drain()
        writer.close()

    async def scenario(url: str) -> Any:
        c = client(url)
        try:
            return await c.start_timesheet(TimesheetDraft(1, 2))
        finally:
            await c.aclose()

    ts = asyncio.run(with_server(kimai, scenario))
    assert ts.id == 5 and ts.is_running
    post = seen[-1]
    assert post.startswith(b"POST /api/timesheets ")
    assert post.endswith(b'{"project":1,"activity":2}')
