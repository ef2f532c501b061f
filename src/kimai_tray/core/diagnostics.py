"""`doctor`: check a Kimai connection step by step and say what is wrong in one sentence."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from kimai_tray.core.backend import KimaiBackend
from kimai_tray.core.errors import BackendError


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str
    ok: bool
    detail: str


async def _reachable(backend: KimaiBackend) -> str:
    await backend.ping()
    return "the server answers"


async def _version(backend: KimaiBackend) -> str:
    version = await backend.version()
    return f"Kimai {version.version}"


async def _user(backend: KimaiBackend) -> str:
    user = await backend.me()
    return f"logged in as {user.username} (timezone {user.timezone})"


async def _mode(backend: KimaiBackend) -> str:
    config = await backend.timesheet_config()
    return f"tracking mode {config.tracking_mode.value}"


async def _catalog(backend: KimaiBackend) -> str:
    customers = await backend.customers()
    projects = await backend.projects()
    activities = await backend.activities()
    return f"{len(customers)} customers, {len(projects)} projects, {len(activities)} activities"


_CHECKS: tuple[tuple[str, Callable[[KimaiBackend], Awaitable[str]]], ...] = (
    ("reachable", _reachable),
    ("kimai", _version),
    ("user", _user),
    ("tracking", _mode),
    ("catalog", _catalog),
)


async def run_doctor(backend: KimaiBackend) -> list[CheckResult]:
    """Run the checks in order; stop at the first failure, whose detail is its user sentence."""
    results: list[CheckResult] = []
    for name, check in _CHECKS:
        try:
            detail = await check(backend)
        except BackendError as exc:
            results.append(CheckResult(name, False, exc.user_message))
            break
        results.append(CheckResult(name, True, detail))
    return results


def format_report(results: list[CheckResult]) -> str:
    """One line per check: `ok  name: detail` or `FAIL name: detail`."""
    return "\n".join(f"{'ok  ' if r.ok else 'FAIL'} {r.name}: {r.detail}" for r in results)
