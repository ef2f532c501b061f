"""One error tree for kimai-tray, split by what the user (or the sync engine) must do.

Every class carries `user_message`: one sentence a user can act on. It never contains a
token, a password or a header value. Details for the log go in `detail`.

    KimaiTrayError
    ├── BackendError                 the server (or the way to it) said no
    │   ├── AuthenticationError      wrong or expired token            -> fix the token
    │   │   ├── LegacyPasswordAsTokenError   API password sent as Bearer token
    │   │   └── TokenAsLegacyPasswordError   API token sent as X-AUTH-TOKEN
    │   ├── PermissionDeniedError    403: no API permission / not allowed / locked period
    │   ├── NotFoundError            404 on an API object
    │   ├── ValidationError          400 with field errors              -> fix the entry
    │   ├── NotKimaiError            HTML page, redirect to /login, wrong path
    │   ├── TransportError           could not talk to the server       -> retry later
    │   │   ├── ServerUnreachableError   the request never left (DNS, refused): safe to resend
    │   │   ├── AmbiguousRequestError    it may have reached the server: reconcile first
    │   │   │   └── RequestTimeoutError
    │   │   └── TLSError                 certificate problem: never retried silently
    │   └── ServerError              5xx                                -> retry later
    ├── CredentialStoreError         no keyring, locked keyring
    ├── ConfigError                  corrupt config file
    └── OutboxError                  corrupt or too-new local database

`retryable` says whether the sync engine should try again later; `ambiguous` says that the
request may have been applied, so the engine must read the server before resending.
"""

from __future__ import annotations


class KimaiTrayError(Exception):
    """Base of every error kimai-tray raises on purpose."""

    default_message = "Something went wrong in kimai-tray."
    retryable = False
    ambiguous = False

    def __init__(self, user_message: str | None = None, *, detail: str = "") -> None:
        self.user_message = user_message or self.default_message
        self.detail = detail
        super().__init__(self.user_message)


class BackendError(KimaiTrayError):
    default_message = "The Kimai server reported an error."

    def __init__(
        self, user_message: str | None = None, *, detail: str = "", status: int | None = None
    ) -> None:
        super().__init__(user_message, detail=detail)
        self.status = status


class AuthenticationError(BackendError):
    default_message = (
        "Kimai rejected the API token: create a new one in Kimai under your profile, API access."
    )


class LegacyPasswordAsTokenError(AuthenticationError):
    default_message = (
        "Kimai rejected the token: this looks like a legacy API password, "
        "so choose 'API password (Kimai < 2.14)' as the login kind."
    )


class TokenAsLegacyPasswordError(AuthenticationError):
    default_message = (
        "Kimai rejected the API password: this looks like an API token, "
        "so choose 'API token' as the login kind."
    )


class PermissionDeniedError(BackendError):
    default_message = (
        "Kimai refused this: your account lacks the permission (ask your Kimai admin)."
    )


class NotFoundError(BackendError):
    default_message = "Kimai does not know this item any more: it may have been deleted."


class ValidationError(BackendError):
    """Kimai's 400 'Validation Failed': `fields` maps field names to Kimai's messages."""

    default_message = "Kimai rejected the entry."

    def __init__(
        self,
        user_message: str | None = None,
        *,
        detail: str = "",
        status: int | None = 400,
        fields: dict[str, list[str]] | None = None,
        form_errors: list[str] | None = None,
    ) -> None:
        self.fields = dict(fields or {})
        self.form_errors = list(form_errors or [])
        if user_message is None:
            user_message = self._sentence()
        super().__init__(user_message, detail=detail, status=status)

    def _sentence(self) -> str:
        parts = [*self.form_errors]
        # Kimai's messages end with "."; inside the one sentence they must not.
        parts += [
            f"{name}: {' '.join(m.rstrip('.') for m in msgs)}"
            for name, msgs in self.fields.items()
            if msgs
        ]
        if not parts:
            return self.default_message
        return "Kimai rejected the entry (" + "; ".join(parts).rstrip(".") + ")."


class NotKimaiError(BackendError):
    default_message = (
        "This URL does not answer like a Kimai API: use the address of your Kimai start page, "
        "without /api or /index.php."
    )


class TransportError(BackendError):
    default_message = "Could not reach the Kimai server."
    retryable = True


class ServerUnreachableError(TransportError):
    default_message = "The Kimai server cannot be reached: check the URL and your network."


class AmbiguousRequestError(TransportError):
    default_message = (
        "The connection to Kimai broke while a change was being sent; it will be checked."
    )
    ambiguous = True


class RequestTimeoutError(AmbiguousRequestError):
    default_message = "The Kimai server did not answer in time; kimai-tray will try again."


class GarbledResponseError(AmbiguousRequestError):
    """A change got an unreadable answer (HTML, bad JSON, proxy 502/504): it may have applied."""

    default_message = (
        "Kimai's answer to a change could not be read; kimai-tray will check whether it was saved."
    )


class TLSError(TransportError):
    default_message = (
        "The server's TLS certificate could not be verified: if it is self-signed, "
        "set its CA file with the --ca-bundle option (CA bundle in settings)."
    )
    retryable = False


class ServerError(BackendError):
    default_message = "The Kimai server had an internal error; kimai-tray will try again later."
    retryable = True


class CredentialStoreError(KimaiTrayError):
    default_message = (
        "No usable password store (keyring) was found: install and unlock GNOME Keyring or "
        "KWallet, or set PYTHON_KEYRING_BACKEND."
    )


class ConfigError(KimaiTrayError):
    default_message = "The kimai-tray configuration file could not be read."


class OutboxError(KimaiTrayError):
    default_message = "The local kimai-tray database could not be opened."


class AmbiguousNameError(KimaiTrayError):
    """A name given on the command line matched several catalog entries (`candidates`)."""

    default_message = "That name matches several entries: be more specific or use the id."

    def __init__(
        self,
        user_message: str | None = None,
        *,
        detail: str = "",
        candidates: list[str] | None = None,
    ) -> None:
        super().__init__(user_message, detail=detail)
        self.candidates = list(candidates or [])


class UnknownNameError(KimaiTrayError):
    """A name or id given by the user is not in the catalog cache."""

    default_message = "No project or activity with that name is known: refresh the catalog."
