"""What `hanano log verify` checks beyond the tree: the columns that copy a leaf, and sealed
plaintext against its commitment.

The `events` columns time, actor, type and version are copies of the leaf kept for queries. The
leaf is RFC 8785 JSON with sorted keys, {"actor":…,"data":…,"seq":…,"time":…,"type":…,"v":…}, so
the columns match it exactly when the leaf starts with the actor's encoding and ends with that of
seq, time, type and version: a comparison of bytes, without parsing each event.
"""

import json
from typing import Any

from sqlalchemy import Connection, select

from hanano.events import EVENT_TYPES
from hanano.store import schema
from hanano.store.sealed import SealedMismatch, committed_without_row, open_sealed

_sealed = schema.sealed_fields
_REDACTED = "evidence.field_redacted"


def _json_text(value: object) -> bytes | None:
    """RFC 8785's encoding of a string (Python's JSON encoder escapes exactly as it does)."""
    if type(value) is not str:
        return None
    # Times and names are printable ASCII with nothing to escape: quoted as they are.
    if value.isascii() and value.isprintable() and '"' not in value and "\\" not in value:
        return b'"' + value.encode() + b'"'
    try:
        return json.dumps(value, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        return None


class ColumnCheck:
    """Whether an event's columns copy its leaf; the encodings of actors and types are cached,
    as a log has few of each."""

    def __init__(self) -> None:
        self._heads: dict[object, bytes | None] = {}
        self._types: dict[object, bytes | None] = {}

    def match(
        self, canonical: bytes, seq: int, time: object, actor: object, etype: object, version: Any
    ) -> bool:
        head = self._heads.get(actor, b"")
        if head == b"":
            encoded = _json_text(actor)
            head = self._heads[actor] = None if encoded is None else b'{"actor":' + encoded
        kind = self._types.get(etype, b"")
        if kind == b"":
            kind = self._types[etype] = _json_text(etype)
        when = _json_text(time)
        if head is None or kind is None or when is None or type(version) is not int:
            return False
        tail = b',"seq":%d,"time":%b,"type":%b,"v":%d}' % (seq, when, kind, version)
        return canonical.endswith(tail) and canonical.startswith(head + b',"data":')


def column_differences(
    canonical: bytes, seq: int, time: object, actor: object, etype: object, version: object
) -> list[str]:
    """Each column that says something else than the leaf, named with both values."""
    try:
        document = json.loads(canonical)
        leaf = {k: document[k] for k in ("time", "actor", "type", "v")}
    except (ValueError, KeyError, TypeError):
        return [f"event {seq}: its entry is not a log entry, so its columns cannot match it"]
    columns = {"time": time, "actor": actor, "type": etype, "v": version}
    found = [
        f"event {seq}: its {'version' if name == 'v' else name} column says {value!r} but its "
        f"leaf says {leaf[name]!r}"
        for name, value in columns.items()
        if type(value) is not type(leaf[name]) or value != leaf[name]
    ]
    return found or [f"event {seq}: its columns do not copy its leaf"]


class SealedCheck:
    """Sealed rows against their leaves' commitments; erasures against the redactions logged."""

    def __init__(self) -> None:
        from hanano.domains import load_domains

        load_domains()
        # Types whose events commit to sealed fields, and redactions (which vouch for erasures).
        self.watch = frozenset(t for t, cls in EVENT_TYPES.items() if cls.sensitive) | {_REDACTED}
        self._erased: list[tuple[int, str]] = []
        self._redacted: set[tuple[object, object]] = set()

    def rows(
        self, conn: Connection, first: int, last: int
    ) -> dict[int, dict[str, tuple[Any, Any]]]:
        found: dict[int, dict[str, tuple[Any, Any]]] = {}
        query = select(_sealed.c.seq, _sealed.c.field, _sealed.c.salt, _sealed.c.value).where(
            _sealed.c.seq.between(first, last)
        )
        for seq, name, salt, value in conn.execute(query).all():
            found.setdefault(seq, {})[name] = (salt, value)
        return found

    def check(self, seq: int, canonical: bytes, fields: dict[str, tuple[Any, Any]]) -> list[str]:
        """Problems of one event whose leaf holds, with its sealed rows."""
        try:
            document = json.loads(canonical)
            data, etype = document["data"], document["type"]
            if not isinstance(data, dict):
                raise TypeError("data is not an object")
        except (ValueError, KeyError, TypeError):
            return [
                f"event {seq}: its entry is not a log entry, so its sealed fields are unchecked"
            ]
        if etype == _REDACTED:
            self._redacted.add((data.get("seq"), data.get("field")))
        problems = []
        for name, (salt, value) in fields.items():
            try:
                open_sealed(data.get(name), salt, value)
            except SealedMismatch as exc:
                problems.append(f"event {seq}: sealed field {name!r}: {exc}")
                continue
            if salt is None and value is None:
                self._erased.append((seq, name))
        problems.extend(
            f"event {seq}: sealed field {name!r}: its plaintext row is gone"
            for name in committed_without_row(etype, data, fields)
        )
        return problems

    def unrecorded_erasures(self) -> list[str]:
        """Erased fields that no `evidence.field_redacted` event in the log accounts for."""
        return [
            f"event {seq}: sealed field {name!r} was erased, but no {_REDACTED} event records it"
            for seq, name in self._erased
            if (seq, name) not in self._redacted
        ]
