"""CAP 1.2 (OASIS Common Alerting Protocol): what hanano emits, strictly valid against the
official schema; and a lenient reader of other agencies' CAP 1.1 and 1.2 that never resolves
external entities.
"""

from __future__ import annotations

# The standard library builds our own documents; foreign ones are parsed only by defusedxml.
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

CAP12 = "urn:oasis:names:tc:emergency:cap:1.2"
CAP11 = "urn:oasis:names:tc:emergency:cap:1.1"
ATOM = "http://www.w3.org/2005/Atom"
GEOCODE_NAME = "OCHA P-code"

URGENCY = {
    "watch": "Expected",
    "warning": "Immediate",
    "imminent": "Immediate",
    "all_clear": "Past",
}
SEVERITY = {"watch": "Moderate", "warning": "Severe", "imminent": "Extreme", "all_clear": "Minor"}
CERTAINTY = {
    "watch": "Possible",
    "warning": "Likely",
    "imminent": "Observed",
    "all_clear": "Observed",
}
RESPONSE = {
    "watch": "Monitor",
    "warning": "Prepare",
    "imminent": "Shelter",
    "all_clear": "AllClear",
}
EVENT = {"en": "Air raid", "ar": "غارة جوية"}


def schema_path() -> str:
    return str(resources.files("hanano.warning").joinpath("data/CAP-v1.2.xsd"))


def cap_time(iso: str) -> str:
    """CAP's dateTime: whole seconds and an explicit +00:00 offset (no Z, no fraction)."""
    return iso[:19] + "+00:00"


def cap_polygon(ring: list[list[float]]) -> str:
    """[[lon, lat], ...] as CAP's space-separated "lat,lon" pairs, closed, at least 4 points."""
    points = [(float(lat), float(lon)) for lon, lat in ring]
    if points and points[0] != points[-1]:
        points.append(points[0])
    if len(points) < 4:
        raise ValueError("a CAP polygon needs at least four points, the first repeated last")
    return " ".join(f"{lat:.6f},{lon:.6f}" for lat, lon in points)


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, f"{{{CAP12}}}{tag}")
    if text is not None:
        element.text = text
    return element


def to_cap(alert: dict[str, Any], sender: str, sender_name: str, web: str | None = None) -> bytes:
    """One alert as a CAP 1.2 document: an <info> per language, an <area> per zone."""
    ET.register_namespace("", CAP12)
    root = ET.Element(f"{{{CAP12}}}alert")
    _sub(root, "identifier", alert["alert_id"])
    _sub(root, "sender", sender)
    _sub(root, "sent", cap_time(alert["sent"]))
    _sub(root, "status", "Actual")
    _sub(root, "msgType", alert["msg_type"])
    _sub(root, "scope", "Public")
    if alert.get("cap_references"):
        _sub(root, "references", " ".join(alert["cap_references"]))
    level = alert["level"]
    for lang, suffix in (("ar", "ar"), ("en", "en")):
        info = _sub(root, "info")
        _sub(info, "language", lang)
        _sub(info, "category", "Security")
        _sub(info, "event", EVENT[lang])
        _sub(info, "responseType", RESPONSE[level])
        _sub(info, "urgency", URGENCY[level])
        _sub(info, "severity", SEVERITY[level])
        _sub(info, "certainty", CERTAINTY[level])
        eventcode = _sub(info, "eventCode")
        _sub(eventcode, "valueName", "hanano:level")
        _sub(eventcode, "value", level)
        _sub(info, "onset", cap_time(alert["sent"]))
        _sub(info, "expires", cap_time(alert["expires"]))
        _sub(info, "senderName", sender_name)
        _sub(info, "headline", alert[f"headline_{suffix}"])
        _sub(info, "description", alert[f"description_{suffix}"] or alert[f"headline_{suffix}"])
        _sub(info, "instruction", alert[f"instruction_{suffix}"])
        if web:
            _sub(info, "web", web)
        for zone in alert["zones"]:
            if zone.get("eta_min_s") is not None:
                parameter = _sub(info, "parameter")
                _sub(parameter, "valueName", f"ETA {zone['pcode']}")
                _sub(parameter, "value", f"{zone['eta_min_s']:.0f}-{zone['eta_max_s']:.0f} s")
        for zone in alert["zones"]:
            area = _sub(info, "area")
            _sub(area, "areaDesc", f"{zone['name_' + suffix]} ({zone['pcode']})")
            _sub(area, "polygon", cap_polygon(zone["polygon"]))
            geocode = _sub(area, "geocode")
            _sub(geocode, "valueName", GEOCODE_NAME)
            _sub(geocode, "value", zone["pcode"])
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return body


