"""The one place httpx exceptions and Kimai HTTP answers become `kimai_tray.core.errors`.

Messages and details name the method, path and status only: never headers, tokens or passwords.
"""

from __future__ import annotations

import json
import ssl
from typing import Any

import httpx

from kimai_tray.api.credentials import Credentials, looks_like_api_token
from kimai_tray.core import errors

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# A proxy answers 502/504 when Kimai was too slow or died mid-request: the PHP side may have
# committed. 500/503 come from Kimai itself (its DB transaction rolled back) or from a server
# that refused work up front, so they are safe to resend.
AMBIGUOUS_5XX = frozenset({502, 504})

# OpenSSL verify codes (X509_V_ERR_*), used only to word the TLS sentence.
_SELF_SIGNED = {18, 19}
_UNKNOWN_CA = {20, 21}  # a private CA: the same fix as self-signed
_EXPIRED = {10}


def _where(request: httpx.Request) -> str:
    return f"{request.method} {request.url.path}"


def _ssl_cause(exc: BaseException) -> ssl.SSLError | None:
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return None
        if isinstance(seen, ssl.SSLError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _tls_error(cause: ssl.SSLError, where: str) -> errors.TLSError:
    code = getattr(cause, "verify_code", None)
    if code in _SELF_SIGNED:
        kind = "self-signed"
        sentence = (
            "The server's TLS certificate is self-signed: set its CA file with the "
            "--ca-bundle option (CA bundle in settings)."
        )
    elif code in _UNKNOWN_CA:
        kind = "unknown-ca"
        sentence = (
            "The server's TLS certificate comes from a CA this computer does not trust: set "
            "that CA's file with the --ca-bundle option (CA bundle in settings)."
        )
    elif code in _EXPIRED:
        kind = "expired"
        sentence = (
            "The server's TLS certificate has expired: ask the Kimai admin to renew it "
            "(a CA bundle cannot fix an expired certificate)."
        )
    else:
        kind = "unverified"
        sentence = errors.TLSError.default_message
    reason = getattr(cause, "verify_message", None) or getattr(cause, "reason", None) or ""
    return errors.TLSError(sentence, detail=f"{where}: TLS {kind}: {reason}")


def translate_exception(exc: httpx.HTTPError, request: httpx.Request | str) -> errors.BackendError:
    """Map a transport failure; whether the request may have been applied decides the class.

    `request` may be a label instead (Kimai 1 names the JSON-RPC method: its path never varies).
    """
    where = request if isinstance(request, str) else _where(request)
    name = type(exc).__name__
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        cause = _ssl_cause(exc)
        if cause is not None and isinstance(exc, httpx.ConnectError):
            return _tls_error(cause, where)
        # Nothing was sent: safe to resend.
        return errors.ServerUnreachableError(detail=f"{where}: {name}")
    if isinstance(exc, httpx.TimeoutException):
        if isinstance(exc, httpx.PoolTimeout):
            return errors.ServerUnreachableError(detail=f"{where}: {name}")
        return errors.RequestTimeoutError(detail=f"{where}: {name}")
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return errors.NotKimaiError(detail=f"{where}: {name}")
    if isinstance(exc, httpx.TransportError):
        # RemoteProtocolError / ReadError / WriteError: the request may have arrived.
        return errors.AmbiguousRequestError(detail=f"{where}: {name}")
    return errors.AmbiguousRequestError(detail=f"{where}: {name}")


def _json_body(response: httpx.Response) -> Any:
    try:
        return json.loads(response.content)
    except ValueError:
        return None


def _is_json(response: httpx.Response) -> bool:
    return "json" in response.headers.get("content-type", "").lower()


def not_kimai(response: httpx.Response, why: str) -> errors.BackendError:
    """An answer that is not Kimai JSON: a probe says NotKimai, a change may have been applied."""
    request = response.request
    detail = f"{_where(request)} -> {response.status_code}: {why}"
    if request.method not in SAFE_METHODS and 200 <= response.status_code < 300:
        return errors.GarbledResponseError(detail=detail, status=response.status_code)
    return errors.NotKimaiError(detail=detail, status=response.status_code)


def _validation(body: dict[str, Any], detail: str) -> errors.ValidationError:
    fields: dict[str, list[str]] = {}
    form_errors: list[str] = []
    tree = body.get("errors")
    if isinstance(tree, dict):
        form_errors = [str(m) for m in tree.get("errors", []) if isinstance(m, str)]
        children = tree.get("children")
        if isinstance(children, dict):
            _collect(children, "", fields)
    return errors.ValidationError(detail=detail, fields=fields, form_errors=form_errors)


def _collect(children: dict[str, Any], prefix: str, out: dict[str, list[str]]) -> None:
    for name, child in children.items():
        if not isinstance(child, dict):
            continue
        key = f"{prefix}{name}"
        msgs = [str(m) for m in child.get("errors", []) if isinstance(m, str)]
        if msgs:
            out[key] = msgs
        nested = child.get("children")
        if isinstance(nested, dict):
            _collect(nested, f"{key}.", out)


def check_response(response: httpx.Response, credentials: Credentials) -> None:
    """Raise the matching error for a non-2xx answer or a 2xx answer that is not Kimai JSON."""
    request = response.request
    status = response.status_code
    where = _where(request)
    detail = f"{where} -> {status}"
    if 300 <= status < 400:
        target = httpx.URL(response.headers.get("location", "")).path
        raise errors.NotKimaiError(
            detail=f"{detail}: redirect to {target or '?'} (not followed)", status=status
        )
    if 200 <= status < 300:
        if status == 204:
            return
        if not _is_json(response):
            raise not_kimai(response, "not JSON")
        if _json_body(response) is None and response.content.strip() != b"null":
            raise not_kimai(response, "invalid JSON")
        return
    body = _json_body(response) if _is_json(response) else None
    message = body.get("message") if isinstance(body, dict) else None
    if status >= 500:
        if request.method not in SAFE_METHODS and status in AMBIGUOUS_5XX:
            raise errors.GarbledResponseError(
                "A proxy in front of Kimai gave up on a change; kimai-tray will check whether it "
                "was saved.",
                detail=detail,
                status=status,
            )
        raise errors.ServerError(detail=detail, status=status)
    if status == 401:
        if credentials.kind == "token" and not looks_like_api_token(credentials.secret):
            raise errors.LegacyPasswordAsTokenError(detail=detail, status=status)
        raise errors.AuthenticationError(detail=detail, status=status)
    if status == 403 and isinstance(body, dict):
        if "code" not in body and isinstance(message, str) and credentials.kind == "legacy":
            # The legacy TokenAuthenticator answers {"message": ...} without "code".
            if looks_like_api_token(credentials.secret):
                raise errors.TokenAsLegacyPasswordError(
                    detail=f"{detail}: {message}", status=status
                )
            raise errors.AuthenticationError(
                "Kimai rejected the user name or API password: check both in Kimai under your "
                "profile, API access.",
                detail=f"{detail}: {message}",
                status=status,
            )
        if request.url.path.endswith("/api/users/me"):
            raise errors.PermissionDeniedError(
                "Kimai refused API access for this account: ask your Kimai admin to grant the "
                "'API access' permission to your role.",
                detail=detail,
                status=status,
            )
        if request.method in ("PATCH", "DELETE") and "/api/timesheets/" in request.url.path:
            # Kimai's TimesheetVoter: a record in a lockdown period or already exported.
            raise errors.PermissionDeniedError(
                "Kimai refused to change this entry: it is in a locked period or already "
                "exported, so ask your Kimai admin to change it.",
                detail=detail,
                status=status,
            )
        raise errors.PermissionDeniedError(detail=detail, status=status)
    if body is None:
        raise not_kimai(response, "error page is not JSON")
    if status == 404:
        raise errors.NotFoundError(detail=detail, status=status)
    if status == 400 and isinstance(body, dict):
        if message == "Validation Failed" or isinstance(body.get("errors"), dict):
            raise _validation(body, detail)
        text = str(message or "Bad Request")
        raise errors.ValidationError(
            f"Kimai rejected the request ({text.rstrip('.')}).", detail=f"{detail}: {text}"
        )
    if status == 403:
        raise errors.PermissionDeniedError(detail=detail, status=status)
    raise errors.BackendError(detail=f"{detail}: {message or ''}", status=status)
