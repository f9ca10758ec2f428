"""One gate for caller input: ids in paths, and text that cannot be stored, before any view.

Python decodes ``"\\ud800"`` in JSON to a lone surrogate that no UTF-8 encoder (SQLite,
PostgreSQL, the search index, the response) accepts, and PostgreSQL cannot store NUL at all;
a view or service that forgets either answers 500. So every request passes here first:

- JSON bodies and form fields holding NUL or a lone surrogate (in any value or key, at any
  depth) are refused with 422 naming the input field; nothing is written.
- Query arguments are lookups (search words, filters): NUL in them becomes U+FFFD, the
  replacement character, so a filter still reports "no such time zone" instead of silently
  vanishing (werkzeug already keeps undecodable percent-escapes as text: no surrogates).
- Path values with either character name nothing: 404.
- ``<int:…>`` route segments accept ASCII digits only and pass 0 for numbers outside the
  id range (werkzeug's own converter takes ``١`` and unbounded numbers that overflow
  SQLite), so a path id is always safe to look up.

Numbers inside query, form and JSON values go through ``parse_int``/``parse_id`` in
app/core/validation.py, the one number parser.
"""

import re
from collections.abc import Iterable
from typing import Any

from flask import Flask, abort, request
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

from app.core.errors import ValidationFailed
from app.core.validation import parse_id

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class IdConverter(IntegerConverter):
    """``<int:name>``: ASCII digits only; a number outside 1 … 2**31-1 arrives as 0.

    0 names no row, so every view answers its usual 404. (Raising ValidationError instead
    makes werkzeug's matcher answer 405 when a sibling rule takes other methods.)
    """

    regex = r"[0-9]+"

    def to_python(self, value: str) -> int:
        return parse_id(value) or 0


def text_problem(value: str) -> str | None:
    """Why this text cannot be accepted (NUL or a lone surrogate), or None."""
    match = _UNSTORABLE.search(value)
    if match is None:
        return None
    if match.group() == "\x00":
        return "contains control characters (NUL), which cannot be saved."
    return "contains a lone UTF-16 surrogate, which is not valid Unicode text."


def _nested_problem(value) -> str | None:
    """The first problem in any string (value or key) inside a decoded JSON value."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            problem = text_problem(item)
            if problem:
                return problem
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


def _shown(name: str) -> str:
    """A field name safe to echo back (bad characters replaced by U+FFFD)."""
    return _UNSTORABLE.sub("\ufffd", name)[:100]


def _json_body():
    """The decoded JSON body, or None when absent or malformed (the API reports that as 400)."""
    try:
        return request.get_json(silent=True)
    except RecursionError:
        return None


def _body_problems() -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    if request.is_json:
        data = _json_body()
        pairs: Iterable[tuple[str, Any]] = (
            data.items() if isinstance(data, dict) else [("body", data)]
        )
    else:
        pairs = request.form.items(multi=True)
    for name, value in pairs:
        problem = text_problem(name) if isinstance(name, str) else None
        problem = problem or _nested_problem(value)
        if problem:
            fields.setdefault(_shown(name), []).append("This field " + problem)
    return fields


def check_request_input() -> None:
    """before_request: refuse unstorable text, clean lookups (see the module docstring)."""
    if request.view_args and any(
        isinstance(value, str) and _UNSTORABLE.search(value) for value in request.view_args.values()
    ):
        abort(404)
    if any("\x00" in key or "\x00" in value for key, value in request.args.items(multi=True)):
        request.args = ImmutableMultiDict(
            [
                (key.replace("\x00", "\ufffd"), value.replace("\x00", "\ufffd"))
                for key, value in request.args.items(multi=True)
            ]
        )
    auth = request.authorization
    if auth is not None and any(
        _UNSTORABLE.search(part or "") for part in (auth.username, auth.password, auth.token)
    ):
        raise BadRequest("The Authorization header contains characters no account has.")
    if request.method in _BODY_METHODS:
        fields = _body_problems()
        if fields:
            name, messages = next(iter(fields.items()))
            raise ValidationFailed(f"“{name}”: {messages[0]}", fields)


def register_request_input(app: Flask) -> None:
    """Install the id converter (before any route is added) and the text check."""
    app.url_map.converters["int"] = IdConverter
    app.before_request(check_request_input)
