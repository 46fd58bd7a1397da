"""RFC 9457 problem documents for every error the API returns."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.exceptions import HTTPException

from hanano.errors import FieldError, Problem

log = logging.getLogger(__name__)

PROBLEM_TYPE = "application/problem+json"


def problem_response(problem: Problem) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
    }
    if problem.errors:
        body["errors"] = [{"field": e.field, "message": e.message} for e in problem.errors]
    headers = {"WWW-Authenticate": "Bearer"} if problem.status == 401 else None
    return JSONResponse(body, status_code=problem.status, media_type=PROBLEM_TYPE, headers=headers)


def _field_name(loc: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or "body"


def validation_problem(errors: list[Any], title: str = "Invalid request") -> Problem:
    fields = []
    for error in errors:
        message = error.get("msg", "invalid")
        if error.get("type") == "extra_forbidden":
            message = "unknown field"
        elif error.get("type") == "json_invalid":
            message = "malformed JSON: " + str(error.get("ctx", {}).get("error", ""))
        fields.append(FieldError(_field_name(tuple(error.get("loc", ()))), message))
    detail = "; ".join(f"{f.field}: {f.message}" for f in fields) or title
    return Problem(422 if fields else 400, title, detail, fields)


def from_validation_error(exc: ValidationError) -> Problem:
    return validation_problem(list(exc.errors()))


async def handle_problem(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return problem_response(exc)


async def handle_request_validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return problem_response(validation_problem(list(exc.errors())))


async def handle_http(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    return problem_response(Problem(exc.status_code, str(exc.detail), str(exc.detail)))


async def handle_store_unreachable(_: Request, exc: Exception) -> JSONResponse:
    """The store was lost mid-request (a PostgreSQL primary killed, its standby not yet
    promoted): nothing was acknowledged, so the sender is told to send the same request again,
    which its id makes safe."""
    assert isinstance(exc, OperationalError | InterfaceError)
    log.warning("a request met the store unreachable: %s", str(exc.orig or exc).splitlines()[0])
    problem = Problem(
        503,
        "Store unavailable",
        "the store cannot be reached now; nothing was acknowledged: send the same request again",
    )
    response = problem_response(problem)
    response.headers["Retry-After"] = "2"
    return response
