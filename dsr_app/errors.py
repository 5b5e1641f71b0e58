"""Domain exceptions, mapped once to HTTP statuses and once to exit codes."""

from __future__ import annotations


class DsrError(Exception):
    """Base class: every error the domain raises on purpose."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class BadInput(DsrError):
    """Input that cannot be accepted; ``field`` names what was wrong."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.reason = message


class NotFound(DsrError):
    """The thing asked for does not exist (or the caller may not know it does)."""


class Forbidden(DsrError):
    """The caller is known but may not do this."""


class Conflict(DsrError):
    """The request clashes with the current state (e.g. a decided request)."""


class TooManyAttempts(DsrError):
    """A limit on tries was reached; ``retry_after``: seconds until it lifts."""

    def __init__(self, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class Unavailable(DsrError):
    """The instance cannot do this until an operator repairs it: a secret it needs
    (the audit key, a signing key) is missing or empty. Not the caller's input:
    HTTP 503 and exit 1, never a traceback."""
