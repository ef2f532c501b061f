"""The Kimai 1 simulator over real HTTP: JSON-RPC envelope and the quirks of real 1.1.0/1.3.5."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from kimai1.conftest import PASSWORD, MakeServer, SteppedClock
from kimai_tray.simulator.kimai1 import Kimai1SimulatorServer


def rpc(server: Kimai1SimulatorServer, method: str, *params: Any) -> dict[str, Any]:
    body = {"jsonrpc": "2.0", "method": method, "params": list(params), "id": 7}
    response = httpx.post(f"{server.url}/core/json.php", json=body, timeout=10)
    assert response.status_code == 200
    envelope: dict[str, Any] = response.json()
    assert envelope["id"] == 7
    return envelope


def login(server: Kimai1SimulatorServer) -> str:
    key: str = rpc(server, "authenticate", "admin", PASSWORD)["result"]["items"][0]["apiKey"]
    return key


def test_authenticate_returns_api_key_and_reuses_it(server: Kimai1SimulatorServer) -> None:
    assert login(server) == login(server)


def test_errors_are_http_200_with_success_false(server: Kimai1SimulatorServer) -> None:
    result = rpc(server, "authenticate", "admin", "wrong")["result"]
    assert result == {"success": False, "error": {"msg": "Unknown user or no permissions."}}
    assert rpc(server, "getProjects", "not-a-key")["result"]["success"] is False


def test_request_log_hides_the_password(server: Kimai1SimulatorServer) -> None:
    login(server)
    assert server.state.request_log[-1].params == ("admin", "***")


def test_timestamps_and_ids_are_strings(server: Kimai1SimulatorServer, clock: SteppedClock) -> None:
    key = login(server)
    rpc(server, "startRecord", key, 2, 2)
    active = rpc(server, "getActiveRecording", key)["result"]["items"][0]
    assert active["start"] == str(int(clock.now))
    assert active["end"] == "0"
    assert active["projectID"] == "2"
    assert active["customerName"] == "Acme Corp"


def test_start_record_id_depends_on_version(make_server: MakeServer) -> None:
    old, new = make_server(version="1.1.0"), make_server(version="1.3.5")
    assert rpc(old, "startRecord", login(old), 1, 1)["result"]["items"] == []
    assert rpc(new, "startRecord", login(new), 1, 1)["result"]["items"] == [{"timeEntryID": 1}]


def test_start_record_stops_the_running_one(server: Kimai1SimulatorServer) -> None:
    key = login(server)
    rpc(server, "startRecord", key, 1, 1)
    rpc(server, "startRecord", key, 2, 2)
    assert [e.project_id for e in server.state.running_entries()] == [2]


@pytest.mark.parametrize(
    ("version", "expected"),
    # The clock starts at hh:mm:40: 1.3.5 rounds start up and end (+90 s, hh:mm:10) down.
    [("1.3.5", (20, 80)), ("1.1.0", (0, 90))],
)
def test_stop_record_rounding(
    make_server: MakeServer, clock: SteppedClock, version: str, expected: tuple[int, int]
) -> None:
    server = make_server(version=version)
    key = login(server)
    start = int(clock.now)
    rpc(server, "startRecord", key, 1, 1)
    clock.now += 90
    assert rpc(server, "stopRecord", key, 1)["result"]["success"] is True
    row = rpc(server, "getTimesheetRecord", key, 1)["result"]["items"][0]
    assert (int(row["start"]) - start, int(row["end"]) - start) == expected


def test_stop_record_twice_fails(server: Kimai1SimulatorServer) -> None:
    key = login(server)
    rpc(server, "startRecord", key, 1, 1)
    rpc(server, "stopRecord", key, 1)
    assert rpc(server, "stopRecord", key, 1)["result"]["error"]["msg"].startswith("Unable to stop")


def test_set_record_needs_comment_type(server: Kimai1SimulatorServer) -> None:
    key = login(server)
    berlin_nine = int(datetime(2026, 11, 20, 8, 0, tzinfo=UTC).timestamp())  # 09:00 CET
    record = {
        "projectId": 1,
        "taskId": 1,
        "start": "2026-11-20 09:00:00",  # naive: read in the server's zone, like strtotime()
        "end": f"@{berlin_nine + 3600}",
    }
    failed = rpc(server, "setTimesheetRecord", key, record, False)["result"]
    assert failed == {"success": False, "error": {"msg": "Failed to add entry."}}
    created = rpc(server, "setTimesheetRecord", key, {**record, "commentType": 0}, False)
    new_id = created["result"]["items"][0]["id"]
    row = rpc(server, "getTimesheetRecord", key, new_id)["result"]["items"][0]
    assert (row["start"], row["end"], row["duration"]) == (
        str(berlin_nine),
        str(berlin_nine + 3600),
        "3600",
    )


def test_update_of_unknown_id_succeeds_like_kimai1(server: Kimai1SimulatorServer) -> None:
    key = login(server)
    record = {"id": 999, "projectId": 1, "taskId": 1, "start": "@1000", "end": "@2000"}
    assert rpc(server, "setTimesheetRecord", key, record, True)["result"]["success"] is True
    assert server.state.entries == {}


def test_get_timesheet_filters_by_range(server: Kimai1SimulatorServer) -> None:
    key = login(server)
    inside = server.state.add_entry(1, 1, 1_795_000_000, 1_795_003_600)
    server.state.add_entry(1, 1, 1_790_000_000, 1_790_003_600)
    items = rpc(server, "getTimesheet", key, "@1794990000", "@1795010000")["result"]["items"]
    assert [int(i["timeEntryID"]) for i in items] == [inside]
    assert len(rpc(server, "getTimesheet", key)["result"]["items"]) == 2


def test_empty_seed_reports_empty_lists_as_errors(make_server: MakeServer) -> None:
    server = make_server(seed="empty")
    key = login(server)
    result = rpc(server, "getProjects", key)["result"]
    assert result == {"success": False, "error": {"msg": "An unhandled error occured."}}
    assert (
        rpc(server, "getActiveRecording", key)["result"]["error"]["msg"] == "No active recording."
    )


def test_api_key_expires_after_ttl(make_server: MakeServer, clock: SteppedClock) -> None:
    server = make_server(api_key_ttl=60)
    key = login(server)
    assert rpc(server, "getUsers", key)["result"]["success"] is True
    clock.now += 61
    assert rpc(server, "getUsers", key)["result"]["success"] is False
    assert login(server) != key


def test_unknown_method_and_other_paths(server: Kimai1SimulatorServer) -> None:
    assert rpc(server, "fooBar")["error"]["code"] == -32601
    response = httpx.get(f"{server.url}/api/version")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")


def test_faults_500_drop_delay(server: Kimai1SimulatorServer) -> None:
    body = {"jsonrpc": "2.0", "method": "getVersion", "params": [], "id": 1}
    server.state.add_fault("500", "getVersion")
    assert httpx.post(f"{server.url}/core/json.php", json=body).status_code == 500
    server.state.add_fault("drop")
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(f"{server.url}/core/json.php", json=body)
    server.state.add_fault("delay", seconds=1.0)
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{server.url}/core/json.php", json=body, timeout=0.2)
    assert httpx.post(f"{server.url}/core/json.php", json=body).json()["result"]["success"]


def test_restart_on_same_port_keeps_state(server: Kimai1SimulatorServer) -> None:
    key = login(server)
    port = server.port
    server.stop()
    server.start()
    assert server.port == port
    assert rpc(server, "getUsers", key)["result"]["success"] is True


def test_cli_prints_listening_line_and_uses_token() -> None:
    code = (
        "import sys; from kimai_tray.simulator.kimai1 import run_kimai1_simulator;"
        "sys.exit(run_kimai1_simulator(sys.argv[1:]))"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "--kimai1", "--token", "cli-pass", "--seed", "empty"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.startswith("listening on http://127.0.0.1:")
        url = line.removeprefix("listening on ")
        body = {
            "jsonrpc": "2.0",
            "method": "authenticate",
            "params": ["admin", "cli-pass"],
            "id": 1,
        }
        assert httpx.post(f"{url}/core/json.php", json=body).json()["result"]["success"] is True
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


def test_wrong_argument_count_is_a_generic_failure(server: Kimai1SimulatorServer) -> None:
    result = rpc(server, "startRecord", login(server))["result"]
    assert result == {"success": False, "error": {"msg": "An unhandled error occured."}}
