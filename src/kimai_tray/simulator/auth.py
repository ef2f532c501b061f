"""Kimai 2 API authentication with its three distinct failure shapes."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

from kimai_tray.simulator.kimai2 import SimulatorState, SimUser


@dataclass(frozen=True)
class AuthFailure:
    status: int
    body: dict[str, Any] | None  # None = empty body
    headers: dict[str, str]


_UNAUTHORIZED = AuthFailure(401, {"code": 401, "message": "Unauthorized"}, {})
_BAD_BEARER = AuthFailure(
    401,
    None,
    {"WWW-Authenticate": 'Bearer error="invalid_token",error_description="Invalid credentials."'},
)
_BAD_LEGACY = AuthFailure(403, {"message": "Invalid credentials"}, {})
_FORBIDDEN = AuthFailure(403, {"code": 403, "message": "Forbidden"}, {})


def authenticate(state: SimulatorState, headers: dict[str, str]) -> SimUser | AuthFailure:
    """`headers` has lower-case keys. Bearer wins when present (case-sensitive `Bearer `)."""
    authz = headers.get("authorization", "")
    if authz.startswith("Bearer ") and authz[7:].strip():
        user = state.user_by_token(authz[7:].strip())
        if user is None:
            return _BAD_BEARER
        # ApiVoter requires api_access for token logins only (since 2.15).
        return user if "api_access" in user.permissions else _FORBIDDEN
    if "x-auth-user" in headers and "x-auth-token" in headers:
        name, secret = headers["x-auth-user"], headers["x-auth-token"]
        if not name:
            return AuthFailure(
                403, {"message": "Authentication required, missing user header: X-AUTH-USER"}, {}
            )
        if not secret:
            return AuthFailure(
                403, {"message": "Authentication required, missing token header: X-AUTH-TOKEN"}, {}
            )
        with state.lock:
            user = next((u for u in state.users.values() if u.username == name), None)
        if user is None or user.api_password is None:
            return _BAD_LEGACY
        if not hmac.compare_digest(user.api_password.encode(), secret.encode()):
            return _BAD_LEGACY
        return user
    return _UNAUTHORIZED
