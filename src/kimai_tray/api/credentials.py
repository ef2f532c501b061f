"""Kimai 2 login material and the HTTP headers it turns into."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True, slots=True)
class Credentials:
    """An API token (Bearer, Kimai >= 2.14) or a legacy API password (X-AUTH-*)."""

    kind: Literal["token", "legacy"]
    secret: str = field(repr=False)
    username: str | None = None

    def __repr__(self) -> str:
        # The secret must never reach a log line or a traceback.
        return f"Credentials(kind={self.kind!r}, secret='***', username={self.username!r})"

    __str__ = __repr__

    def headers(self) -> dict[str, str]:
        """The authentication headers for one request."""
        if self.kind == "legacy":
            return {"X-AUTH-USER": self.username or "", "X-AUTH-TOKEN": self.secret}
        return {"Authorization": f"Bearer {self.secret}"}


def looks_like_api_token(secret: str) -> bool:
    """Heuristic: tokens are long random strings, legacy API passwords are typed by people.

    Kimai generates tokens with a secure random generator (well over 30 characters, no spaces);
    users pick API passwords, typically 8-20 characters. We call a secret a token when it has at
    least 30 characters and no whitespace; the guess only picks the wording of an auth error.
    """
    return len(secret) >= 30 and not any(ch.isspace() for ch in secret)
