"""Photos and videos as evidence: what was stored, by whom, and every hand it passed through.

An upload is stored content-addressed (see `hanano.evidence.blobs`) and logged as
`evidence.media_added`: the file's SHA-256, size and type (read from its bytes, never taken from
the client), the capture time and place as the device claims them (the place is sensitive, so it
enters the log as a salted commitment), the key id of the device that signed the file's hash when
it did, and the uploader as the event's actor. Every later access, copy and export is an event
too, so the chain of custody is read from the tamper-evident log itself.

Device keys are C2SP verifier keys (`name+keyid+base64(0x01 || public key)`), registered by an
admin; a device signs the raw 32-byte SHA-256 of the file with Ed25519 (a detached signature).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import (
    BigInteger,
    Connection,
    Integer,
    select,
)

from hanano.clock import isoformat
from hanano.errors import Problem, conflict, invalid, not_found
from hanano.evidence import note
from hanano.evidence.events import (
    DeviceKeyRegistered,
    MediaAccessed,
    MediaAdded,
    MediaCopied,
    MediaExported,
    Place,
)
from hanano.evidence.handlers import HANDLERS
from hanano.evidence.tables import media_custody, media_device_keys, media_items
from hanano.intake import tables as intake_tables
from hanano.settings import Settings
from hanano.store import schema
from hanano.store.log import leaf_hash
from hanano.store.records import RecordedEvent
from hanano.store.sequencer import Tx
from hanano.timestamps import parse_timestamp, require_observed

_BIG = BigInteger().with_variant(Integer, "sqlite")

# --- tables (projections, rebuilt from the log) --------------------------------------------


MEDIA_TABLES = (media_items, media_custody, media_device_keys)


# --- events ---------------------------------------------------------------------------------


CUSTODY_TYPES: dict[str, str] = {
    MediaAdded.type: "added",
    MediaAccessed.type: "accessed",
    MediaCopied.type: "copied",
    MediaExported.type: "exported",
}


# --- what the device claims ------------------------------------------------------------------


@dataclass(frozen=True)
class Claims:
    """Capture time and place as the device states them, and its signature over the hash."""

    captured_at: str | None = None
    lat: float | None = None
    lon: float | None = None
    device_key_id: str | None = None
    signature: str | None = None


def check_claims(claims: Claims, now: datetime, settings: Settings) -> Claims:
    """Refuse claims that are malformed; the capture time is kept in UTC, in the store's one
    spelling of a time."""
    if claims.captured_at is not None:
        try:
            when = parse_timestamp(claims.captured_at)
        except ValueError as exc:
            raise invalid("captured_at", str(exc)) from None
        require_observed("captured_at", when, now, settings)
        claims = replace(claims, captured_at=isoformat(when))
    if (claims.lat is None) != (claims.lon is None):
        raise invalid("lon" if claims.lon is None else "lat", "lat and lon must be given together")
    if claims.lat is not None and not -90 <= claims.lat <= 90:
        raise invalid("lat", "must be between -90 and 90")
    if claims.lon is not None and not -180 <= claims.lon <= 180:
        raise invalid("lon", "must be between -180 and 180")
    if (claims.device_key_id is None) != (claims.signature is None):
        raise invalid(
            "signature", "a signature and the device key that made it must be given together"
        )
    return claims


def decode_signature(text: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise invalid("signature", "must be base64") from None
    if len(raw) != 64:
        raise invalid("signature", "an Ed25519 signature is 64 bytes")
    return raw


def parse_device_key(verifier_key: str) -> tuple[str, bytes]:
    """The id (name+keyid) and Ed25519 public key of a device's verifier key; ValueError if bad."""
    parsed = note._parse_verifier_key(verifier_key.strip())
    return f"{parsed.name}+{parsed.key_id:08x}", parsed.public_key


def verify_device_signature(verifier_key: str, sha256_hex: str, signature: bytes) -> bool:
    """Check a detached Ed25519 signature over the raw 32-byte SHA-256 of a file."""
    try:
        _, public_key = parse_device_key(verifier_key)
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, bytes.fromhex(sha256_hex))
    except (InvalidSignature, ValueError):
        return False
    return True


def sign_digest(signer_key: str, sha256_hex: str) -> str:
    """A device's detached signature over a file's SHA-256, base64 (for tools and tests)."""
    seed = base64.b64decode(signer_key.split("+", 4)[4])[1:]
    private = Ed25519PrivateKey.from_private_bytes(seed)
    return base64.b64encode(private.sign(bytes.fromhex(sha256_hex))).decode()


# --- commands --------------------------------------------------------------------------------


def register_device_key(tx: Tx, actor: str, verifier_key: str) -> str:
    verifier_key = verifier_key.strip()
    try:
        key_id, _ = parse_device_key(verifier_key)
    except ValueError as exc:
        raise invalid("verifier_key", f"not a C2SP verifier key: {exc}") from None
    exists = tx.conn.execute(
        select(media_device_keys.c.key_id).where(media_device_keys.c.key_id == key_id)
    ).first()
    if exists is not None:
        raise conflict(f"device key {key_id} is already registered")
    tx.append(actor, DeviceKeyRegistered(key_id=key_id, verifier_key=verifier_key))
    return key_id


def device_key(conn: Connection, key_id: str) -> str:
    row = conn.execute(
        select(media_device_keys.c.verifier_key).where(media_device_keys.c.key_id == key_id)
    ).first()
    if row is None:
        raise invalid("device_key", f"no registered device key {key_id!r}")
    return str(row.verifier_key)


def check_signature(conn: Connection, claims: Claims, sha256_hex: str) -> None:
    """A file that claims a device signature must carry one that verifies; otherwise refuse."""
    if claims.device_key_id is None or claims.signature is None:
        return
    verifier = device_key(conn, claims.device_key_id)
    if not verify_device_signature(verifier, sha256_hex, decode_signature(claims.signature)):
        raise invalid(
            "signature", f"does not verify with device key {claims.device_key_id} over the SHA-256"
        )


