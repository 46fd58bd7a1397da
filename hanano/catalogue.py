"""The event and settings catalogues: what the registries hold, as data and as text.

`event_catalogue()` reads every event type from `EVENT_TYPES`, its fields from its pydantic
model, its audience, its projector (`projections.projectors()`) and its reactions
(`reactions.reactions_for`), and the tick handlers (`reactions.tick_handlers()`).
`settings_catalogue()` reads every field of `Settings`. The renderers print either as plain text
or as Markdown; `hanano events` and `hanano settings` print them, and `make docs` writes the
Markdown into docs/.

Which events a reaction or tick handler can lead to is read from its code (`hanano.leads_to`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Union, get_args, get_origin

from pydantic.fields import FieldInfo

from hanano.events import EVENT_TYPES, ROLES, Audience, Event, Role
from hanano.leads_to import Effects, effects_of
from hanano.settings import Settings
from hanano.store import projections, reactions

Format = Literal["text", "markdown"]
FORMATS: tuple[Format, ...] = ("text", "markdown")


# --- events -------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventField:
    name: str
    type: str
    default: str | None  # None: required
    sealed: bool
    readers: tuple[Role, ...] | None  # None: whoever reads the event


@dataclass(frozen=True)
class Handler:
    """A reaction or tick handler, named module:function, with the effects read from its code."""

    name: str
    leads_to: tuple[str, ...]
    writes: tuple[str, ...]


@dataclass(frozen=True)
class EventType:
    type: str
    version: int
    model: str
    doc: str
    readers: tuple[Role, ...]
    own: tuple[Role, ...]
    fields: tuple[EventField, ...]
    projector: str | None
    reactions: tuple[Handler, ...]
    caused_by: tuple[str, ...]


@dataclass(frozen=True)
class EventCatalogue:
    events: tuple[EventType, ...]
    ticks: tuple[Handler, ...]

    def get(self, event_type: str) -> EventType:
        return next(e for e in self.events if e.type == event_type)


def qualified(func: Callable[..., Any]) -> str:
    """module:function, the name a reader can find."""
    return f"{func.__module__}:{func.__qualname__}"


def type_text(annotation: Any) -> str:
    """A field's type as it would be written in Python, Literal values spelled out."""
    origin, args = get_origin(annotation), get_args(annotation)
    if annotation is type(None):
        return "None"
    if origin is Literal:
        return " | ".join(f'"{a}"' if isinstance(a, str) else repr(a) for a in args)
    if origin is Union or type(annotation).__name__ == "UnionType":
        return " | ".join(type_text(a) for a in args)
    if origin is not None:
        name = getattr(origin, "__name__", str(origin))
        return f"{name}[{', '.join(type_text(a) for a in args)}]"
    if isinstance(annotation, type):
        return annotation.__name__
    return str(annotation).replace("typing.", "")


def _roles(roles: frozenset[Role]) -> tuple[Role, ...]:
    return tuple(r for r in ROLES if r in roles)


def _default_text(info: FieldInfo) -> str | None:
    if info.is_required():
        return None
    return "None" if info.default is None else repr(info.default)


def _fields(cls: type[Event], audience: Audience) -> tuple[EventField, ...]:
    return tuple(
        EventField(
            name=name,
            type=type_text(info.annotation),
            default=_default_text(info),
            sealed=name in cls.sensitive,
            readers=_roles(audience.fields[name]) if name in audience.fields else None,
        )
        for name, info in cls.model_fields.items()
    )


def _handler(func: Callable[..., Any]) -> Handler:
    effects: Effects = effects_of(func)
    return Handler(qualified(func), effects.events, effects.tables)


