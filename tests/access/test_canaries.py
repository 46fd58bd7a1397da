"""No role reads what the visibility rule withholds from it, on any route, the log or the stream.

Distinctive values are planted in every sensitive field of every event type (tests/access/
canaries.py). What each role may read is worked out from the rule itself (each event type's
audience), event by event and field by field; then every GET route of /openapi.json, the log's
entries and the live stream are read under each of the eight roles, and any planted value a role
may not read is a leak. The routes are walked from the OpenAPI document, so a new route is read
without editing this test; a new path parameter needs a value below, and the test says so.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from hanano.access.tokens import Principal
from hanano.access.visibility import reads, reads_entries_as_hashed
from hanano.clock import ManualClock
from hanano.events import EVENT_TYPES, ROLES, Role
from hanano.evidence.tiles import encode_index
from hanano.field.forms import FORM_ROLES
from hanano.service import Service
from hanano.store.records import RecordedEvent, read_events
from hanano.web.stream import Broadcaster, Subscriber
from tests.access.canaries import Points, city_text, needles, plant_people, plant_records
from tests.helpers import auth

OWN_TOKEN = "own-token"
STREAM = "/api/v1/stream"  # endless; read through the app's own broadcaster below


def guarded_fields(event_type: str) -> set[str]:
    cls = EVENT_TYPES[event_type]
    assert cls.audience is not None
    return set(cls.sensitive) | set(cls.audience.fields)


def readable(who: Principal, event: RecordedEvent, field: str) -> bool:
    cls = EVENT_TYPES.get(event.type)
    if cls is not None and reads_entries_as_hashed(who):
        # A mirror holds the entries as hashed: everything but the sealed fields' plaintext.
        return field not in cls.sensitive
    if cls is None or cls.audience is None or not reads(who, event.type, event.actor):
        return False
    return who.role in cls.audience.field_readers(field)


def needle_sources(events: list[RecordedEvent]) -> dict[str, list[tuple[RecordedEvent, str]]]:
    """Each planted value and the events and fields it stands in."""
    found: dict[str, list[tuple[RecordedEvent, str]]] = defaultdict(list)
    for event in events:
        for name, value in event.data.items():
            for needle in needles(value):
                found[needle].append((event, name))
            if name in guarded_fields(event.type) and isinstance(value, str) and len(value) >= 24:
                found[value].append((event, name))
    return found


def forbidden_for(
    who: Principal, sources: dict[str, list[tuple[RecordedEvent, str]]]
) -> dict[str, str]:
    """Planted values `who` may read nowhere, each with where it was planted."""
    out = {}
    for needle, places in sources.items():
        if not any(readable(who, event, name) for event, name in places):
            event, name = places[0]
            out[needle] = f"{event.type}.{name}"
    return out


def test_every_sensitive_field_has_a_planted_value(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> None:
    at = Points(city_text(client))
    team_id = plant_people(client, tokens, at)
    plant_records(client, tokens, clock, at, team_id)
    with aleppo.engine.connect() as conn:
        events = list(read_events(conn))
    planted: dict[str, set[str]] = defaultdict(set)
    for event in events:
        for name, value in event.data.items():
            if any(True for _ in needles(value)) or (isinstance(value, str) and len(value) >= 24):
                planted[event.type].add(name)
    missing = sorted(
        f"{event_type}.{name}"
        for event_type in EVENT_TYPES
        for name in guarded_fields(event_type)
        if name not in planted[event_type]
    )
    assert missing == [], "plant a value in these fields in tests/access/canaries.py"


def route_values(ids: dict[str, list[str]], seqs: list[int], size: int) -> dict[str, list[str]]:
    return {
        **ids,
        "seq": [str(s) for s in seqs],
        "worksite_id": ["C-6"],
        "level": ["0", "1"],
        "rest": tile_indexes(size),
        # OpenRosa addresses carry the token: each role reads them with its own.
        "token": [OWN_TOKEN],
        "form_file": [f"{form_id}.xml" for form_id in FORM_ROLES],
    }


def tile_indexes(size: int) -> list[str]:
    """Every level-0 tile (and entry bundle) of the tree, full and partial."""
    full = [encode_index(i) for i in range(size // 256)]
    partial = [f"{encode_index(size // 256)}.p/{size % 256}"] if size % 256 else []
    return full + partial


QUERY_VALUES: dict[tuple[str, str], str] = {
    ("/api/v1/roads/route", "from"): "36.2270,37.2026",
    ("/api/v1/roads/route", "to"): "36.2195,37.1898",
    ("/api/v1/log/proof/inclusion", "index"): "0",
    ("/api/v1/media/{sha256}", "reason"): "canary test",
}


def get_requests(client: TestClient, values: dict[str, list[str]], size: int) -> list[str]:
    """Every GET route of the OpenAPI document with its path and required query filled."""
    urls = []
    unknown = []
    for path, operations in client.get("/openapi.json").json()["paths"].items():
        operation = operations.get("get")
        if operation is None or path == STREAM:
            continue
        query = []
        for param in operation.get("parameters", []):
            if param["in"] == "query" and param.get("required"):
                key = (path, param["name"])
                if key in QUERY_VALUES:
                    query.append(f"{param['name']}={QUERY_VALUES[key]}")
                elif param["name"] in ("size", "to"):
                    query.append(f"{param['name']}={size}")
                elif param["name"] == "from":
                    query.append("from=1")
                else:
                    unknown.append(f"{path} ?{param['name']}")
        filled = [path]
        for param in operation.get("parameters", []):
            if param["in"] != "path":
                continue
            name = param["name"]
            if name not in values:
                unknown.append(f"{path} {{{name}}}")
                continue
            filled = [f.replace(f"{{{name}}}", v) for f in filled for v in values[name]]
        suffix = ("?" + "&".join(query)) if query else ""
        urls.extend(f + suffix for f in filled)
    assert unknown == [], "give these parameters a value in tests/access/test_canaries.py"
    return urls


def drain(sub: Subscriber) -> list[dict[str, Any]]:
    items = []
    while not sub.queue.empty():
        items.append(sub.queue.get_nowait())
    return items


def read_everything(
    client: TestClient, urls: list[str], tokens: dict[str, str], moment: str
) -> dict[Role, dict[str, str]]:
    """Every route's answer to every role, keyed by where it was read."""
    readings: dict[Role, dict[str, str]] = {}
    for role in ROLES:
        readings[role] = {}
        for url in [*urls, "/api/v1/events?limit=5000"]:
            response = client.get(url.replace(OWN_TOKEN, tokens[role]), headers=auth(tokens[role]))
            where = f"GET {url} {moment} -> {response.status_code}"
            readings[role][where] = response.content.decode("latin-1") + response.text
    return readings


