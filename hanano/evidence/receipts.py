"""Receipts: offline-checkable proof that an event is in the log (C2SP tlog-proof).

The proof's `extra` line carries what is needed to recompute the leaf: the event's canonical
entry and, optionally, disclosed sensitive fields (their salt and value), as base64 of a JSON
object {"entry": str, "disclosures": {field: {"salt": base64, "value": any}}}. A checker needs
nothing but the receipt and the log's verifier key.
"""

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, select

from hanano.access.tokens import Principal
from hanano.access.visibility import entry_withheld, withheld
from hanano.errors import FieldError, Problem, invalid, not_found
from hanano.evidence import merkle, note
from hanano.evidence.cosign import (
    parse_cosignature_line,
    parse_witness_key,
    signature_lines,
    verify_cosignature,
)
from hanano.evidence.log import checkpoint_at, inclusion, latest_checkpoint, parse_checkpoint
from hanano.evidence.tables import cosignatures
from hanano.evidence.witness import with_cosignatures
from hanano.store import schema
from hanano.store.log import verify_disclosure

HEADER = "c2sp.org/tlog-proof@v1"


class ReceiptError(ValueError):
    """The receipt is malformed or does not prove what it claims."""


@dataclass(frozen=True)
class CheckedReceipt:
    index: int
    tree_size: int
    origin: str
    entry: dict[str, Any]
    disclosed: dict[str, Any] = field(default_factory=dict)
    cosigned_by: dict[str, int] = field(default_factory=dict)
    """Witness key name -> the time (Unix seconds) it cosigned the receipt's checkpoint."""


def make_receipt(
    conn: Connection,
    seq: int,
    who: Principal,
    disclose: tuple[str, ...] = (),
    *,
    cosigned: bool = False,
) -> str:
    """A receipt for event `seq` against the latest checkpoint, with its cosignatures; with
    `cosigned`, against the latest checkpoint that covers the event and a witness cosigned.

    The visibility rule decides as for the log's entries: `who` gets a receipt only for an entry
    they may read as it stands, and may disclose only fields their role reads."""
    row = conn.execute(select(schema.events).where(schema.events.c.seq == seq)).first()
    if row is None:
        raise not_found(f"event {seq}")
    document = json.loads(bytes(row.canonical))
    refused = entry_withheld(document, who)
    if refused is not None:
        raise Problem(403, "Forbidden", f"event {seq}: {refused}")
    _check_disclosable(document, disclose, who)
    checkpoint_note = with_cosignatures(conn, _checkpoint_for(conn, seq, cosigned))
    size = parse_checkpoint(checkpoint_note.split("\n\n", 1)[0] + "\n").size
    disclosures = _disclosures(conn, seq, disclose)
    extra = {"entry": bytes(row.canonical).decode(), "disclosures": disclosures}
    proof = inclusion(conn, seq - 1, size)
    lines = [
        HEADER,
        "extra " + base64.b64encode(json.dumps(extra, ensure_ascii=False).encode()).decode(),
        f"index {seq - 1}",
        *(base64.b64encode(p).decode() for p in proof),
        "",
    ]
    return "\n".join(lines) + "\n" + checkpoint_note


def _checkpoint_for(conn: Connection, seq: int, cosigned: bool) -> str:
    """The latest checkpoint, or with `cosigned` the latest a witness cosigned that covers `seq`."""
    if not cosigned:
        return latest_checkpoint(conn)
    size_found = conn.execute(
        select(func.max(cosignatures.c.size)).where(cosignatures.c.size >= seq)
    ).scalar()
    if size_found is None:
        raise not_found(f"checkpoint covering event {seq} that a witness cosigned")
    return checkpoint_at(conn, int(size_found))


def _disclosures(conn: Connection, seq: int, disclose: tuple[str, ...]) -> dict[str, Any]:
    """The salt and value of each sealed field to disclose, which opens its commitment."""
    disclosures: dict[str, Any] = {}
    for name in disclose:
        sealed = conn.execute(
            select(schema.sealed_fields).where(
                schema.sealed_fields.c.seq == seq, schema.sealed_fields.c.field == name
            )
        ).first()
        if sealed is None:
            raise invalid("field", f"event {seq} has no sealed field {name!r}")
        if sealed.salt is None:
            raise invalid("field", f"field {name!r} of event {seq} was erased")
        disclosures[name] = {
            "salt": base64.b64encode(bytes(sealed.salt)).decode(),
            "value": json.loads(sealed.value),
        }
    return disclosures