def _event_type(cls: type[Event], causes: dict[str, list[str]]) -> EventType:
    audience = cls.audience
    assert audience is not None  # `register` refuses a type without one
    projector = projections.projectors().get(cls.type)
    return EventType(
        type=cls.type,
        version=cls.version,
        model=f"{cls.__module__}.{cls.__qualname__}",
        doc=" ".join((cls.__dict__.get("__doc__") or "").split()),
        readers=_roles(audience.roles),
        own=_roles(audience.own),
        fields=_fields(cls, audience),
        projector=None if projector is None else qualified(projector),
        reactions=tuple(_handler(f) for f in reactions.reactions_for(cls.type)),
        caused_by=tuple(causes.get(cls.type, [])),
    )


def _causes(handlers: list[Handler]) -> dict[str, list[str]]:
    causes: dict[str, list[str]] = {}
    for handler in handlers:
        for led in handler.leads_to:
            if handler.name not in causes.setdefault(led, []):
                causes[led].append(handler.name)
    return causes


def event_catalogue() -> EventCatalogue:
    """Every registered event type, sorted by type name, and every tick handler."""
    projections.projectors()  # imports every domain, which registers its events and handlers
    classes = [EVENT_TYPES[t] for t in sorted(EVENT_TYPES)]
    ticks = tuple(_handler(f) for f in reactions.tick_handlers())
    handlers = [_handler(f) for c in classes for f in reactions.reactions_for(c.type)]
    causes = _causes(handlers + list(ticks))
    return EventCatalogue(tuple(_event_type(c, causes) for c in classes), ticks)


def chains(catalogue: EventCatalogue) -> list[tuple[int, str]]:
    """How events lead to events: a tree (depth, line) from each event type that starts a chain
    (it has reactions, and no reaction leads to it) and from each tick handler. An event type's
    consequences are spelled out where it first appears; later it is marked "(as above)"."""
    led = {t for e in catalogue.events for r in e.reactions for t in r.leads_to}
    lines: list[tuple[int, str]] = []
    shown: set[str] = set()
    for event in catalogue.events:
        if event.reactions and event.type not in led:
            _chain(catalogue, event.type, 0, lines, shown)
    for tick in catalogue.ticks:
        lines.append((0, f"tick {tick.name}"))
        for event_type in tick.leads_to:
            _chain(catalogue, event_type, 1, lines, shown)
    return lines


def _chain(
    catalogue: EventCatalogue,
    event_type: str,
    depth: int,
    lines: list[tuple[int, str]],
    shown: set[str],
) -> None:
    reactions_of = catalogue.get(event_type).reactions
    if event_type in shown and reactions_of:
        lines.append((depth, f"{event_type} (as above)"))
        return
    lines.append((depth, event_type))
    shown.add(event_type)
    for reaction in reactions_of:
        writes = f" (writes {', '.join(reaction.writes)})" if reaction.writes else ""
        lines.append((depth + 1, f"reaction {reaction.name}{writes}"))
        for led in reaction.leads_to:
            _chain(catalogue, led, depth + 2, lines, shown)


# --- settings -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SettingInfo:
    name: str
    env: str
    type: str
    default: str
    limits: str
    description: str


_BOUNDS = (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<"))


def _limits(info: FieldInfo) -> str:
    parts = []
    for item in info.metadata:
        for attr, sign in _BOUNDS:
            bound = getattr(item, attr, None)
            if bound is not None:
                parts.append(f"{sign} {bound:g}")
    return ", ".join(parts)


def setting_default_text(value: object) -> str:
    if value is None:
        return "unset"
    if value == "":
        return "empty"
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return str(value)


def settings_catalogue() -> tuple[SettingInfo, ...]:
    """Every setting in the order `Settings` declares them."""
    prefix = str(Settings.model_config.get("env_prefix", ""))
    return tuple(
        SettingInfo(
            name=name,
            env=f"{prefix}{name}".upper(),
            type=type_text(info.annotation),
            default=setting_default_text(info.default),
            limits=_limits(info),
            description=" ".join((info.description or "").split()),
        )
        for name, info in Settings.model_fields.items()
    )
