"""Raw ASGI app for the Kimai 2 simulator: routing, HTML fallbacks, request log and faults.

Raw ASGI (no Starlette routing) because the drop faults need to start a response and then
abort it: uvicorn closes the socket when the app raises after `http.response.start`, so the
client sees a broken connection instead of an HTTP answer.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

from kimai_tray.simulator.faults import Fault
from kimai_tray.simulator.kimai2 import RequestRecord, SimulatorState
from kimai_tray.simulator.routes import EMPTY, Reply, dispatch

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LOGIN_HTML = (
    b"<!DOCTYPE html><html><head><title>Kimai - Login</title></head><body>"
    b'<form method="post" action="/en/login_check"><input name="_username">'
    b'<input type="password" name="_password"><button>Log in</button></form></body></html>'
)
REDIRECT_HTML = (
    b'<!DOCTYPE html><html><head><meta http-equiv="refresh" content="0;url=/en/login">'
    b"<title>Redirecting to /en/login</title></head></html>"
)
CAPTIVE_HTML = (
    b"<!DOCTYPE html><html><head><title>Hotel WiFi</title></head>"
    b"<body><h1>Welcome! Please accept the terms to continue.</h1></body></html>"
)


class DroppedConnectionError(Exception):
    """Raised after the response started: uvicorn then closes the socket mid-answer."""


def _error_html(status: int) -> bytes:
    return f"<html><body><h1>{status} Server Error</h1><p>nginx</p></body></html>".encode()


def _encode(reply: Reply) -> tuple[bytes, str]:
    if reply.body is EMPTY:
        return b"", "application/json"
    return json.dumps(reply.body, separators=(",", ":")).encode(), "application/json"


def _json_or_text(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace")


def build_app(state: SimulatorState) -> ASGIApp:
    """The ASGI callable serving `state`."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        method, path = scope["method"], scope["path"]
        query_string = scope.get("query_string", b"").decode("latin-1")
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}

        def log(status: int) -> None:
            state.log(RequestRecord(method, path, query_string, _json_or_text(body), status))

        async def respond(status: int, payload: bytes, ctype: str, extra: dict[str, str]) -> None:
            hdrs = [
                (b"content-type", ctype.encode()),
                (b"content-length", str(len(payload)).encode()),
            ]
            hdrs += [(k.lower().encode(), v.encode()) for k, v in extra.items()]
            await send({"type": "http.response.start", "status": status, "headers": hdrs})
            await send({"type": "http.response.body", "body": payload})

        async def abort(partial: bytes = b"") -> None:
            # Announce more bytes than we send, then raise: nothing complete reaches the client.
            length = str(len(partial) + 4096).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", length),
                    ],
                }
            )
            if partial:
                await send({"type": "http.response.body", "body": partial, "more_body": True})
            raise DroppedConnectionError

        if state.offline:
            log(0)
            await abort()
        fault: Fault | None = state.faults.take(method, path)
        if fault is not None and fault.kind == "delay":
            await asyncio.sleep(fault.delay)  # async: other requests keep being served
            fault = None
        if fault is not None and fault.kind == "status":
            log(fault.status)
            await respond(fault.status, _error_html(fault.status), "text/html", {})
            return
        if fault is not None and fault.kind == "html_200":
            log(200)
            await respond(200, CAPTIVE_HTML, "text/html; charset=UTF-8", {})
            return
        if fault is not None and fault.kind == "drop_before":
            log(0)
            await abort()

        if path == "/en/login":
            log(200)
            await respond(200, LOGIN_HTML, "text/html; charset=UTF-8", {})
            return
        if not path.startswith("/api/"):
            # The API firewall only matches URIs starting with /api/: everything else is the web
            # UI, which redirects anonymous users to the login page.
            log(302)
            await respond(302, REDIRECT_HTML, "text/html; charset=UTF-8", {"Location": "/en/login"})
            return

        query = parse_qs(query_string, keep_blank_values=True)
        reply = dispatch(state, method, path, query, headers, body)
        payload, ctype = _encode(reply)
        if fault is not None and fault.kind == "drop_after":
            log(0)  # the change above IS applied; the answer never arrives
            await abort(payload[: len(payload) // 2])
        if fault is not None and fault.kind == "truncated_json":
            log(reply.status)
            await respond(reply.status, payload[: len(payload) // 2], ctype, reply.headers)
            return
        log(reply.status)
        await respond(reply.status, payload, ctype, reply.headers)

    return app
