"""`run_doctor` / `format_report` against a Kimai2Client on a MockTransport, and log redaction."""

from __future__ import annotations

import logging
from collections.abc import Callable

import httpx

from api.conftest import TOKEN, call, mock_client, run
from kimai_tray.api.logging import RedactingFilter
from kimai_tray.core.diagnostics import CheckResult, format_report, run_doctor

ROUTES = {
    "/api/ping": {"message": "pong"},
    "/api/version": {"version": "2.28.0", "versionId": 22800},
    "/api/users/me": {"id": 1, "username": "alice", "timezone": "Pacific/Auckland"},
    "/api/config/timesheet": {"trackingMode": "punch"},
    "/api/customers": [{"id": 1, "name": "C"}],
    "/api/projects": [{"id": 1, "name": "P", "customer": 1}, {"id": 2, "name": "Q", "customer": 1}],
    "/api/activities": [],
}


def kimai(broken: str | None = None) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == broken:
            return httpx.Response(401, headers={"WWW-Authenticate": "Bearer"})
        return httpx.Response(200, json=ROUTES[request.url.path])

    return handler


def test_doctor_all_ok() -> None:
    client = mock_client(kimai())
    results = run(call(client, run_doctor))
    assert [r.name for r in results] == ["reachable", "kimai", "user", "tracking", "catalog"]
    assert all(r.ok for r in results)
    report = format_report(results)
    assert "Kimai 2.28.0" in report and "Pacific/Auckland" in report and "punch" in report
    assert "1 customers, 2 projects, 0 activities" in report
    assert len(report.splitlines()) == 5


def test_doctor_stops_at_first_failure_with_user_sentence() -> None:
    client = mock_client(kimai(broken="/api/users/me"))
    results = run(call(client, run_doctor))
    assert [r.ok for r in results] == [True, True, False]
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
