"""Helpers for the Kimai 2 client tests."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import httpx

from kimai_tray.api.credentials import Credentials
from kimai_tray.api.kimai2 import Kimai2Client

T = TypeVar("T")

TOKEN = "tok_SECRETSECRET_9f8e7d6c5b4a39281706f5e4d3c2b1a0"  # distinctive: grep-able in output
LEGACY_PASSWORD = "hunter2pw"

Handler = Callable[[httpx.Request], httpx.Response]


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def mock_client(
    handler: Handler,
    *,
    credentials: Credentials | None = None,
    base_url: str = "https://kimai.example",
    timezone: str | None = "Pacific/Auckland",
) -> Kimai2Client:
    """A client whose network edge is an httpx.MockTransport (no sockets)."""
    return Kimai2Client(
        base_url,
        credentials or Credentials("token", TOKEN),
        timezone=timezone,
        transport=httpx.MockTransport(handler),
    )


async def call(client: Kimai2Client, fn: Callable[[Kimai2Client], Awaitable[T]]) -> T:
    try:
        return await fn(client)
    finally:
        await client.aclose()
