"""Error responses: JSON in SPEC §3 format under /api, friendly HTML pages elsewhere."""

from flask import Flask, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from app.core.errors import ServiceError

ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
    500: "internal_error",
}

PAGE_TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Not found",
    413: "Too large",
    429: "Too many requests",
    500: "Server error",
}

FRIENDLY_MESSAGES = {
    400: "The request could not be understood.",
    401: "Sign in first.",
    403: "You are not allowed to do that.",
    404: "There is nothing here.",
    405: "That method is not allowed here.",
    413: "The request is too large.",
    429: "Too many requests. Slow down and try again shortly.",
    500: "Something went wrong on our side. It has been logged.",
}


def wants_json() -> bool:
    """API paths always answer JSON."""
    return request.path == "/api" or request.path.startswith("/api/")


def json_error(status: int, message: str, fields: dict | None = None, code: str | None = None):
    """Build the SPEC §3 error body and response."""
    body: dict = {"code": code or ERROR_CODES.get(status, "error"), "message": message}
    if fields:
        body["fields"] = fields
    return jsonify({"error": body}), status


def _message_list(messages, prefix: str = "") -> list[str]:
    """marshmallow messages for one field as a flat list of strings (SPEC §3: {field: [...]}).

    Nested fields report {index or key: [...]}: "tags": {"0": ["Not a string."]} becomes
    "tags": ["0: Not a string."].
    """
    if isinstance(messages, dict):
        return [
            text
            for key, value in messages.items()
            for text in _message_list(value, f"{prefix}{key}: ")
        ]
    if isinstance(messages, list | tuple):
        return [text for value in messages for text in _message_list(value, prefix)]
    return [f"{prefix}{messages}"]


def _webargs_fields(error: HTTPException) -> dict | None:
    """Flatten webargs/marshmallow messages ({"json": {field: [...]}}) to {field: [...]}."""
    messages = (getattr(error, "data", None) or {}).get("messages")
    if not isinstance(messages, dict):
        return None
    fields: dict = {}
    for location_messages in messages.values():
        if isinstance(location_messages, dict):
            for name, field_messages in location_messages.items():
                fields[str(name)] = _message_list(field_messages)
    return fields or None


def _error_response(status: int, message: str, fields=None, headers=None, code=None):
    if wants_json():
        response, status = json_error(status, message, fields, code)
    else:
        title = PAGE_TITLES.get(status, f"Error {status}")
        response = make_response(
            render_template("errors/error.html", title=title, message=message), status
        )
    if headers:
        for name, value in headers:
            if name.lower() in ("retry-after", "www-authenticate", "allow"):
                response.headers[name] = value
    return response, status


def handle_http_exception(error: HTTPException):
    status = error.code or 500
    if isinstance(error, CSRFError):
        message = "Your form expired or was sent from elsewhere. Reload the page and try again."
    elif status == 422:
        message = "Some fields are invalid."
    elif status == 429:
        message = f"Too many requests (limit: {error.description}). Try again shortly."
    elif status in FRIENDLY_MESSAGES and error.description == type(error).description:
        # Werkzeug's stock descriptions are long and technical; ours are for people.
        message = FRIENDLY_MESSAGES[status]
    else:
        message = error.description or FRIENDLY_MESSAGES.get(status, "Error.")
    fields = _webargs_fields(error) if status in (400, 422) else None
    return _error_response(status, message, fields, error.get_headers())


def handle_service_error(error: ServiceError):
    return _error_response(error.status, error.message, error.fields or None, code=error.code)


def handle_internal_error(error: Exception):
    return _error_response(500, FRIENDLY_MESSAGES[500])


def register_error_handlers(app: Flask) -> None:
    """Install the handlers for HTTP errors, service errors and crashes."""
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(ServiceError, handle_service_error)
    app.register_error_handler(InternalServerError, handle_internal_error)
