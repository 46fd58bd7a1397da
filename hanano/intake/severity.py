"""Severity 1–5 of an incident, rising with the people reported trapped and hurt."""

from __future__ import annotations

# Kinds that mean a building came down or burned: people may be under it even before anyone
# says so, so these start a step above a blocked road or an unspecified report.
_STRUCTURAL = frozenset({"strike", "collapse", "fire", "trapped", "casualties"})

# Kinds in the order that names an incident: the strike is what it is, whatever followed it.
KIND_PRECEDENCE = ("strike", "collapse", "fire", "trapped", "casualties", "blocked_road", "other")


def severity(kind: str, trapped: int | None, casualties: int | None) -> int:
    """1 minor, 2 structural damage, 3 people trapped or hurt, 4 many, 5 mass casualty."""
    t = trapped or 0
    c = casualties or 0
    if t >= 15 or c >= 30:
        return 5
    if t >= 5 or c >= 10:
        return 4
    if t >= 1 or c >= 1:
        return 3
    return 2 if kind in _STRUCTURAL else 1


def incident_kind(kinds: list[str]) -> str:
    """The kind an incident takes from its reports' kinds."""
    return min(kinds, key=KIND_PRECEDENCE.index) if kinds else "other"
