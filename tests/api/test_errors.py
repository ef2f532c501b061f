"""Error translation at the HTTP edge (httpx.MockTransport stands in for the network)."""

from __future__ import annotations

import json
import logging
import ssl
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from api.conftest import LEGACY_PASSWORD, TOKEN, call, mock_client, run
from kimai_tray.api.credentials import Credentials, looks_like_api_token
from kimai_tray.api.kimai2 import Kimai2Client
from kimai_tray.core import errors
from kimai_tray.core.models import TimesheetDraft

Call = Callable[[Kimai2Client], Awaitable[Any]]
GET: Call = lambda c: c.me()  # noqa: E731
POST: Call = lambda c: c.start_timesheet(TimesheetDraft(1, 2))  # noqa: E731

CONFIG = {"trackingMode": "default"}


def respond(response: httpx.Response) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/config/timesheet":
            return httpx.Response(200, json=CONFIG)
        return response

    return handler


def raising(exc: Exception) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/config/timesheet":
            return httpx.Response(200, json=CONFIG)
        raise exc

    return handler


def error_of(
    handler: Callable[[httpx.Request], httpx.Response],
    fn: Call = GET,
    credentials: Credentials | None = None,
) -> errors.BackendError:
    with pytest.raises(errors.BackendError) as info:
        run(call(mock_client(handler, credentials=credentials), fn))
    return info.value


def html(status: int) -> httpx.Response:
    return httpx.Response(status, text="<html>login</html>", headers={"content-type": "text/html"})


LEGACY = Credentials("legacy", LEGACY_PASSWORD, "alice")
TOKEN_AS_LEGACY = Credentials("legacy", TOKEN, "alice")
BEARER_401 = httpx.Response(401, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})

CASES: list[tuple[str, Any, Call, Credentials | None, type[errors.BackendError]]] = [
    ("401 token", respond(BEARER_401), GET, None, errors.AuthenticationError),
    (
        "401 legacy-pw-as-token",
        respond(BEARER_401),
        GET,
        Credentials("token", "short123"),
        errors.LegacyPasswordAsTokenError,
    ),
    (
        "403 legacy bad",
        respond(httpx.Response(403, json={"message": "Invalid credentials"})),
        GET,
        LEGACY,
        errors.AuthenticationError,
    ),
    (
        "403 token-as-legacy",
        respond(httpx.Response(403, json={"message": "Invalid credentials"})),
        GET,
        TOKEN_AS_LEGACY,
        errors.TokenAsLegacyPasswordError,
    ),
    (
        "403 forbidden",
        respond(httpx.Response(403, json={"code": 403, "message": "Forbidden"})),
        GET,
        None,
        errors.PermissionDeniedError,
    ),
    (
        "404",
        respond(httpx.Response(404, json={"code": 404, "message": "Not Found"})),
        POST,
        None,
        errors.NotFoundError,
    ),
    ("500 GET", respond(html(500)), GET, None, errors.ServerError),
    ("500 POST", respond(httpx.Response(500, json={"code": 500})), POST, None, errors.ServerError),
    ("503 POST", respond(html(503)), POST, None, errors.ServerError),
    ("502 POST", respond(html(502)), POST, None, errors.GarbledResponseError),
    ("504 POST", respond(html(504)), POST, None, errors.GarbledResponseError),
    ("502 GET", respond(html(502)), GET, None, errors.ServerError),
    ("html 200 GET", respond(html(200)), GET, None, errors.NotKimaiError),
    ("html 200 POST", respond(html(200)), POST, None, errors.GarbledResponseError),
    (
        "truncated GET",
        respond(
            httpx.Response(
                200, content=b'{"id": 1, "user', headers={"content-type": "application/json"}
            )
        ),
        GET,
        None,
        errors.NotKimaiError,
    ),
    (
        "truncated POST",
        respond(
            httpx.Response(
                200, content=b'{"id": 1, "be', headers={"content-type": "application/json"}
            )
        ),
        POST,
        None,
        errors.GarbledResponseError,
    ),
    ("wrong shape GET", respond(httpx.Response(200, json=[1, 2])), GET, None, errors.NotKimaiError),
    (
        "302 login",
        respond(httpx.Response(302, headers={"location": "https://k.example/en/login"})),
        GET,
        None,
        errors.NotKimaiError,
    ),
    ("404 html", respond(html(404)), GET, None, errors.NotKimaiError),
    ("connect", raising(httpx.ConnectError("refused")), POST, None, errors.ServerUnreachableError),
    (
        "connect timeout",
        raising(httpx.ConnectTimeout("slow")),
        POST,
        None,
        errors.ServerUnreachableError,
    ),
    ("read timeout", raising(httpx.ReadTimeout("slow")), POST, None, errors.RequestTimeoutError),
    ("write timeout", raising(httpx.WriteTimeout("slow")), POST, None, errors.RequestTimeoutError),
    (
        "remote protocol",
        raising(httpx.RemoteProtocolError("dropped")),
        POST,
        None,
        errors.AmbiguousRequestError,
    ),
    ("read error", raising(httpx.ReadError("reset")), POST, None, errors.AmbiguousRequestError),
]