def test_no_role_reads_a_planted_value_it_may_not(
    client: TestClient, tokens: dict[str, str], clock: ManualClock, aleppo: Service
) -> None:
    at = Points(city_text(client))
    team_id = plant_people(client, tokens, at)
    principals: dict[Role, Principal] = {}
    for role in ROLES:
        me = client.get("/api/v1/me", headers=auth(tokens[role])).json()
        principals[role] = Principal(me["token_id"], role, me["team"])
    broadcaster: Broadcaster = client.app.state.broadcaster  # type: ignore[attr-defined]

    def urls_now(ids: dict[str, list[str]]) -> list[str]:
        with aleppo.engine.connect() as conn:
            seqs = [e.seq for e in read_events(conn)]
        return get_requests(client, route_values(ids, seqs, len(seqs)), len(seqs))

    async def day() -> list[dict[Role, dict[str, str]]]:
        subs = {role: broadcaster.subscribe(who) for role, who in principals.items()}
        ids = await asyncio.to_thread(plant_records, client, tokens, clock, at, team_id)
        # Read while the aircraft are up and the rescue is under way, then once the incident
        # has become public by age and the tracks have ended.
        live = await asyncio.to_thread(read_everything, client, urls_now(ids), tokens, "live")
        clock.advance(timedelta(minutes=125))
        await asyncio.to_thread(aleppo.tick)
        await asyncio.to_thread(broadcaster.sweep)
        later = await asyncio.to_thread(read_everything, client, urls_now(ids), tokens, "later")
        await asyncio.sleep(0.2)
        streams: dict[Role, dict[str, str]] = {}
        for role, sub in subs.items():
            messages = drain(sub)
            streams[role] = {f"stream ({len(messages)} messages)": json.dumps(messages)}
        return [live, later, streams]

    readings = asyncio.run(day())
    with aleppo.engine.connect() as conn:
        sources = needle_sources(list(read_events(conn)))
    leaks = []
    for role, who in principals.items():
        forbidden = forbidden_for(who, sources)
        assert forbidden, f"nothing planted is withheld from {role}: the test would prove nothing"
        for moment in readings:
            for where, text in moment[role].items():
                leaks.extend(
                    f"{role} reads {planted_in} ({needle!r}) in {where}"
                    for needle, planted_in in forbidden.items()
                    if needle in text
                )
    assert not leaks, "\n".join(leaks)
