"""What a value from outside may hold, wherever it comes in: an HTTP body, a URL, the CLI, a file.

Text must carry no NUL (PostgreSQL cannot store it), no bidirectional override or isolate
(U+202A-U+202E, U+2066-U+2069: they make "Team 1-B" display as another team, or a reason read
backwards), no other control character (escape sequences, a bell or a bare carriage return
rewrite an operator's terminal when the text is printed; tabs, line feeds and CR LF are kept),
no invisible separator that makes two names look alike (U+200B, U+2060, U+FEFF) and no unpaired
surrogate (no encoding can store it). The marks Arabic text uses legitimately, U+200C, U+200D,
U+200E, U+200F and U+061C, are kept. Numbers must be finite.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any

from hanano.errors import FieldError, Problem

_UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b\u2060\ufeff"
    "\u202a-\u202e\u2066-\u2069\ud800-\udfff]|\r(?!\n)"
)


def text_fault(value: str) -> str | None:
    """Why the text is refused, or None when it is acceptable."""
    found = _UNSAFE.search(value)
    if found is None:
        return None
    char = found.group()
    if char == "\x00":
        return "contains a NUL character"
    if "\ud800" <= char <= "\udfff":
        return "contains an unpaired surrogate"
    if "\u202a" <= char <= "\u202e" or "\u2066" <= char <= "\u2069":
        return f"contains the bidirectional control character U+{ord(char):04X}"
    if char in "\u200b\u2060\ufeff":
        return f"contains the invisible character U+{ord(char):04X}"
    return f"contains the control character U+{ord(char):04X}"


def printable(text: str) -> str:
    """The text with every refused character written as an escape, safe to echo back."""
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _join(path: str, key: str | int) -> str:
    part = printable(key) if isinstance(key, str) else str(key)
    return f"{path}.{part}" if path else part


class _NameFault(str):
    """Stands in the walk for a member whose name breaks the rules, so it is reported in
    document order like any value."""


def faults(value: Any, path: str = "", max_depth: int | None = None) -> Iterator[FieldError]:
    """Every string (names of members too) and number in a nested value that breaks the rules,
    by its dotted path; with `max_depth`, also every list or object nested deeper than that."""
    # An explicit stack, children pushed in reverse: document order without recursion.
    stack: list[tuple[str, Any, int]] = [(path, value, 1)]
    while stack:
        where, item, depth = stack.pop()
        field = where or "body"
        if isinstance(item, _NameFault):
            yield FieldError(field, "its name " + item)
        elif isinstance(item, str):
            message = text_fault(item)
            if message:
                yield FieldError(field, message)
        elif isinstance(item, float):
            if not math.isfinite(item):
                yield FieldError(field, "must be a finite number")
        elif isinstance(item, (dict, list, tuple)):
            if max_depth is not None and depth > max_depth:
                yield FieldError(field, f"is nested deeper than {max_depth} levels")
                continue
            stack.extend(reversed(list(_children(where, item, depth + 1))))


def _children(where: str, item: Any, depth: int) -> Iterator[tuple[str, Any, int]]:
    if isinstance(item, dict):
        for key, child in item.items():
            name_message = text_fault(key) if isinstance(key, str) else None
            if name_message:
                yield _join(where, key), _NameFault(name_message), depth
            yield _join(where, key), child, depth
    else:
        for number, child in enumerate(item):
            yield _join(where, number), child, depth


def invalid_fields(errors: list[FieldError], title: str = "Invalid field") -> Problem:
    detail = "; ".join(f"{e.field}: {e.message}" for e in errors)
    return Problem(422, title, detail, errors)


def check_values(value: Any, path: str = "") -> None:
    """Refuse the value (422 naming each field) if any text or number in it breaks the rules."""
    errors = list(faults(value, path))
    if errors:
        raise invalid_fields(errors)


def check_text(field: str, value: str | None) -> None:
    """Refuse one text field (422 naming it) if it breaks the rules."""
    message = None if value is None else text_fault(value)
    if message:
        raise invalid_fields([FieldError(field, message)])
