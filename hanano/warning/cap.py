"""CAP 1.2 (OASIS Common Alerting Protocol): what hanano emits, strictly valid against the
official schema; and a lenient reader of other agencies' CAP 1.1 and 1.2 that never resolves
external entities.
"""

from __future__ import annotations

# The standard library builds our own documents; foreign ones are parsed only by defusedxml
# (and, to check their signatures, by lxml with entities and the network off).
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
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
            # A zone the city no longer knows (a re-import dropped it) keeps its P-code only.
            name = zone.get("name_" + suffix) or zone["pcode"]
            _sub(area, "areaDesc", f"{name} ({zone['pcode']})")
            if zone.get("polygon"):
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
    # Each <polygon> as its text: a national service's alert carries hundreds of outlines of
    # hundreds of points, six times smaller as text than as pairs of floats; they are read one
    # at a time when zones are matched.
    polygon_texts: list[str] = field(default_factory=list)
    circles: list[tuple[float, float, float]] = field(default_factory=list)  # lat, lon, km
    geocodes: list[tuple[str, str]] = field(default_factory=list)

    def iter_polygons(self) -> Iterator[list[tuple[float, float]]]:
        """Each polygon of at least three readable points, as (lat, lon) pairs."""
        for text in self.polygon_texts:
            points = _pairs(text)
            if len(points) >= 3:
                yield points

    @property
    def polygons(self) -> list[list[tuple[float, float]]]:
        return list(self.iter_polygons())


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
    # Each <info>'s headline by its language (CAP's default, en-US, when it names none): the
    # room shows the reader's, and says which language it shows when it has not the reader's.
    headlines: dict[str, str] = field(default_factory=dict)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


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
    """Read a CAP 1.1 or 1.2 alert, or a feed carrying several, leniently.

    Namespaces are matched by local name so 1.1, 1.2 and namespace-less documents all read; a
    missing or malformed element is skipped rather than fatal. A document with a DTD is refused
    whole, so no entity is ever declared, expanded or fetched. The document is read as a stream:
    each <area>, <info> and <alert> is taken out of the tree once read, so a document of
    megabytes never stands whole in memory as a tree.
    """
    reader = _AlertReader()
    try:
        for event, element in SafeET.iterparse(
            io.BytesIO(document), events=("start", "end"), forbid_dtd=True
        ):
            reader.feed(event, element)
    except DefusedXmlException as exc:
        raise ForeignCapError(
            f"refused: the document declares a DTD or entities ({type(exc).__name__})"
        ) from exc
    except SafeET.ParseError as exc:
        raise ForeignCapError(f"not XML: {exc}") from exc
    if not reader.alerts:
        raise ForeignCapError("no CAP <alert> element in the document")
    return reader.alerts


def xml_root_name(document: bytes) -> str:
    """The local name of a document's root element, read without parsing the rest; a DTD is
    refused as in `parse_foreign`."""
    try:
        for _, element in SafeET.iterparse(
            io.BytesIO(document), events=("start",), forbid_dtd=True
        ):
            return _local(element.tag)
    except DefusedXmlException as exc:
        raise ForeignCapError(
            f"refused: the document declares a DTD or entities ({type(exc).__name__})"
        ) from exc
    except SafeET.ParseError as exc:
        raise ForeignCapError(f"not XML: {exc}") from exc
    raise ForeignCapError("not XML: no element")


@dataclass
class _Info:
    fields: dict[str, str | None]
    areas: list[ForeignArea]


_INFO_FIELDS = ("urgency", "severity", "certainty", "event", "headline", "expires", "language")
# A language tag as CAP gives it (RFC 3066); a headline as long as a screen line may show. A
# feed's document is foreign text: at most this many languages are kept.
_LANGUAGE = re.compile(r"^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8}){0,3}$")
MAX_HEADLINE = 300
MAX_LANGUAGES = 8


class _AlertReader:
    """Turns the start and end events of a streamed document into alerts, dropping each part of
    the tree as soon as it is read."""

    def __init__(self) -> None:
        self.alerts: list[ForeignAlert] = []
        self._open: list[Any] = []  # the elements from the root to the one being read
        self._areas: dict[int, list[ForeignArea]] = {}  # by id() of their open <info>
        self._infos: dict[int, list[_Info]] = {}  # by id() of their open <alert>

    def feed(self, event: str, element: Any) -> None:
        if event == "start":
            self._open.append(element)
            return
        self._open.pop()
        parent = self._open[-1] if self._open else None
        name = _local(element.tag)
        parent_name = _local(parent.tag) if parent is not None else ""
        if name == "area" and parent_name == "info":
            self._areas.setdefault(id(parent), []).append(_area(element))
        elif name == "info" and parent_name == "alert":
            fields = {f: _text(element, f) for f in _INFO_FIELDS}
            info = _Info(fields, self._areas.pop(id(element), []))
            self._infos.setdefault(id(parent), []).append(info)
        elif name == "alert":
            self.alerts.append(_alert(element, self._infos.pop(id(element), [])))
        else:
            return
        if parent is not None:
            parent.remove(element)
        element.clear()


def _keep_headline(headlines: dict[str, str], language: str | None, headline: str | None) -> None:
    if not headline or not headline.strip() or len(headlines) >= MAX_LANGUAGES:
        return
    tag = (language or "").strip() or "en-US"
    if _LANGUAGE.match(tag):
        headlines.setdefault(tag, " ".join(headline.split())[:MAX_HEADLINE])


def _area(element: Any) -> ForeignArea:
    parsed = ForeignArea(_text(element, "areaDesc"))
    for child in element:
        name = _local(child.tag)
        if name == "polygon" and child.text:
            parsed.polygon_texts.append(child.text)
        elif name == "circle":
            circle = _circle(child.text or "")
            if circle is not None:
                parsed.circles.append(circle)
        elif name == "geocode":
            key, value = _text(child, "valueName"), _text(child, "value")
            if key and value:
                parsed.geocodes.append((key, value))
    return parsed


def _circle(text: str) -> tuple[float, float, float] | None:
    centre, _, radius = text.strip().partition(" ")
    points = _pairs(centre)
    try:
        return (points[0][0], points[0][1], float(radius)) if points else None
    except ValueError:
        return None


def _alert(element: Any, infos: list[_Info]) -> ForeignAlert:
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
    for info in infos:
        # The first <info> that gives a field gives it (the usual one-language-per-info form).
        alert.urgency = alert.urgency or info.fields["urgency"]
        alert.severity = alert.severity or info.fields["severity"]
        alert.certainty = alert.certainty or info.fields["certainty"]
        alert.event = alert.event or info.fields["event"]
        alert.headline = alert.headline or info.fields["headline"]
        alert.expires = alert.expires or info.fields["expires"]
        _keep_headline(alert.headlines, info.fields["language"], info.fields["headline"])
        alert.areas.extend(info.areas)
    return alert
