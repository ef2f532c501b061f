"""Authentication: the three failure shapes, api_access, legacy X-AUTH headers."""

from __future__ import annotations

import httpx

from kimai_tray.simulator.server import SimulatorServer


def test_no_credentials_is_401_json(simulator: SimulatorServer) -> None:
    r = httpx.get(f"{simulator.url}/api/users/me")
    assert r.status_code == 401
    assert r.json() == {"code": 401, "message": "Unauthorized"}


def test_bad_bearer_is_401_with_empty_body(simulator: SimulatorServer) -> None:
    r = httpx.get(f"{simulator.url}/api/users/me", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401
    assert r.content == b""
    assert r.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')


def test_bad_legacy_is_403(simulator: SimulatorServer) -> None:
    r = httpx.get(
        f"{simulator.url}/api/users/me", headers={"X-AUTH-USER": "admin", "X-AUTH-TOKEN": "x"}
    )
    assert r.status_code == 403
    assert r.json() == {"message": "Invalid credentials"}


def test_legacy_with_empty_token_value(simulator: SimulatorServer) -> None:
    r = httpx.get(
        f"{simulator.url}/api/users/me", headers={"X-AUTH-USER": "admin", "X-AUTH-TOKEN": ""}
    )
    assert r.status_code == 403
    assert r.json() == {"message": "Authentication required, missing token header: X-AUTH-TOKEN"}


def test_legacy_good_password_works(simulator: SimulatorServer) -> None:
    headers = {"X-AUTH-USER": "plain", "X-AUTH-TOKEN": "plain-api-pass"}
    r = httpx.get(f"{simulator.url}/api/users/me", headers=headers)
    assert r.status_code == 200
    assert r.json()["username"] == "plain"


def test_bearer_without_api_access_is_403(simulator: SimulatorServer) -> None:
    simulator.state.add_user("noapi", token="noapi-token", permissions=set())
    r = httpx.get(f"{simulator.url}/api/ping", headers={"Authorization": "Bearer noapi-token"})
    assert r.status_code == 403
    assert r.json() == {"code": 403, "message": "Forbidden"}


def test_unknown_api_path_is_404_even_without_credentials(simulator: SimulatorServer) -> None:
    r = httpx.get(f"{simulator.url}/api/nothing/here")
    assert r.status_code == 404
    assert r.json() == {"code": 404, "message": "Not Found"}


def test_web_paths_redirect_to_html_login(simulator: SimulatorServer) -> None:
    for path in ("/", "/en/timesheet", "/index.php/api/ping"):
        r = httpx.get(f"{simulator.url}{path}")
        assert r.status_code == 302
        assert r.headers["Location"].endswith("/en/login")
        assert r.headers["content-type"].startswith("text/html")
    login = httpx.get(f"{simulator.url}/en/login")
    assert login.status_code == 200
    assert login.headers["content-type"].startswith("text/html")


def test_secrets_not_in_user_repr(simulator: SimulatorServer) -> None:
    assert "plain-api-pass" not in repr(simulator.state.plain)
    assert "plain-token" not in repr(simulator.state.plain)


def test_legacy_with_empty_user_value(simulator: SimulatorServer) -> None:
    r = httpx.get(f"{simulator.url}/api/users/me", headers={"X-AUTH-USER": "", "X-AUTH-TOKEN": "x"})
    assert r.status_code == 403
    assert r.json() == {"message": "Authentication required, missing user header: X-AUTH-USER"}


def test_only_one_legacy_header_is_plain_401(simulator: SimulatorServer) -> None:
    r = httpx.get(f"{simulator.url}/api/users/me", headers={"X-AUTH-TOKEN": "x"})
    assert r.status_code == 401 and r.json() == {"code": 401, "message": "Unauthorized"}
