"""Kimai 1 simulator: JSON-RPC on `POST /core/json.php` over real HTTP (uvicorn in a thread).

`Kimai1SimulatorServer` serves a `Kimai1State`; `run_kimai1_simulator(argv)` is the CLI behind
`kimai-tray simulator --kimai1`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import threading
from collections.abc import Sequence
from typing import Any, get_args

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from kimai_tray.simulator.kimai1_state import (
    Kimai1Options,
    Kimai1State,
    Kimai1Version,
    Seed,
)
from kimai_tray.simulator.threaded import ThreadedServer

__all__ = [
    "Kimai1Options",
    "Kimai1SimulatorServer",
    "Kimai1State",
    "build_kimai1_app",
    "run_kimai1_simulator",
]


class _DropConnectionError(Exception):
    """Raised after the headers went out, so uvicorn closes the socket mid-answer."""


class _DroppedResponse(Response):
    """A 'drop' fault: the request was processed, the answer breaks off (an ambiguous failure)."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"99")]}
        )
        raise _DropConnectionError


def build_kimai1_app(state: Kimai1State) -> Starlette:
    """The Starlette app: only `/core/json.php` exists, everything else is an HTML 404."""

    async def json_rpc(request: Request) -> Response:
        if request.method != "POST":
            # Zend_Json_Server answers GET with its service map; clients never need it.
            return JSONResponse({"transport": "POST", "envelope": "JSON-RPC-2.0"})
        try:
            body = json.loads(await request.body())
        except ValueError:
            return _rpc_error(None, -32700, "Parse error")
        if not isinstance(body, dict) or not isinstance(body.get("method"), str):
            return _rpc_error(None, -32600, "Invalid Request")
        rpc_id = body.get("id")
        method: str = body["method"]
        params = body.get("params") or []
        if not state.knows_method(method):
            return _rpc_error(rpc_id, -32601, "Method not found")
        if not isinstance(params, list):
            return _rpc_error(rpc_id, -32602, "Invalid params")
        fault = state.take_fault(method)
        if fault is not None:
            if fault.kind == "delay":
                await asyncio.sleep(fault.seconds)
            elif fault.kind == "500":
                return PlainTextResponse("Internal Server Error", status_code=500)
        result = state.call(method, params)
        if fault is not None and fault.kind == "drop":
            return _DroppedResponse()
        return JSONResponse({"jsonrpc": "2.0", "result": result, "id": rpc_id})

    async def not_found(request: Request) -> Response:
        return Response("<html><body>404 Not Found</body></html>", 404, media_type="text/html")

    return Starlette(
        routes=[
            Route("/core/json.php", json_rpc, methods=["GET", "POST"]),
            Route("/{path:path}", not_found, methods=["GET", "POST", "PATCH", "DELETE"]),
        ]
    )


def _rpc_error(rpc_id: object, code: int, message: str) -> Response:
    # Protocol-level errors are the only JSON-RPC `error` objects Kimai 1 sends.
    body = {"jsonrpc": "2.0", "error": {"code": code, "message": message}, "id": rpc_id}
    return JSONResponse(body)


class Kimai1SimulatorServer(ThreadedServer):
    """Runs the Kimai 1 simulator in a background thread; restartable on the same port."""

    thread_name = "kimai1-simulator"

    def __init__(
        self,
        state: Kimai1State | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        options: Kimai1Options | None = None,
        certfile: str | None = None,
        keyfile: str | None = None,
    ) -> None:
        super().__init__(host=host, port=port, tls=(certfile, keyfile) if certfile else None)
        self.state = state or Kimai1State(options or Kimai1Options())

    def build_asgi(self) -> Any:
        return build_kimai1_app(self.state)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kimai-tray simulator --kimai1", description="Serve a simulated Kimai 1 server."
    )
    parser.add_argument("--kimai1", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--token", default="changeme", help="the password of user admin")
    parser.add_argument("--seed", choices=get_args(Seed), default="demo")
    parser.add_argument("--timezone", default="Europe/Berlin")
    parser.add_argument("--kimai1-version", choices=get_args(Kimai1Version), default="1.3.5")
    parser.add_argument("--api-key-ttl", type=float, default=None, help="seconds an apiKey lives")
    return parser


def run_kimai1_simulator(argv: Sequence[str] | None = None) -> int:
    """Serve until interrupted; the first stdout line is `listening on http://HOST:PORT`."""
    args = _parser().parse_args(argv)
    options = Kimai1Options(
        version=args.kimai1_version,
        password=args.token,
        api_key_ttl=args.api_key_ttl,
        timezone=args.timezone,
        seed=args.seed,
    )
    server = Kimai1SimulatorServer(host=args.host, port=args.port, options=options)
    server.start()
    print(f"listening on {server.url}", flush=True)
    try:
        stop = threading.Event()
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0
