"""Errors raised by services; web and API layers translate them into responses."""


class ServiceError(Exception):
    """Base class: a rule refused the operation; ``message`` is safe to show."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class ValidationFailed(ServiceError):
    """Input broke a rule; ``fields`` maps input names to messages."""

    status = 422
    code = "validation_failed"


class Conflict(ServiceError):
    """The operation clashes with existing state (duplicate, already done)."""

    status = 409
    code = "conflict"


class Forbidden(ServiceError):
    """The caller can see the object but may not do this to it."""

    status = 403
    code = "forbidden"


class NotFound(ServiceError):
    """The object does not exist, or the caller may not know it exists."""

    status = 404
    code = "not_found"


class Unauthorized(ServiceError):
    """Credentials are missing or wrong."""

    status = 401
    code = "unauthorized"