def _check_disclosable(document: dict[str, Any], disclose: tuple[str, ...], who: Principal) -> None:
    hidden = withheld(str(document.get("type")), who.role)
    for name in disclose:
        if name in hidden:
            raise Problem(
                403,
                "Forbidden",
                f"field {name!r} of {document.get('type')} is not disclosed to the {who.role} role",
                [FieldError("disclose", f"{name} may not be disclosed")],
            )


def check_receipt(text: str, verifier_key: str, witness_keys: Sequence[str] = ()) -> CheckedReceipt:
    """Verify a receipt offline; raises ReceiptError saying what does not hold.

    Each of `witness_keys` (cosigner keys, C2SP tlog-cosignature) must have cosigned the
    receipt's checkpoint."""
    head, sep, checkpoint_note = text.partition("\n\n")
    if not sep:
        raise ReceiptError("no blank line between the proof and the checkpoint")
    lines = head.split("\n")
    if not lines or lines[0] != HEADER:
        raise ReceiptError(f"first line must be {HEADER}")
    rest = lines[1:]
    if not rest or not rest[0].startswith("extra "):
        raise ReceiptError("this receipt carries no entry (extra line)")
    bundle = _decode_extra(rest[0][6:])
    if len(rest) < 2 or not rest[1].startswith("index "):
        raise ReceiptError("missing index line")
    index_text = rest[1][6:]
    if not index_text.isdigit() or (index_text.startswith("0") and index_text != "0"):
        raise ReceiptError(f"bad index {index_text!r}")
    index = int(index_text)
    proof = [_b64(line, "proof hash") for line in rest[2:]]
    try:
        body = note.open_note(checkpoint_note, [verifier_key])
    except note.NoteError as exc:
        raise ReceiptError(f"checkpoint signature does not verify with this key: {exc}") from exc
    try:
        checkpoint = parse_checkpoint(body)
    except ValueError as exc:
        raise ReceiptError(f"bad checkpoint: {exc}") from exc
    entry_text = bundle.get("entry")
    if not isinstance(entry_text, str):
        raise ReceiptError("extra data has no entry")
    entry_bytes = entry_text.encode()
    if not merkle.verify_inclusion(
        merkle.leaf_hash(entry_bytes), index, checkpoint.size, proof, checkpoint.root
    ):
        raise ReceiptError("the entry is not included at that index in the signed tree")
    entry = json.loads(entry_bytes)
    if entry.get("seq") != index + 1:
        raise ReceiptError("the entry's sequence number does not match its index")
    disclosed = _check_disclosures(entry, bundle.get("disclosures") or {})
    cosigned_by = _check_cosignatures(body, checkpoint_note, witness_keys)
    return CheckedReceipt(index, checkpoint.size, checkpoint.origin, entry, disclosed, cosigned_by)


def _check_cosignatures(body: str, signed: str, witness_keys: Sequence[str]) -> dict[str, int]:
    cosigned_by: dict[str, int] = {}
    lines = [parse_cosignature_line(line) for line in signature_lines(signed)[1]]
    for text in witness_keys:
        try:
            key = parse_witness_key(text)
        except ValueError as exc:
            raise ReceiptError(f"malformed witness key: {exc}") from exc
        valid = [c for c in lines if c is not None and verify_cosignature(body, c, key)]
        if not valid:
            raise ReceiptError(f"the checkpoint carries no valid cosignature by {key.name}")
        cosigned_by[key.name] = max(c.timestamp for c in valid)
    return cosigned_by


def _decode_extra(text: str) -> dict[str, Any]:
    try:
        value = json.loads(_b64(text, "extra data"))
    except json.JSONDecodeError as exc:
        raise ReceiptError("extra data is not JSON") from exc
    if not isinstance(value, dict):
        raise ReceiptError("extra data is not an object")
    return value


def _check_disclosures(entry: dict[str, Any], disclosures: dict[str, Any]) -> dict[str, Any]:
    opened: dict[str, Any] = {}
    for name, item in disclosures.items():
        committed = entry.get("data", {}).get(name)
        if not isinstance(committed, str) or not isinstance(item, dict):
            raise ReceiptError(f"disclosed field {name!r} is not committed in the entry")
        salt = _b64(str(item.get("salt", "")), f"salt of {name}")
        if not verify_disclosure(committed, salt, item.get("value")):
            raise ReceiptError(f"disclosed value of {name!r} does not match its commitment")
        opened[name] = item.get("value")
    return opened


def _b64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except ValueError as exc:
        raise ReceiptError(f"{what} is not base64") from exc