def require_incident(conn: Connection, incident_id: str) -> None:
    found = conn.execute(
        select(intake_tables.incidents.c.incident_id).where(
            intake_tables.incidents.c.incident_id == incident_id
        )
    ).first()
    if found is None:
        raise not_found(f"incident {incident_id}")


@dataclass(frozen=True)
class Added:
    seq: int
    sha256: str
    size: int
    media_type: str


def add_media(
    tx: Tx, actor: str, sha256: str, size: int, media_type: str, incident_id: str, claims: Claims
) -> Added:
    """Log a stored original. The same bytes logged before are a 409 naming the first event."""
    require_incident(tx.conn, incident_id)
    existing = tx.conn.execute(
        select(media_items.c.seq).where(media_items.c.sha256 == sha256)
    ).first()
    if existing is not None:
        raise Problem(
            409, "Conflict", f"this file ({sha256}) is already in the log as event {existing.seq}"
        )
    check_signature(tx.conn, claims, sha256)
    place = None if claims.lat is None else Place(lat=claims.lat, lon=claims.lon)
    recorded = tx.append(
        actor,
        MediaAdded(
            sha256=sha256,
            size=size,
            media_type=media_type,
            incident_id=incident_id,
            captured_at=claims.captured_at,
            place=place,
            device_key_id=claims.device_key_id,
            signature=claims.signature,
        ),
    )
    return Added(recorded.seq, sha256, size, media_type)


def media_item(conn: Connection, sha256: str) -> Any:
    row = conn.execute(select(media_items).where(media_items.c.sha256 == sha256)).first()
    if row is None:
        raise not_found(f"media {sha256}")
    return row


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise invalid("reason", "say why: every access to evidence is on the record")
    return reason


def log_access(tx: Tx, actor: str, sha256: str, reason: str, via: Literal["api", "cli"]) -> int:
    media_item(tx.conn, sha256)
    return tx.append(actor, MediaAccessed(sha256=sha256, reason=_reason(reason), via=via)).seq


def log_copy(
    tx: Tx,
    actor: str,
    sha256: str,
    copy_sha256: str,
    copy_size: int,
    derivation: Literal["exact", "derived"],
    path: str,
    reason: str,
) -> int:
    media_item(tx.conn, sha256)
    event = MediaCopied(
        sha256=sha256,
        copy_sha256=copy_sha256,
        copy_size=copy_size,
        derivation=derivation,
        path=path,
        reason=_reason(reason),
    )
    return tx.append(actor, event).seq


def log_export(
    tx: Tx, actor: str, sha256: str, destination: str, recipient: str | None, reason: str
) -> int:
    media_item(tx.conn, sha256)
    event = MediaExported(
        sha256=sha256, destination=destination, recipient=recipient, reason=_reason(reason)
    )
    return tx.append(actor, event).seq


# --- chain of custody, read back from the log -----------------------------------------------


def custody(conn: Connection, sha256: str) -> list[dict[str, Any]]:
    """Every logged event about one file, oldest first, as the log's own entries.

    The projection only says which events to read; each entry is the event's canonical bytes
    from the log, checked against its leaf hash, so what is printed is what is provable.
    """
    seqs = list(
        conn.execute(
            select(media_custody.c.seq)
            .where(media_custody.c.sha256 == sha256)
            .order_by(media_custody.c.seq)
        ).scalars()
    )
    if not seqs:
        raise not_found(f"media {sha256}")
    rows = conn.execute(
        select(schema.events.c.seq, schema.events.c.canonical, schema.events.c.leaf_hash)
        .where(schema.events.c.seq.in_(seqs))
        .order_by(schema.events.c.seq)
    ).all()
    chain = []
    for row in rows:
        canonical = bytes(row.canonical)
        entry = json.loads(canonical)
        entry["action"] = CUSTODY_TYPES.get(entry["type"], entry["type"])
        entry["leaf_matches"] = leaf_hash(canonical) == bytes(row.leaf_hash)
        chain.append(entry)
    return chain


# --- projection --------------------------------------------------------------------------------


@HANDLERS.projects(DeviceKeyRegistered.type)
def _device_key_registered(conn: Connection, event: RecordedEvent) -> None:
    conn.execute(
        media_device_keys.insert().values(
            key_id=event.data["key_id"],
            verifier_key=event.data["verifier_key"],
            registered_by=event.actor,
            registered_at=event.time,
        )
    )


def _custody_row(conn: Connection, event: RecordedEvent) -> None:
    conn.execute(
        media_custody.insert().values(
            seq=event.seq,
            sha256=event.data["sha256"],
            action=CUSTODY_TYPES[event.type],
            actor=event.actor,
            time=event.time,
            reason=event.data.get("reason"),
        )
    )


@HANDLERS.projects(MediaAdded.type)
def _media_added(conn: Connection, event: RecordedEvent) -> None:
    data = event.data
    place = data.get("place") or {}
    conn.execute(
        media_items.insert().values(
            sha256=data["sha256"],
            seq=event.seq,
            incident_id=data["incident_id"],
            size=data["size"],
            media_type=data["media_type"],
            captured_at=data["captured_at"],
            lat=place.get("lat"),
            lon=place.get("lon"),
            device_key_id=data["device_key_id"],
            uploaded_by=event.actor,
            uploaded_at=event.time,
        )
    )
    _custody_row(conn, event)


HANDLERS.projects(MediaAccessed)(_custody_row)
HANDLERS.projects(MediaCopied)(_custody_row)
HANDLERS.projects(MediaExported)(_custody_row)
