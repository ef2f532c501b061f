"""`run_doctor` / `format_report` against a Kimai2Client (MockTransport, and the real simulator
over HTTP for the clock check), and log redaction."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx

from api.conftest import TOKEN, call, mock_client, run
from helpers.fake_clock import FakeClock
from helpers.simulator_fixtures import SIMULATOR_TOKEN
from kimai_tray.api.credentials import Credentials
from kimai_tray.api.kimai2 import Kimai2Client
from kimai_tray.api.logging import RedactingFilter
from kimai_tray.core.diagnostics import (
    CLOCK_IN_STEP,
    CLOCK_UNKNOWN,
    CheckResult,
    check_clock,
    format_report,
    run_doctor,
)
from kimai_tray.simulator.server import SimulatorServer

ROUTES = {
    "/api/ping": {"message": "pong"},
    "/api/version": {"version": "2.28.0", "versionId": 22800},
    "/api/users/me": {"id": 1, "username": "alice", "timezone": "Pacific/Auckland"},
    "/api/config/timesheet": {"trackingMode": "punch"},
    "/api/customers": [{"id": 1, "name": "C"}],
    "/api/projects": [{"id": 1, "name": "P", "customer": 1}, {"id": 2, "name": "Q", "customer": 1}],
    "/api/activities": [],
}


def kimai(
    broken: str | None = None, date: str | None = None
) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == broken:
            return httpx.Response(401, headers={"WWW-Authenticate": "Bearer"})
        headers = {"Date": date} if date else {}
        return httpx.Response(200, json=ROUTES[request.url.path], headers=headers)

    return handler


def test_doctor_all_ok() -> None:
    client = mock_client(kimai())
    results = run(call(client, run_doctor))
    names = [r.name for r in results]
    assert names == ["reachable", "kimai", "user", "tracking", "catalog", "clock"]
    assert all(r.ok for r in results)
    report = format_report(results)
    assert "Kimai 2.28.0" in report and "Pacific/Auckland" in report and "punch" in report
    assert "1 customers, 2 projects, 0 activities" in report
    # The mock answers carry no Date header: the clock is reported as not checked, not as fine.
    assert report.splitlines()[-1] == f"ok   clock: {CLOCK_UNKNOWN}"
    assert len(report.splitlines()) == 6


def test_doctor_stops_at_first_failure_with_user_sentence() -> None:
    client = mock_client(kimai(broken="/api/users/me"))
    results = run(call(client, run_doctor))
    assert [r.ok for r in results] == [True, True, False]  # no clock line after a failure
    assert "API token" in results[-1].detail
    assert TOKEN not in format_report(results)
    assert format_report([CheckResult("x", False, "bad")]) == "FAIL x: bad"


def test_redacting_filter_scrubs_message_and_args(caplog: object) -> None:
    record = logging.LogRecord(
        "t", logging.INFO, __file__, 1, "auth %s and %r", (TOKEN, [TOKEN]), None
    )
    assert RedactingFilter([TOKEN]).filter(record)
    assert TOKEN not in record.getMessage()
    assert record.getMessage().startswith("auth *** and")


def test_redacting_filter_scrubs_exception_text() -> None:
    record = logging.LogRecord("t", logging.ERROR, __file__, 1, "boom", None, None)
    record.exc_text = f"Traceback ... Bearer {TOKEN}"
    RedactingFilter([TOKEN]).filter(record)
    assert record.exc_text is not None and TOKEN not in record.exc_text


SERVER_NOW = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)


def test_check_clock_in_step_ahead_behind_and_unknown() -> None:
    header = format_datetime(SERVER_NOW, usegmt=True)
    in_step = check_clock(header, SERVER_NOW + timedelta(minutes=4))
    assert (in_step.ok, in_step.warning, in_step.detail) == (True, False, CLOCK_IN_STEP)
    behind = check_clock(header, SERVER_NOW - timedelta(minutes=7))
    assert behind.ok and behind.warning
    assert behind.detail.startswith("This computer's clock is 7 minutes behind the Kimai server")
    assert "set the system time" in behind.detail
    zone = check_clock(header, SERVER_NOW + timedelta(hours=2))  # a wrong time zone setting
    assert "about 2 hours ahead of" in zone.detail
    assert check_clock(None, SERVER_NOW).detail == CLOCK_UNKNOWN
    assert check_clock("not a date", SERVER_NOW).detail == CLOCK_UNKNOWN
    assert format_report([behind]) == f"WARN clock: {behind.detail}"


def test_doctor_warns_about_a_skewed_clock_from_the_date_header() -> None:
    """The Date header of the client's last answer against an injected local clock."""
    header = format_datetime(SERVER_NOW, usegmt=True)
    client = mock_client(kimai(date=header))
    clock = FakeClock(SERVER_NOW + timedelta(minutes=9))
    results = run(call(client, lambda c: run_doctor(c, clock=clock)))
    assert results[-1].name == "clock" and results[-1].warning
    assert "9 minutes ahead of" in results[-1].detail
    assert all(r.ok for r in results)  # a warning, not a failure: the connection works


def _simulator_client(simulator: SimulatorServer) -> Kimai2Client:
    return Kimai2Client(simulator.url, Credentials("token", SIMULATOR_TOKEN))


def test_doctor_clock_against_the_real_simulator(simulator: SimulatorServer) -> None:
    """uvicorn sends a real Date header; the local clock is shifted only through `clock`."""
    in_step = run(call(_simulator_client(simulator), run_doctor))
    assert [r.ok for r in in_step] == [True] * 6
    assert format_report(in_step).splitlines()[-1] == f"ok   clock: {CLOCK_IN_STEP}"

    behind = FakeClock(datetime.now(UTC) - timedelta(minutes=7))
    results = run(call(_simulator_client(simulator), lambda c: run_doctor(c, clock=behind)))
    last = format_report(results).splitlines()[-1]
    assert last.startswith("WARN clock: This computer's clock is 7 minutes behind")
