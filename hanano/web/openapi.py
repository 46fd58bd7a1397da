"""The OpenAPI document says what every operation can answer, errors included.

Each error is an RFC 9457 problem document (application/problem+json). Which statuses an
operation declares follows from what it is:
- any operation: 400 (an unreadable request) and 422 (a parameter or field refused);
- one that reads the caller (Bearer token or session): 401 and 403;
- one with parameters, or that writes: 404 (what it names does not exist);
- one that writes: 409 (the state does not allow it);
- one with a body: 413 (too large), and 415 when its body is JSON (sent as something else).
A route declares any other status itself (`responses=`), e.g. 429 on login.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from hanano.web.deps import principal
from hanano.web.problems import PROBLEM_TYPE

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "the fields refused, each by name (a dotted path in the body)",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_WRITES = ("post", "put", "patch", "delete")
# FastAPI's own description of its validation errors, which the problem handlers replace.
_FASTAPI_ERRORS = ("HTTPValidationError", "ValidationError")


def _depends_on(dependant: Dependant, call: Callable[..., Any]) -> bool:
    return any(d.call is call or _depends_on(d, call) for d in dependant.dependencies)


def authenticated_operations(routers: Iterable[APIRouter]) -> set[tuple[str, str]]:
    """(path, method) of every operation that reads the caller."""
    found: set[tuple[str, str]] = set()
    for router in routers:
        for route in router.routes:
            if isinstance(route, APIRoute) and _depends_on(route.dependant, principal):
                found.update((route.path_format, m.lower()) for m in route.methods or ())
    return found


def _statuses(method: str, operation: dict[str, Any], authenticated: bool) -> set[int]:
    statuses = {400, 422}
    if authenticated:
        statuses |= {401, 403}
    if operation.get("parameters") or method in _WRITES:
        statuses.add(404)
    if method in _WRITES:
        statuses.add(409)
    body = operation.get("requestBody")
    if body:
        statuses.add(413)
        if "application/json" in body.get("content", {}):
            statuses.add(415)
    return statuses


def declare_problems(document: dict[str, Any], authenticated: set[tuple[str, str]]) -> None:
    """Add the problem responses to every operation of the document, in place; idempotent."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            wanted = _statuses(method, operation, (path, method) in authenticated)
            wanted |= {int(s) for s in responses if s.isdigit() and int(s) >= 400}
            for status in sorted(wanted):
                declared = responses.setdefault(str(status), {})
                declared["description"] = declared.get("description") or HTTPStatus(status).phrase
                # FastAPI's own 422 (application/json) is replaced; a route's own is kept.
                replaced = status == 422 and "application/json" in declared.get("content", {})
                if replaced or "content" not in declared:
                    declared["content"] = {PROBLEM_TYPE: {"schema": PROBLEM_REF}}
    for name in _FASTAPI_ERRORS:
        schemas.pop(name, None)


def install(app: FastAPI, routers: Iterable[APIRouter]) -> None:
    """Make the app's document declare its problem responses."""
    authenticated = authenticated_operations(routers)
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        document = generate()
        declare_problems(document, authenticated)
        return document

    app.openapi = openapi  # type: ignore[method-assign]
