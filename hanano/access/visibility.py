"""The visibility rule, applied: what a caller may read of an event.

Each event type declares its `Audience` (hanano.events): the roles that read it, the roles that
read it only when they are its actor, and the fields only some roles read. Everything that hands
events out — the live stream, the log's entries, receipts, the routes that gate on an event's
readers — asks here, so the rule is written once per event type and enforced in one place.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from hanano.access.tokens import Principal
from hanano.events import EVENT_TYPES, Audience, Event, Role
from hanano.store.log import COMMITMENT_PREFIX
from hanano.store.records import RecordedEvent

SEALED = "[sealed]"


def audience_of(event_type: str) -> Audience | None:
    """The type's audience; None for a type this build does not know (read by nobody)."""
    cls = EVENT_TYPES.get(event_type)
    return None if cls is None else cls.audience


def reads(who: Principal, event_type: str, actor: str) -> bool:
    """Whether `who` may read an event of this type written by `actor`."""
    rule = audience_of(event_type)
    if rule is None:
        return False
    return who.role in rule.roles or (who.role in rule.own and actor == who.actor)


def withheld(event_type: str, role: Role) -> frozenset[str]:
    """The fields of an event of this type that `role` may not read."""
    rule = audience_of(event_type)
    if rule is None:
        return frozenset()
    return frozenset(name for name, readers in rule.fields.items() if role not in readers)


def reads_entries_as_hashed(who: Principal) -> bool:
    """Whether `who` is served the log's entries exactly as hashed (tlog-tiles entry bundles),
    every event of every type: a mirror alone, which must hold the entries to check them against
    the tree. Sealed fields stay salted commitments there; the rest is in the clear."""
    return who.role == "mirror"


def copies_media_originals(who: Principal) -> bool:
    """Whether `who` is served media originals by their logged hash, to keep beside the log:
    a mirror alone, which holds the hashes already in its entries. Roles that look at the files
    download them with a logged reason (`/api/v1/media`), never by this way."""
    return who.role == "mirror"


def receives_sealed_values(who: Principal) -> bool:
    """Whether `who` is served the plaintext of sealed fields (names, positions), and then only
    encrypted to the public key registered with its token: a mirror alone, so that a mirror
    abroad can show what the primary shows without anyone on the way reading it."""
    return who.role == "mirror"


def reads_primary_address(who: Principal) -> bool:
    """Whether `who` is told, on a mirror, the address of the primary it follows: not the
    public role, whose tokens are handed out widely; the others write to the primary anyway."""
    return who.role != "public"


def event_view(event: RecordedEvent, who: Principal) -> dict[str, Any] | None:
    """The event as `who` may read it live, or None: withheld fields are left out, and sealed
    fields stay sealed whoever reads (their plaintext is served by the routes that need it)."""
    if not reads(who, event.type, event.actor):
        return None
    cls = EVENT_TYPES[event.type]
    hidden = withheld(event.type, who.role)
    data = {
        name: SEALED if name in cls.sensitive else value
        for name, value in event.data.items()
        if name not in hidden
    }
    return {
        "seq": event.seq,
        "time": event.time,
        "actor": event.actor,
        "type": event.type,
        "data": data,
    }


def entry_view(seq: int, canonical: bytes, leaf_hash: bytes, who: Principal) -> dict[str, Any]:
    """A log entry as `who` may read it: the entry exactly as hashed when it shows nothing the
    rule withholds from them (a withheld field present only as a salted commitment reveals
    nothing), otherwise only its place and leaf hash, which still let the tree be checked."""
    document = json.loads(canonical)
    shown: dict[str, Any] = {"seq": seq, "leaf_hash": leaf_hash.hex()}
    reason = entry_withheld(document, who)
    if reason is None:
        shown["entry"] = canonical.decode()
    else:
        shown["entry"] = None
        shown["withheld"] = reason
    return shown


def entry_withheld(document: dict[str, Any], who: Principal) -> str | None:
    """Why `who` may not read this leaf document as it stands, or None if they may."""
    event_type = str(document.get("type"))
    if not reads(who, event_type, str(document.get("actor"))):
        return f"the {who.role} role does not read {event_type} events"
    data = document.get("data") or {}
    exposed = sorted(
        name
        for name in withheld(event_type, who.role)
        if data.get(name) is not None and not _is_commitment(data[name])
    )
    if exposed:
        names = ", ".join(exposed)
        return f"the entry holds {names} in the clear, which the {who.role} role does not read"
    return None


def _is_commitment(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(COMMITMENT_PREFIX)


def readers(*classes: type[Event]) -> tuple[Role, ...]:
    """The roles that read every event of all these types: the gate of a route that shows them."""
    found: set[Role] | None = None
    for cls in classes:
        rule = cls.audience
        roles = set(rule.roles) if rule is not None else set()
        found = roles if found is None else found & roles
    return tuple(sorted(found or ()))


def field_readers(cls: type[Event], names: Iterable[str]) -> tuple[Role, ...]:
    """The roles that read all these fields of an event type."""
    rule = cls.audience
    if rule is None:
        return ()
    found = set(rule.roles)
    for name in names:
        found &= rule.field_readers(name)
    return tuple(sorted(found))
