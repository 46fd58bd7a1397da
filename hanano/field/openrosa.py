"""OpenRosa 1.0 on the wire: submissions read safely, form lists and answers written.

A submission is read with defusedxml: a document type or an entity declaration is refused
before anything is expanded (no billion laughs, no external entities), as is malformed XML.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from hanano.errors import FieldError, Problem
from hanano.field.forms import Form

# Where a phone's OpenRosa server is: PREFIX/{token}/ (formList, forms/, submission).
PREFIX = "/openrosa/key"
VERSION_HEADERS = {"X-OpenRosa-Version": "1.0"}
XML_TYPE = "text/xml; charset=utf-8"
# Groups within groups a submission may hold; hanano's forms use two.
MAX_DEPTH = 32
_LIST_NS = "http://openrosa.org/xforms/xformsList"
_RESPONSE_NS = "http://openrosa.org/http/response"
_HANANO_NS = "https://hanano.example/openrosa"


@dataclass(frozen=True)
class Submission:
    """One filled-in form: its form's id, its instance's UUID and its answers by path
    ("kind", "meta/instanceID")."""

    form_id: str
    instance_id: uuid.UUID
    answers: dict[str, str]
    attachments: tuple[str, ...]  # the file names its answers refer to


def bad_xml(message: str) -> Problem:
    return Problem(400, "Bad submission", message, [FieldError("xml_submission_file", message)])


def parse_submission(raw: bytes) -> Submission:
    """Read a submission's XML; 400 for anything that is not one well-formed, entity-free
    document with a form id and an instance id."""
    try:
        root = fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise bad_xml(f"document types and entities are refused ({type(exc).__name__})") from None
    except (ET.ParseError, ValueError) as exc:
        raise bad_xml(f"malformed XML: {exc}") from None
    form_id = root.get("id")
    if not form_id:
        raise bad_xml("the root element has no id attribute naming its form")
    answers: dict[str, str] = {}
    _collect(root, "", answers)
    return Submission(form_id, _instance_id(answers.get("meta/instanceID")), answers, ())


def _collect(element: ET.Element, prefix: str, answers: dict[str, str], depth: int = 1) -> None:
    if depth > MAX_DEPTH:
        raise bad_xml(f"the answers are nested deeper than {MAX_DEPTH} groups")
    for child in element:
        name = prefix + _local(child.tag)
        if len(child):
            _collect(child, name + "/", answers, depth + 1)
        elif child.text is not None and child.text.strip():
            answers[name] = child.text.strip()


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _instance_id(value: str | None) -> uuid.UUID:
    if value is None:
        raise bad_xml("meta/instanceID is missing")
    try:
        return uuid.UUID(value.removeprefix("uuid:"))
    except ValueError:
        raise bad_xml(f"meta/instanceID {value[:60]!r} is not uuid:<UUID>") from None


def download_base(asked: str, public_url: str) -> str:
    """Where a phone is sent for its forms: the address it asked at, but at the public https
    address when it asked for that host over http. A proxy that ends TLS speaks http to
    hanano, and a form fetched over http would carry the phone's token in clear."""
    here, public = urlsplit(asked), urlsplit(public_url)
    if here.scheme == "http" and public.scheme == "https" and here.hostname == public.hostname:
        return urlunsplit(here._replace(scheme="https", netloc=public.netloc))
    return asked


def form_list(forms: list[Form], base_url: str) -> bytes:
    """The OpenRosa xforms list of `forms`, each downloaded from under `base_url`."""
    root = ET.Element("xforms", xmlns=_LIST_NS)
    for f in forms:
        item = ET.SubElement(root, "xform")
        for tag, text in (
            ("formID", f.form_id),
            ("name", f.title),
            ("version", f.version),
            ("hash", f"md5:{f.md5}"),
            ("downloadUrl", f"{base_url}forms/{f.form_id}.xml"),
        ):
            ET.SubElement(item, tag).text = text
    return _document(root)


def response(message: str, record: dict[str, str] | None = None) -> bytes:
    """An OpenRosaResponse: the message Collect shows, and what hanano recorded."""
    root = ET.Element("OpenRosaResponse", xmlns=_RESPONSE_NS)
    ET.SubElement(root, "message", nature="submit_success" if record else "error").text = message
    if record is not None:
        ET.SubElement(root, "hanano:record", {"xmlns:hanano": _HANANO_NS, **record})
    return _document(root)


def _document(root: ET.Element) -> bytes:
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data
