"""Kimai 1 simulator: JSON-RPC on `POST /core/json.php` over real HTTP (uvicorn in a thread).

`Kimai1SimulatorServer` serves a `Kimai1State`; `run_kimai1_simulator(argv)` is the CLI behind
`kimai-tray simulator --kimai1`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import threading
import time
from collections.abc import Sequence
from types import TracebackType
from typing import Any, get_args

import uvicorn
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


class Kimai1SimulatorServer:
    """Runs the Kimai 1 simulator in a background thread; restartable on the same port."""

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
        self.state = state or Kimai1State(options or Kimai1Options())
        self.host = host
        self.port = port
        self._tls = (certfile, keyfile) if certfile else None  # serve https (TLS tests)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        scheme = "https" if self._tls else "http"
        return f"{scheme}://{self.host}:{self.port}"

    def start(self) -> None:
        if self._thread is not None:
            return
        # IPPROTO_TCP so asyncio sets TCP_NODELAY on accepted sockets (else +40 ms a response).
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        # SO_REUSEADDR lets a restart bind the same port while old sockets sit in TIME_WAIT.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            build_kimai1_app(self.state),
            log_level="critical",
            access_log=False,
            lifespan="off",
            ssl_certfile=self._tls[0] if self._tls else None,
            ssl_keyfile=self._tls[1] if self._tls else None,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="kimai1-simulator", daemon=True
        )
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the Kimai 1 simulator did not start")
            time.sleep(0.01)  # waiting on another thread's startup flag, not on async work
        self._server, self._thread = server, thread

    def stop(self) -> None:
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> Kimai1SimulatorServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


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