@pytest.mark.parametrize(
    ("handler", "fn", "credentials", "expected"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_translation(
    handler: Any,
    fn: Call,
    credentials: Credentials | None,
    expected: type[errors.BackendError],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    exc = error_of(handler, fn, credentials)
    assert type(exc) is expected
    for text in (str(exc), exc.detail, repr(exc), exc.user_message, caplog.text):
        assert TOKEN not in text
        assert LEGACY_PASSWORD not in text
        assert "Bearer tok" not in text
    # The httpx chain holds the request and its headers: it must not hang off our error.
    assert exc.__cause__ is None
    assert exc.__context__ is None or exc.__suppress_context__


def test_ambiguity_flags() -> None:
    assert errors.GarbledResponseError.ambiguous and errors.GarbledResponseError.retryable
    assert not errors.ServerUnreachableError.ambiguous
    assert not errors.ServerError.ambiguous


def test_validation_field_names() -> None:
    body = {
        "code": 400,
        "message": "Validation Failed",
        "errors": {
            "errors": ["This form should not contain extra fields."],
            "children": {"begin": {}, "project": {"errors": ["This value is not valid."]}},
        },
    }
    exc = error_of(respond(httpx.Response(400, json=body)), POST)
    assert isinstance(exc, errors.ValidationError)
    assert exc.fields == {"project": ["This value is not valid."]}
    assert exc.form_errors == ["This form should not contain extra fields."]
    assert "project" in exc.user_message


def test_service_validation_string_code() -> None:
    body = {
        "code": "400",
        "message": "Validation Failed",
        "errors": {"children": {"duration": {"errors": ["Maximum 12:30 hours allowed."]}}},
    }
    exc = error_of(respond(httpx.Response(400, json=body)), POST)
    assert isinstance(exc, errors.ValidationError)
    assert list(exc.fields) == ["duration"]


def test_permission_on_users_me_mentions_api_access() -> None:
    exc = error_of(respond(httpx.Response(403, json={"code": 403, "message": "Forbidden"})), GET)
    assert "API access" in exc.user_message
    other = error_of(respond(httpx.Response(403, json={"code": 403, "message": "Forbidden"})), POST)
    assert "API access" not in other.user_message


def _tls_exc(code: int) -> httpx.ConnectError:
    cause = ssl.SSLCertVerificationError(1, "certificate verify failed")
    cause.verify_code = code
    cause.verify_message = "self-signed certificate" if code == 18 else "certificate has expired"
    try:
        raise httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED]") from cause
    except httpx.ConnectError as exc:
        return exc


def test_tls_self_signed_vs_expired() -> None:
    self_signed = error_of(raising(_tls_exc(18)))
    expired = error_of(raising(_tls_exc(10)))
    assert type(self_signed) is errors.TLSError and type(expired) is errors.TLSError
    assert "self-signed" in self_signed.user_message and "--ca-bundle" in self_signed.user_message
    assert "expired" in expired.user_message
    assert not self_signed.retryable


def test_token_heuristic() -> None:
    assert looks_like_api_token(TOKEN)
    assert not looks_like_api_token(LEGACY_PASSWORD)
    assert not looks_like_api_token("a sentence with spaces that is quite long indeed")


def test_credentials_repr_hides_secret() -> None:
    creds = Credentials("token", TOKEN)
    assert TOKEN not in repr(creds) and TOKEN not in str(creds)
    assert TOKEN not in repr(mock_client(respond(BEARER_401)))


def test_debug_log_has_no_headers(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    body = {"id": 1, "username": "alice", "timezone": "UTC"}
    run(call(mock_client(respond(httpx.Response(200, json=body))), GET))
    assert "GET /api/users/me -> 200" in caplog.text
    assert TOKEN not in caplog.text


def test_json_null_is_not_dict() -> None:
    exc = error_of(
        respond(
            httpx.Response(
                200, content=json.dumps(None).encode(), headers={"content-type": "application/json"}
            )
        )
    )
    assert isinstance(exc, errors.NotKimaiError)
