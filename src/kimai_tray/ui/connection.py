"""Check a not-yet-saved Kimai login (used by the settings dialog and the first-run wizard)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar, cast

import qasync

from kimai_tray.core.backend import KimaiBackend
from kimai_tray.core.clock import Clock
from kimai_tray.core.diagnostics import run_doctor
from kimai_tray.core.errors import BackendError

AuthKind = Literal["token", "legacy"]


@dataclass(frozen=True, slots=True)
class ConnectionDraft:
    """What the user typed; the secret never appears in a repr."""

    url: str
    auth_kind: AuthKind
    secret: str = field(repr=False)
    username: str = ""
    ca_bundle: str = ""


@dataclass(frozen=True, slots=True)
class ConnectionReport:
    ok: bool
    sentence: str  # "Kimai 2.65.0 · logged in as anna (timezone Europe/Berlin)" or the error


BackendFactory = Callable[[ConnectionDraft], KimaiBackend]


def kimai2_backend(draft: ConnectionDraft) -> KimaiBackend:
    """The real client; imported lazily so the UI modules load without httpx work."""
    from kimai_tray.api.credentials import Credentials
    from kimai_tray.api.kimai2 import Kimai2Client

    credentials = Credentials(draft.auth_kind, draft.secret, draft.username or None)
    return Kimai2Client(draft.url, credentials, ca_bundle=draft.ca_bundle or None)


def http_warning(url: str) -> str | None:
    """The api package's clear-text warning, or None when that helper is unavailable."""
    try:
        from kimai_tray.api.kimai2 import insecure_http_warning
    except ImportError:  # pragma: no cover - only while the api package is absent
        return None
    try:
        return insecure_http_warning(url.strip())
    except Exception:  # an unparsable URL is reported by the connection test instead
        return None


async def check_connection(
    draft: ConnectionDraft,
    make_backend: BackendFactory = kimai2_backend,
    *,
    clock: Clock | None = None,
) -> ConnectionReport:
    """Run the doctor checks; one sentence either way. Never raises BackendError."""
    if not draft.url.strip():
        return ConnectionReport(False, "Enter the address of your Kimai server.")
    if not draft.secret:
        return ConnectionReport(False, "Enter your API token (or API password).")
    try:
        backend = make_backend(draft)
    except BackendError as exc:
        return ConnectionReport(False, exc.user_message)
    try:
        results = await run_doctor(backend, clock=clock)
    finally:
        close = getattr(backend, "aclose", None)
        if close is not None:
            await close()
    failed = [r for r in results if not r.ok]
    if failed:
        return ConnectionReport(False, failed[0].detail)
    details = {r.name: r.detail for r in results}
    text = f"{details.get('kimai', 'Kimai')} · {details.get('user', '')}"
    # The login works, but a wrong clock books hours at the wrong time: say so here too.
    warnings = [r.detail for r in results if r.warning]
    return ConnectionReport(True, "\n".join([text, *warnings]))


_Self = TypeVar("_Self")


def async_slot(
    method: Callable[[_Self], Coroutine[Any, Any, None]],
) -> Callable[[_Self], None]:
    """`qasync.asyncSlot()` with types: the coroutine runs as a task, the slot returns at once."""
    return cast(Callable[[_Self], None], qasync.asyncSlot()(method))
