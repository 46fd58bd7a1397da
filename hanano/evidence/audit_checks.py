"""What `hanano log verify` checks beyond the tree: the columns that copy a leaf, and sealed
plaintext against its commitment.

The `events` columns time, actor, type and version are copies of the leaf kept for queries. The
leaf is RFC 8785 JSON with sorted keys, {"actor":…,"data":…,"seq":…,"time":…,"type":…,"v":…}, so
the columns match it when the leaf starts with the actor and ends with seq, time, type and
version: a comparison of bytes, without parsing each event.
"""

import json
from collections.abc import Sequence
from typing import Any

from hanano.events import EVENT_TYPES
from hanano.store.sealed import SealedMismatch, committed_without_row, open_sealed

_REDACTED = "evidence.field_redacted"


class ColumnCheck:
    """The bytes an event's leaf must start and end with if its columns copy it.

    A column value without a quote or backslash is compared as it stands between quotes: if those
    bytes stand in the leaf at their place, the leaf's string holds no escape either and so equals
    the column. A value with a quote or backslash, or one the leaf escapes (a control character),
    does not compare equal and goes to `column_differences`, which decides exactly. The parts
    that repeat (actor, type and version) are cached in `known`: a log has few of each.
    """

    def __init__(self) -> None:
        self.known: dict[tuple[object, object, object], tuple[bytes, bytes] | None] = {}

    def parts(self, actor: object, etype: object, version: object) -> tuple[bytes, bytes] | None:
        """(what the leaf starts with, what it ends with after its time), or None if the fast
        comparison cannot be made."""
        head = _quoted(actor, b'{"actor":"', b'","data":')
        tail = (
            None
            if type(version) is not int
            else _quoted(etype, b'","type":"', b'","v":%d}' % version)
        )
        found = None if head is None or tail is None else (head, tail)
        self.known[actor, etype, version] = found
        return found


def _quoted(value: object, before: bytes, after: bytes) -> bytes | None:
    if type(value) is not str or '"' in value or "\\" in value:
        return None
    try:
        return before + value.encode() + after
    except UnicodeEncodeError:
        return None


def column_differences(
    canonical: bytes, seq: int, time: object, actor: object, etype: object, version: object
) -> list[str]:
    """Each column that says something else than the leaf, named with both values (none when
    the fast comparison only could not tell)."""
    try:
        document = json.loads(canonical)
        leaf = {k: document[k] for k in ("time", "actor", "type", "v")}
    except (ValueError, KeyError, TypeError):
        return [f"event {seq}: its entry is not a log entry, so its columns cannot match it"]
    columns = {"time": time, "actor": actor, "type": etype, "v": version}
    return [
        f"event {seq}: its {'version' if name == 'v' else name} column says {value!r} but its "
        f"leaf says {leaf[name]!r}"
        for name, value in columns.items()
        if type(value) is not type(leaf[name]) or value != leaf[name]
    ]


def by_event(rows: Sequence[Any]) -> dict[int, dict[str, tuple[Any, Any]]]:
    """Sealed rows (seq, field, salt, value) as {seq: {field: (salt, value)}}."""
    found: dict[int, dict[str, tuple[Any, Any]]] = {}
    for seq, name, salt, value in rows:
        found.setdefault(seq, {})[name] = (salt, value)
    return found


class SealedCheck:
    """Sealed rows against their leaves' commitments; erasures against the redactions logged."""

    def __init__(self) -> None:
        # Every domain's event types are registered by then (the service or CLI loaded them).
        # Types whose events commit to sealed fields, and redactions (which vouch for erasures).
        self.watch = frozenset(t for t, cls in EVENT_TYPES.items() if cls.sensitive) | {_REDACTED}
        self._erased: list[tuple[int, str]] = []
        self._redacted: set[tuple[object, object]] = set()

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
