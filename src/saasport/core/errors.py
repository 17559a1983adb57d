"""Domain errors with stable codes; routes and dialects translate them to their wire format."""

from __future__ import annotations

from saasport.core.messages import N_


class DomainError(Exception):
    """A refusal the caller can act on. `code` is stable and documented."""

    code = "error"
    status = 400

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class NotFound(DomainError):
    code = "not_found"
    status = 404


class Forbidden(DomainError):
    code = "forbidden"
    status = 403


class Unauthenticated(DomainError):
    code = "unauthenticated"
    status = 401


class Conflict(DomainError):
    code = "conflict"
    status = 409


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ValidationFailed(DomainError):
    """Field-level errors: `fields` maps a field name to its message. Nothing was saved."""

    code = "validation_failed"
    status = 422

    def __init__(
        self, fields: dict[str, str], message: str = N_("Some fields are invalid.")
    ) -> None:
        super().__init__(message)
        self.fields = fields


class InvalidTransition(Conflict):
    code = "invalid_transition"


class ServiceUnavailable(DomainError):
    """Something the platform needs is missing on this machine (it says what)."""

    code = "unavailable"
    status = 503