def to_atom(alerts: list[dict[str, Any]], base_url: str, updated: str, title: str) -> bytes:
    """An Atom feed of alerts, each entry linking its CAP document (the usual CAP feed form)."""
    ET.register_namespace("", ATOM)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            element.text = text
        return element

    feed = ET.Element(f"{{{ATOM}}}feed")
    sub(feed, "id", f"{base_url}/api/v1/alerts.atom")
    sub(feed, "title", title)
    sub(feed, "updated", cap_time(updated))
    sub(feed, "link", rel="self", href=f"{base_url}/api/v1/alerts.atom")
    for alert in alerts:
        entry = sub(feed, "entry")
        sub(entry, "id", f"{base_url}/api/v1/alerts/{alert['alert_id']}.cap")
        sub(entry, "title", alert["headline_en"])
        sub(entry, "updated", cap_time(alert["sent"]))
        sub(entry, "summary", alert["headline_ar"])
        sub(
            entry,
            "link",
            rel="alternate",
            type="application/cap+xml",
            href=f"{base_url}/api/v1/alerts/{alert['alert_id']}.cap",
        )
        author = sub(entry, "author")
        sub(author, "name", "hanano")
    body: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return body


# --- foreign feeds ------------------------------------------------------------------------


class ForeignCapError(ValueError):
    """A document that cannot be read as CAP, or that tried something dangerous."""


@dataclass
class ForeignArea:
    desc: str | None
    polygons: list[list[tuple[float, float]]] = field(default_factory=list)  # (lat, lon)
    circles: list[tuple[float, float, float]] = field(default_factory=list)  # lat, lon, km
    geocodes: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class ForeignAlert:
    version: str
    identifier: str
    sender: str
    sent: str | None
    msg_type: str
    status: str | None
    references: str | None
    urgency: str | None = None
    severity: str | None = None
    certainty: str | None = None
    event: str | None = None
    headline: str | None = None
    expires: str | None = None
    areas: list[ForeignArea] = field(default_factory=list)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element: Any, name: str) -> list[Any]:
    return [c for c in element if _local(c.tag) == name]


def _text(element: Any, name: str) -> str | None:
    for child in element:
        if _local(child.tag) == name and child.text is not None:
            value: str = child.text.strip()
            return value or None
    return None


def _pairs(text: str) -> list[tuple[float, float]]:
    points = []
    for pair in text.replace("\n", " ").split():
        lat_text, _, lon_text = pair.partition(",")
        try:
            points.append((float(lat_text), float(lon_text)))
        except ValueError:
            continue
    return points


def parse_foreign(document: bytes) -> list[ForeignAlert]:
    """Read a CAP 1.1 or 1.2 alert, or an Atom/RSS-free list of them, leniently.

    Namespaces are matched by local name so 1.1, 1.2 and namespace-less documents all read; a
    missing or malformed element is skipped rather than fatal. DTDs with entity declarations and
    external references are refused: a document that tries one is rejected whole.
    """
    try:
        root = SafeET.fromstring(document, forbid_dtd=False, forbid_entities=True)
    except DefusedXmlException as exc:
        raise ForeignCapError(f"refused: the document declares entities ({exc})") from exc
    except SafeET.ParseError as exc:
        raise ForeignCapError(f"not XML: {exc}") from exc
    candidates = [root] if _local(root.tag) == "alert" else list(root.iter())
    found = [_alert(e, root) for e in candidates if _local(e.tag) == "alert"]
    if not found:
        raise ForeignCapError("no CAP <alert> element in the document")
    return found


def _alert(element: Any, root: Any) -> ForeignAlert:
    namespace = element.tag[1:].split("}", 1)[0] if element.tag.startswith("{") else ""
    version = {CAP12: "1.2", CAP11: "1.1"}.get(namespace, "unknown")
    alert = ForeignAlert(
        version=version,
        identifier=_text(element, "identifier") or "",
        sender=_text(element, "sender") or "",
        sent=_text(element, "sent"),
        msg_type=_text(element, "msgType") or "Alert",
        status=_text(element, "status"),
        references=_text(element, "references"),
    )
    if not alert.identifier or not alert.sender:
        raise ForeignCapError("a CAP alert needs its identifier and sender")
    for info in _children(element, "info"):
        alert.urgency = alert.urgency or _text(info, "urgency")
        alert.severity = alert.severity or _text(info, "severity")
        alert.certainty = alert.certainty or _text(info, "certainty")
        alert.event = alert.event or _text(info, "event")
        alert.headline = alert.headline or _text(info, "headline")
        alert.expires = alert.expires or _text(info, "expires")
        for area in _children(info, "area"):
            parsed = ForeignArea(_text(area, "areaDesc"))
            for polygon in _children(area, "polygon"):
                points = _pairs(polygon.text or "")
                if len(points) >= 3:
                    parsed.polygons.append(points)
            for circle in _children(area, "circle"):
                centre, _, radius = (circle.text or "").strip().partition(" ")
                pts = _pairs(centre)
                try:
                    if pts:
                        parsed.circles.append((pts[0][0], pts[0][1], float(radius)))
                except ValueError:
                    pass
            for geocode in _children(area, "geocode"):
                name, value = _text(geocode, "valueName"), _text(geocode, "value")
                if name and value:
                    parsed.geocodes.append((name, value))
            alert.areas.append(parsed)
    return alert
