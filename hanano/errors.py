"""Domain errors. The web layer renders each as an RFC 9457 problem document."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


@dataclass
class Problem(Exception):
    status: int
    title: str
    detail: str
    errors: list[FieldError] = field(default_factory=list)

    def __str__(self) -> str:
        # The detail often says what a field error says already (`invalid`): say it once.
        fields = [f"{e.field}: {e.message}" for e in self.errors]
        return "; ".join([self.detail, *(f for f in fields if f not in self.detail)])


def invalid(field_name: str, message: str) -> Problem:
    return Problem(
        422, "Invalid field", f"{field_name}: {message}", [FieldError(field_name, message)]
    )


def not_found(what: str) -> Problem:
    return Problem(404, "Not found", f"{what} does not exist")


def conflict(detail: str) -> Problem:
    return Problem(409, "Conflict", detail)
