"""Kimai 1 JSON-RPC transport: one POST per call to `core/json.php`, apiKey handling, errors.

Kimai 1 reports failures inside an HTTP 200 as `result.success = false` with `result.error.msg`
(shared/kimai-api-notes.md §10); this module turns those, HTTP statuses and httpx exceptions
into `kimai_tray.core.errors`. Nothing here logs or raises a parameter value: params carry the
password or the apiKey.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from typing import Any

import httpx

from kimai_tray.api.errors import translate_exception
from kimai_tray.core import errors

log = logging.getLogger(__name__)

JsonDict = dict[str, Any]
RPC_PATH = "/core/json.php"
AUTH_FAILED = "Unknown user or no permissions."
NO_ACTIVE_RECORDING = "No active recording."
UNHANDLED = "An unhandled error occured."  # sic: Kimai 1's spelling; also means "empty list"

# Kimai 1's own messages for rejected input: the entry must change before a retry can succeed.
_VALIDATION_MESSAGES = (
    "Invalid project or task",
    "Invalid projectId.",
    "Invalid taskId.",
    "Invalid from/to",
    "Failed to add entry.",
    "Invalid record",
    "Unable to start",
    "Unable to stop",
)


class Kimai1RefusedError(errors.BackendError):
    """Kimai 1 answered `success: false`; `kimai_message` is its `error.msg`."""

    def __init__(self, kimai_message: str, method: str) -> None:
        super().__init__(
            f"Kimai refused {method}: {kimai_message}", detail=f"{method}: {kimai_message}"
        )
        self.kimai_message = kimai_message


class Kimai1MethodMissingError(errors.BackendError):
    """The server speaks JSON-RPC but has no such method (older Kimai 1 releases)."""

    default_message = "This Kimai 1 server does not offer that function."


class Kimai1AuthenticationError(errors.AuthenticationError):
    default_message = "Kimai 1 rejected the user name or password: check them in the settings."


class Kimai1Rpc:
    """Calls Kimai 1 methods; authenticates lazily and once more when the apiKey has expired."""

    def __init__(self, http: httpx.AsyncClient, username: str, password: str) -> None:
        self._http = http
        self._username = username
        self._password = password
        self._api_key: str | None = None
        self._ids = itertools.count(1)
        self._auth_lock = asyncio.Lock()
        self.server_date: str | None = None  # `Date` of the last answer (clock-skew check)

    def __repr__(self) -> str:
        return f"Kimai1Rpc(user={self._username!r})"

    async def call(self, method: str, *params: Any) -> list[JsonDict]:
        """Call an apiKey method and return `result.items`; Kimai's failures raise."""
        key = await self._key()
        result = await self.post(method, [key, *params])
        if _failed_auth(result):
            # Keys can expire (or be reset in the web UI): log in again, once.
            log.info("Kimai 1 apiKey rejected for %s; authenticating again", method)
            key = await self._key(stale=key)
            result = await self.post(method, [key, *params])
            if _failed_auth(result):
                raise Kimai1AuthenticationError(detail=f"{method}: {AUTH_FAILED}")
        return _items(method, result)

    async def _key(self, stale: str | None = None) -> str:
        async with self._auth_lock:
            if self._api_key is None or self._api_key == stale:
                self._api_key = await self.authenticate()
            return self._api_key

    async def authenticate(self) -> str:
        """Log in with user name and password; returns the apiKey."""
        result = await self.post("authenticate", [self._username, self._password])
        if _failed_auth(result):
            raise Kimai1AuthenticationError(detail=f"authenticate: {AUTH_FAILED}")
        items = _items("authenticate", result)
        try:
            key = items[0]["apiKey"]
        except (IndexError, KeyError, TypeError) as exc:
            raise errors.NotKimaiError(detail="authenticate: no apiKey in the answer") from exc
        if not isinstance(key, str) or not key:
            raise Kimai1AuthenticationError(detail="authenticate: empty apiKey")
        return key

    async def post(self, method: str, params: list[Any]) -> JsonDict:
        """One JSON-RPC round trip; returns the `result` object, success or not."""
        body = {"jsonrpc": "2.0", "method": method, "params": params, "id": next(self._ids)}
        try:
            response = await self._http.post(RPC_PATH, json=body)
        except httpx.HTTPError as exc:
            raise translate_exception(exc, method) from None
        log.debug("Kimai 1 %s -> HTTP %s", method, response.status_code)
        # The server's clock, for the clock-skew check (core/clock_skew.py).
        self.server_date = response.headers.get("date")
        return parse_rpc_response(response, method)


def parse_rpc_response(response: httpx.Response, method: str) -> JsonDict:
    """The `result` object of a JSON-RPC answer, or the matching error."""
    status = response.status_code
    if status >= 500:
        raise errors.ServerError(detail=f"{method}: HTTP {status}", status=status)
    if status != 200:
        raise errors.NotKimaiError(detail=f"{method}: HTTP {status}", status=status)
    try:
        envelope = response.json()
    except ValueError:
        raise errors.NotKimaiError(detail=f"{method}: answer is not JSON") from None
    if not isinstance(envelope, dict):
        raise errors.NotKimaiError(detail=f"{method}: answer is not a JSON-RPC object")
    if isinstance(envelope.get("error"), dict):
        code = envelope["error"].get("code")
        if code == -32601:
            raise Kimai1MethodMissingError(detail=f"{method}: method not found")
        raise errors.BackendError(detail=f"{method}: JSON-RPC error {code}")
    result = envelope.get("result")
    if not isinstance(result, dict) or "success" not in result:
        raise errors.NotKimaiError(detail=f"{method}: no JSON-RPC result")
    return result


def failure_message(result: JsonDict) -> str | None:
    """Kimai's `error.msg` when the call failed, else None."""
    if result.get("success") is True:
        return None
    error = result.get("error")
    message = error.get("msg") if isinstance(error, dict) else None
    return message if isinstance(message, str) and message else UNHANDLED


def _failed_auth(result: JsonDict) -> bool:
    return failure_message(result) == AUTH_FAILED


def _items(method: str, result: JsonDict) -> list[JsonDict]:
    message = failure_message(result)
    if message is not None:
        raise failure_error(method, message)
    items = result.get("items")
    if not isinstance(items, list):
        return []
    return [item for item in items if isinstance(item, dict)]


def failure_error(method: str, message: str) -> errors.BackendError:
    """Map a Kimai 1 `error.msg` to the error tree (callers special-case list/empty answers)."""
    detail = f"{method}: {message}"
    if message == AUTH_FAILED:
        return Kimai1AuthenticationError(detail=detail)
    if message == "Invalid ID":
        return errors.NotFoundError(detail=detail)
    if message.startswith(_VALIDATION_MESSAGES):
        return errors.ValidationError(form_errors=[message], detail=detail, status=None)
    return Kimai1RefusedError(message, method)
