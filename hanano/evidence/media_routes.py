"""Photos and videos as evidence over HTTP: upload, download on the record, chain of custody.

Uploads are open to the roles that report (admin, dispatcher, team_leader, spotter, reporter):
whoever can report a strike can send what they filmed of it. Downloads and custody are for
admin, dispatcher and auditor only: footage shows victims and rescuers, and every download is
itself logged, with the reason the caller gives.
"""

import asyncio
import base64
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException

from hanano.access.tokens import Principal
from hanano.domain import Runtime
from hanano.errors import Problem, invalid, not_found
from hanano.evidence import file_types, media, media_ops
from hanano.evidence.blobs import is_sha256_hex
from hanano.inputs import check_text
from hanano.intake import api as intake_api
from hanano.intake.views import is_restricted
from hanano.web.deps import ADMIN, REPORTING, ServiceDep, allow

router = APIRouter(prefix="/api/v1/media", tags=["evidence"])
MEDIA_PATH = "/api/v1/media"
MEDIA_READ = ("admin", "dispatcher", "auditor")
_FIELDS = ("incident_id", "report_id", "captured_at", "lat", "lon", "device_key", "signature")

_UPLOAD_SCHEMA = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "incident_id": {
                            "type": "string",
                            "description": "the incident it shows (roles that read incidents)",
                        },
                        "report_id": {
                            "type": "string",
                            "description": "or the sender's own report it belongs with",
                        },
                        "captured_at": {
                            "type": "string",
                            "format": "date-time",
                            "description": "capture time as the device claims it: ISO 8601 "
                            "with a four-digit year and a UTC offset, stored in UTC",
                        },
                        "lat": {"type": "number"},
                        "lon": {"type": "number"},
                        "device_key": {
                            "type": "string",
                            "description": "id (name+keyid) of the registered device key",
                        },
                        "signature": {
                            "type": "string",
                            "description": "base64 Ed25519 signature over the file's SHA-256",
                        },
                    },
                }
            }
        },
    }
}


class DeviceKeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    verifier_key: Annotated[str, Field(min_length=1, max_length=400)]


@router.post("", status_code=201, openapi_extra=_UPLOAD_SCHEMA)
async def upload(
    request: Request, service: ServiceDep, who: Annotated[Principal, Depends(allow(*REPORTING))]
) -> dict[str, Any]:
    """Store a photo or video as an evidentiary original and log it; 201 once durable."""
    try:
        form = await request.form(max_files=1, max_fields=len(_FIELDS), max_part_size=4096)
    except MultiPartException as exc:
        raise Problem(422, "Invalid upload", f"not a valid multipart form: {exc.message}") from None
    try:
        upload_file = form.get("file")
        if not isinstance(upload_file, UploadFile):
            raise invalid("file", "send the photo or video as the multipart field 'file'")
        text: dict[str, str | None] = {}
        for name in _FIELDS:
            value = form.get(name)
            if value is not None and not isinstance(value, str):
                raise invalid(name, "must be a text field")
            # A form is not JSON, so the input guard does not see these fields.
            check_text(name, value)
            text[name] = value
        incident_id = await asyncio.to_thread(_incident_of, service, who, text)
        claims = media.Claims(
            captured_at=text["captured_at"] or None,
            lat=_number(text["lat"], "lat"),
            lon=_number(text["lon"], "lon"),
            device_key_id=text["device_key"] or None,
            signature=text["signature"] or None,
        )
        ingested = await asyncio.to_thread(
            media_ops.ingest, service, who.actor, upload_file.file, str(incident_id), claims
        )
    finally:
        await form.close()
    added = ingested.added
    answer: dict[str, Any] = {
        "sha256": added.sha256,
        "size": added.size,
        "media_type": added.media_type,
    }
    if not is_restricted(who.role):
        answer["event"] = added.seq
    return answer


def _incident_of(service: Runtime, who: Principal, text: dict[str, str | None]) -> str:
    """The incident an upload belongs to. The roles that do not read incidents attach a file to
    their own report: whether an incident id exists would otherwise tell them whether a report
    of theirs joined an open incident, and so where rescuers work."""
    incident_id, report_id = text["incident_id"], text["report_id"]
    restricted = is_restricted(who.role)
    if restricted and incident_id:
        raise invalid("incident_id", "attach the file to your own report: give report_id")
    if report_id:
        found = intake_api.incident_of_report(service, report_id, who.actor if restricted else None)
        if found is None:
            raise not_found(f"report {report_id}")
        return found
    if not incident_id:
        raise invalid("incident_id", "name the incident this file shows, or give report_id")
    return incident_id


def _number(value: object, field: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(str(value))
    except ValueError:
        raise invalid(field, "must be a number") from None


@router.post("/devices", status_code=201)
async def register_device(
    body: DeviceKeyIn, service: ServiceDep, who: Annotated[Principal, Depends(allow(*ADMIN))]
) -> dict[str, str]:
    """Register a capture device's verifier key; files it signs are checked against it."""
    key_id = await service.sequencer.run(
        lambda tx: media.register_device_key(tx, who.actor, body.verifier_key)
    )
    return {"key_id": key_id}


@router.get("/{sha256}", response_class=FileResponse)
async def download(
    sha256: str,
    service: ServiceDep,
    who: Annotated[Principal, Depends(allow(*MEDIA_READ))],
    reason: Annotated[str, Query(min_length=1, max_length=1000)],
) -> FileResponse:
    """The original, read-only, after the access has been logged with its reason."""
    _check_hash(sha256)
    store = media_ops.blob_store(service)
    item = media_ops.logged_item(service, sha256)
    if not store.has(sha256):
        raise Problem(500, "Original missing", f"media {sha256} is logged but its file is gone")
    await service.sequencer.run(lambda tx: media.log_access(tx, who.actor, sha256, reason, "api"))
    digest = base64.b64encode(bytes.fromhex(sha256)).decode()
    return FileResponse(
        Path(store.path_of(sha256)),
        media_type=item.media_type,
        filename=f"{sha256}{file_types.suffix_for(item.media_type)}",
        headers={
            "Repr-Digest": f"sha-256=:{digest}:",
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "X-Hanano-Event": str(item.seq),
        },
    )


@router.get("/{sha256}/custody")
def custody(
    sha256: str, service: ServiceDep, _: Annotated[Principal, Depends(allow(*MEDIA_READ))]
) -> dict[str, Any]:
    """The file's chain of custody: every logged event about it, oldest first."""
    _check_hash(sha256)
    return {"sha256": sha256, "custody": media_ops.custody(service, sha256)}


def _check_hash(sha256: str) -> None:
    if not is_sha256_hex(sha256):
        raise invalid("sha256", "must be 64 lowercase hex digits")
