"""`doctor`: check a Kimai connection step by step and say what is wrong in one sentence."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from kimai_tray.core.backend import KimaiBackend
from kimai_tray.core.clock import Clock, SystemClock
from kimai_tray.core.clock_skew import clock_skew, server_date_of, skew_warning
from kimai_tray.core.errors import BackendError

CLOCK_UNKNOWN = "not checked (the server did not send its time)"
CLOCK_IN_STEP = "in step with the server"


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str
    ok: bool
    detail: str
    # The connection works but something will hurt the user (a skewed clock): reported, yet
    # not a failure, so `doctor` and "Test connection" still succeed.
    warning: bool = False


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


def check_clock(server_date: str | None, local_now: datetime) -> CheckResult:
    """Compare the server's last HTTP Date header with this computer's clock."""
    if clock_skew(server_date, local_now) is None:
        return CheckResult("clock", True, CLOCK_UNKNOWN)
    warning = skew_warning(server_date, local_now)
    if warning is not None:
        return CheckResult("clock", True, warning, warning=True)
    return CheckResult("clock", True, CLOCK_IN_STEP)


async def run_doctor(backend: KimaiBackend, *, clock: Clock | None = None) -> list[CheckResult]:
    """Run the checks in order; stop at the first failure, whose detail is its user sentence.

    After the last check the clock is compared with the Date header of the server's latest
    answer (`server_date`, recorded by both Kimai clients; a backend without it, such as a
    test fake, reports the clock as not checked).
    """
    results: list[CheckResult] = []
    for name, check in _CHECKS:
        try:
            detail = await check(backend)
        except BackendError as exc:
            results.append(CheckResult(name, False, exc.user_message))
            return results
        results.append(CheckResult(name, True, detail))
    local_now = (clock or SystemClock()).now()
    results.append(check_clock(server_date_of(backend), local_now))
    return results


def _label(result: CheckResult) -> str:
    if not result.ok:
        return "FAIL"
    return "WARN" if result.warning else "ok  "


def format_report(results: list[CheckResult]) -> str:
    """One line per check: `ok  name: detail`, `WARN name: detail` or `FAIL name: detail`."""
    return "\n".join(f"{_label(r)} {r.name}: {r.detail}" for r in results)
