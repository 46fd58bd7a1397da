"""OpenRosa 1.0 for ODK Collect and KoboCollect, under `/openrosa/key/{token}/`.

The token is a hanano token of the phone's role, carried in the URL as ODK Central's app-user
URLs carry theirs, so a phone is set up from one QR code. Which forms a token is handed depends
on its role. Every answer, errors included, carries `X-OpenRosa-Version: 1.0`; errors are
OpenRosaResponse documents whose message Collect shows, and never repeat the token.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, BinaryIO

from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException

from hanano.access.tokens import Principal
from hanano.domain import Runtime
from hanano.errors import Problem
from hanano.field import api, openrosa
from hanano.field.openrosa import PREFIX, VERSION_HEADERS, XML_TYPE, bad_xml
from hanano.web.openapi import PROBLEM_REF
from hanano.web.problems import PROBLEM_TYPE

SUBMISSION = "xml_submission_file"
_MAX_PARTS = 50


class OpenRosaRoute(APIRoute):
    """Every answer with the OpenRosa version header; every refusal as an OpenRosaResponse."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                response = await handler(request)
            except Problem as problem:
                response = _refusal(problem)
            except HTTPException as exc:
                response = _refusal(Problem(exc.status_code, "Refused", str(exc.detail)))
            response.headers.update(VERSION_HEADERS)
            return response

        return answer


# Refusals are OpenRosaResponse documents, as Collect reads them; the gates in front of every
# route (an address with control characters, a body of another type) answer with a problem.
_REFUSALS: dict[int | str, dict[str, Any]] = {
    status: {
        "description": phrase,
        "content": {"text/xml": {}, PROBLEM_TYPE: {"schema": PROBLEM_REF}},
    }
    for status, phrase in (
        (400, "Malformed XML, an entity, or no xml_submission_file"),
        (401, "Unknown or revoked token"),
        (403, "The token may not do this"),
        (404, "A form hanano does not have, or this token is not handed"),
        (409, "This instance was received with other content"),
        (413, "Too large: send fewer files in one request"),
        (415, "Not multipart/form-data"),
        (422, "An answer refused, naming it"),
    )
}
router = APIRouter(
    prefix=PREFIX + "/{token}",
    tags=["field"],
    route_class=OpenRosaRoute,
    responses=_REFUSALS,
)


def _refusal(problem: Problem) -> Response:
    return Response(openrosa.response(problem.detail), problem.status, media_type=XML_TYPE)


def _service(request: Request) -> Runtime:
    service: Runtime = request.app.state.service
    return service


async def _caller(service: Runtime, token: str) -> Principal:
    found = service.tokens.remembered(token) or await asyncio.to_thread(
        service.tokens.authenticate, token
    )
    if found is None:
        raise Problem(401, "Unauthorized", "unknown or revoked token in this server address")
    return found


@router.get("/formList")
async def form_list(token: str, request: Request) -> Response:
    """The OpenRosa xforms list of the forms this token is handed."""
    service = _service(request)
    who = await _caller(service, token)
    asked = str(request.url.remove_query_params(list(request.query_params)))
    base = openrosa.download_base(asked.removesuffix("formList"), service.settings.public_url)
    body = openrosa.form_list(api.form_list(who), base)
    return Response(body, media_type=XML_TYPE)


@router.get("/forms/{form_file}")
async def form(token: str, form_file: str, request: Request) -> Response:
    """One form's XForm, `forms/{formId}.xml`."""
    who = await _caller(_service(request), token)
    if not form_file.endswith(".xml"):
        raise Problem(404, "Not found", "forms are served as forms/{formId}.xml")
    return Response(api.form(who, form_file.removesuffix(".xml")).xml, media_type=XML_TYPE)


@router.head("/submission", status_code=204)
async def submission_head(token: str, request: Request) -> Response:
    """What Collect asks before it sends: whether it may, and how large a request may be."""
    service = _service(request)
    await _caller(service, token)
    limit = str(service.settings.openrosa_max_bytes)
    return Response(status_code=204, headers={"X-OpenRosa-Accept-Content-Length": limit})


@router.post(
    "/submission",
    status_code=201,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": [SUBMISSION],
                        "properties": {SUBMISSION: {"type": "string", "format": "binary"}},
                    }
                }
            },
        }
    },
)
async def submission(token: str, request: Request) -> Response:
    """One filled-in form (`xml_submission_file`) and its attachments; 201 once durable."""
    service = _service(request)
    who = await _caller(service, token)
    limit = service.settings.openrosa_max_bytes
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise Problem(413, "Too large", f"the request exceeds {limit} bytes; send fewer files")
    try:
        parts = await request.form(max_files=_MAX_PARTS, max_fields=_MAX_PARTS, max_part_size=limit)
    except HTTPException as exc:
        # Starlette's account of a malformed multipart body.
        raise Problem(400, "Bad submission", f"malformed multipart body: {exc.detail}") from None
    try:
        xml, files = await _parts(parts)
        submitted = await api.submit(service, who, xml)
        photo = await asyncio.to_thread(api.keep_photo, service, who, submitted, files)
    finally:
        await parts.close()
    received = submitted.received
    message = (
        f"Received: {received.record_id}, log index {received.log_index}. "
        f"تم الاستلام: {received.record_id}، رقم السجل {received.log_index}."
    )
    record = {
        "form": received.form_id,
        "id": received.record_id,
        "log_index": str(received.log_index),
    }
    if photo is not None:
        message += f" ({photo})"
    return Response(openrosa.response(message, record), 201, media_type=XML_TYPE)


async def _parts(parts: FormData) -> tuple[bytes, dict[str, BinaryIO]]:
    """The submission's XML, and its attachments by file name."""
    found = parts.getlist(SUBMISSION)
    if len(found) != 1 or not isinstance(found[0], UploadFile):
        raise bad_xml(f"send exactly one {SUBMISSION} file part")
    xml = await found[0].read()
    files = {
        value.filename: value.file
        for name, value in parts.multi_items()
        if name != SUBMISSION and isinstance(value, UploadFile) and value.filename
    }
    return xml, files
