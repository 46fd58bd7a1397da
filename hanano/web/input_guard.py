"""One gate for what a request carries, before any handler or dependency reads it.

- The URL: no path segment or query parameter may hold NUL, a bidirectional control or an
  unpaired surrogate (hanano.inputs), so none reaches a query on PostgreSQL.
- The body of an operation whose OpenAPI document declares a JSON body: it must be sent as one of
  the declared media types (else 415), as UTF-8, and as JSON nested at most 32 deep whose every
  number is finite and every text (names of members too) obeys hanano.inputs. An operation that
  declares `x-hanano-foreign-text` (an SMS as it arrived) reads, checks and cleans its body
  itself, after it has checked the sender's signature: whoever cannot sign learns nothing of the
  shape the body should have.

Each refusal is an RFC 9457 problem naming the parameter, or the member by its path in the body
("polygon.1.0"). The operations, their path parameters and body types are read from the app's own
OpenAPI document, so a new route is covered as soon as it is declared.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hanano.errors import FieldError, Problem
from hanano.inputs import faults, printable, text_fault
from hanano.web.problems import problem_response

MAX_DEPTH = 32
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
_PARAMETER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Operation:
    pattern: re.Pattern[str]
    literal: int  # characters outside parameters: the most literal template wins a tie
    media_types: frozenset[str]
    body_required: bool
    # A body of text written outside hanano (an SMS forwarded as it arrived), which the route
    # reads, refuses or cleans itself so that it can answer its sender: its texts are not
    # checked here. Declared with `x-hanano-foreign-text` on the operation.
    foreign_text: bool = False

    @property
    def takes_json(self) -> bool:
        return any(_is_json(t) for t in self.media_types)


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


def _compile(template: str) -> re.Pattern[str]:
    parts = _PARAMETER.split(template)
    # split() alternates literal text and parameter names.
    regex = "".join(
        re.escape(part) if i % 2 == 0 else f"(?P<{part}>[^/]+)" for i, part in enumerate(parts)
    )
    return re.compile(regex + r"\Z")


def operations_of(document: dict[str, Any]) -> dict[str, list[Operation]]:
    """The document's operations by method, most literal template first."""
    table: dict[str, list[Operation]] = {}
    for template, item in document.get("paths", {}).items():
        pattern = _compile(template)
        literal = len(_PARAMETER.sub("", template))
        for method, operation in item.items():
            if method not in _METHODS:
                continue
            body = operation.get("requestBody") or {}
            table.setdefault(method.upper(), []).append(
                Operation(
                    pattern,
                    literal,
                    frozenset(t.lower() for t in body.get("content", {})),
                    bool(body.get("required", False)),
                    bool(operation.get("x-hanano-foreign-text", False)),
                )
            )
    for candidates in table.values():
        candidates.sort(key=lambda o: -o.literal)
    return table


def _refused(
    errors: list[FieldError], status: int = 422, title: str = "Invalid request"
) -> Problem:
    return Problem(status, title, "; ".join(f"{e.field}: {e.message}" for e in errors), errors)


def url_problem(scope: Scope, operation: Operation | None) -> Problem | None:
    """NUL or bidirectional controls in the path or the query string."""
    errors: list[FieldError] = []
    path: str = scope["path"]
    if text_fault(path):
        match = operation.pattern.match(path) if operation else None
        named = [
            FieldError(name, message)
            for name, value in (match.groupdict() if match else {}).items()
            if (message := text_fault(value))
        ]
        errors.extend(named or [FieldError("path", str(text_fault(path)))])
    query = scope.get("query_string", b"").decode("latin-1")
    for name, value in parse_qsl(query, keep_blank_values=True):
        message = text_fault(name) or text_fault(value)
        if message:
            errors.append(FieldError(printable(name), message))
    return _refused(errors) if errors else None


def _content_type(scope: Scope) -> tuple[str | None, dict[str, str]]:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            media_type, *params = value.decode("latin-1").split(";")
            pairs = (p.partition("=") for p in params)
            return media_type.strip().lower(), {
                k.strip().lower(): v.strip().strip('"').lower() for k, _, v in pairs
            }
    return None, {}


def media_type_problem(scope: Scope, operation: Operation, body: bytes) -> Problem | None:
    """415 unless the body comes as one of the operation's declared media types (JSON as
    UTF-8). An empty body the operation does not require needs no type."""
    if not body and not operation.body_required:
        return None
    media_type, params = _content_type(scope)
    accepted = sorted(operation.media_types)
    allowed = media_type in operation.media_types or (
        media_type is not None and _is_json(media_type) and operation.takes_json
    )
    if allowed and media_type is not None and _is_json(media_type):
        allowed = params.get("charset", "utf-8") == "utf-8"
    if allowed:
        return None
    sent = f"{media_type} was sent" if media_type else "no Content-Type was sent"
    message = f"must be {' or '.join(accepted)} (JSON as UTF-8); {sent}"
    return _refused([FieldError("Content-Type", message)], 415, "Unsupported Media Type")


def json_problem(body: bytes) -> Problem | None:
    """Malformed JSON, nesting deeper than MAX_DEPTH, a number that is not finite, or text
    that breaks hanano.inputs."""
    try:
        # NaN, Infinity and 1e999 are read as floats so that the check below can name them.
        value = json.loads(body.decode("utf-8"), parse_constant=float)
    except RecursionError:
        return _refused([FieldError("body", f"is nested deeper than {MAX_DEPTH} levels")])
    except UnicodeDecodeError:
        return _refused([FieldError("body", "malformed JSON: not UTF-8")])
    except ValueError as exc:
        return _refused([FieldError("body", f"malformed JSON: {exc}")])
    errors = list(faults(value, max_depth=MAX_DEPTH))
    return _refused(errors) if errors else None


async def _read(receive: Receive) -> bytes | None:
    """The whole body (BodyLimit, outside this gate, has bounded it), or None on disconnect."""
    chunks: list[bytes] = []
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


class InputGuard:
    """ASGI middleware applying the rules above; `openapi` returns the app's OpenAPI document."""

    def __init__(self, app: ASGIApp, openapi: Callable[[], dict[str, Any]]) -> None:
        self.app = app
        self.openapi = openapi
        self._table: dict[str, list[Operation]] | None = None

    def operation(self, method: str, path: str) -> Operation | None:
        if self._table is None:
            self._table = operations_of(self.openapi())
        return next((o for o in self._table.get(method, []) if o.pattern.match(path)), None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        operation = self.operation(scope["method"], scope["path"])
        problem = url_problem(scope, operation)
        if (
            problem is None
            and operation is not None
            and operation.takes_json
            and not operation.foreign_text
        ):
            body = await _read(receive)
            if body is None:
                return
            problem = media_type_problem(scope, operation, body)
            media_type, _ = _content_type(scope)
            if problem is None and body and media_type is not None and _is_json(media_type):
                problem = json_problem(body)
            receive = _replay(body, receive)
        if problem is not None:
            await problem_response(problem)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
