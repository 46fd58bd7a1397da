"""The event and settings catalogues: what the registries hold, as data and as text.

`event_catalogue()` reads every event type from `EVENT_TYPES`, its fields from its pydantic
model, its audience, its projector (`projections.projectors()`) and its reactions
(`reactions.reactions_for`), and the tick handlers (`list(REGISTRY.ticks)`).
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

from hanano.domains import REGISTRY
from hanano.events import EVENT_TYPES, ROLES, Audience, Event, Role
from hanano.leads_to import Effects, effects_of
from hanano.settings import Settings

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
    value = info.get_default(call_default_factory=True)
    return f'"{value}"' if isinstance(value, str) else repr(value)


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
    projector = REGISTRY.projectors.get(cls.type)
    return EventType(
        type=cls.type,
        version=cls.version,
        model=f"{cls.__module__}.{cls.__qualname__}",
        doc=" ".join((cls.__dict__.get("__doc__") or "").split()),
        readers=_roles(audience.roles),
        own=_roles(audience.own),
        fields=_fields(cls, audience),
        projector=None if projector is None else qualified(projector),
        reactions=tuple(_handlers(REGISTRY.reactions_for(cls.type))),
        caused_by=tuple(causes.get(cls.type, [])),
    )


def _handlers(funcs: list[Callable[..., Any]]) -> list[Handler]:
    """Sorted by name, so the reference reads the same whichever module registered first."""
    return sorted((_handler(f) for f in funcs), key=lambda h: h.name)


def _causes(handlers: list[Handler]) -> dict[str, list[str]]:
    causes: dict[str, list[str]] = {}
    for handler in handlers:
        for led in handler.leads_to:
            if handler.name not in causes.setdefault(led, []):
                causes[led].append(handler.name)
    return causes


def event_catalogue() -> EventCatalogue:
    """Every registered event type, sorted by type name, and every tick handler."""
    classes = [EVENT_TYPES[t] for t in sorted(EVENT_TYPES)]
    ticks = tuple(_handlers(list(REGISTRY.ticks)))
    handlers = [h for c in classes for h in _handlers(REGISTRY.reactions_for(c.type))]
    causes = _causes(handlers + list(ticks))
    return EventCatalogue(tuple(_event_type(c, causes) for c in classes), ticks)


@dataclass(frozen=True)
class ChainLine:
    """One line of the tree of how events lead to events."""

    depth: int
    kind: Literal["event", "reaction", "tick"]
    name: str
    note: str = ""


def chains(catalogue: EventCatalogue) -> list[ChainLine]:
    """How events lead to events: a tree from each event type that starts a chain (it has
    reactions, and no reaction leads to it) and from each tick handler. An event type's
    consequences are spelled out where it first appears; later it is marked "as above"."""
    led = {t for e in catalogue.events for r in e.reactions for t in r.leads_to}
    lines: list[ChainLine] = []
    shown: set[str] = set()
    for event in catalogue.events:
        if event.reactions and event.type not in led:
            _chain(catalogue, event.type, 0, lines, shown)
    for tick in catalogue.ticks:
        lines.append(ChainLine(0, "tick", tick.name))
        for event_type in tick.leads_to:
            _chain(catalogue, event_type, 1, lines, shown)
    return lines


def _chain(
    catalogue: EventCatalogue,
    event_type: str,
    depth: int,
    lines: list[ChainLine],
    shown: set[str],
) -> None:
    reactions_of = catalogue.get(event_type).reactions
    if event_type in shown and reactions_of:
        lines.append(ChainLine(depth, "event", event_type, "as above"))
        return
    lines.append(ChainLine(depth, "event", event_type))
    shown.add(event_type)
    for reaction in reactions_of:
        writes = f"writes {', '.join(reaction.writes)}" if reaction.writes else ""
        lines.append(ChainLine(depth + 1, "reaction", reaction.name, writes))
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


# --- rendering ----------------------------------------------------------------------------

GENERATED = "Generated from the code by `{command}`; do not edit (`make docs` writes it)."
EVENTS_INTRO = (
    "Every event type in the log: its fields, who may read it, the projector that applies it "
    "to the tables screens read, and the reactions that follow it in the same transaction, "
    "with the event types each reaction can append (read from the reaction's code and the "
    "hanano functions it calls). Reactions and tick handlers are listed by name; they run "
    "domain by domain, in the order of hanano/domains.py. A sealed field enters the log only "
    'as a salted commitment; its plaintext is kept apart. "Read by" under a field narrows who '
    "reads it."
)
SETTINGS_INTRO = (
    "Every setting, read from the environment variable beside it (or passed to "
    "`load_settings`). Durations and sizes carry their unit in the name and the description."
)


def _list(roles: tuple[Role, ...]) -> str:
    return ", ".join(roles) if roles else "no role"


def audience_text(event: EventType) -> str:
    text = _list(event.readers)
    if event.own:
        text += f"; {', '.join(event.own)}: only the events they wrote"
    return text


def field_notes(item: EventField) -> str:
    notes = []
    if item.default is not None:
        notes.append(f"default {item.default}")
    if item.sealed:
        notes.append("sealed")
    if item.readers is not None:
        notes.append(f"read by {_list(item.readers)}")
    return "; ".join(notes)


def handler_text(handler: Handler) -> str:
    led = ", ".join(handler.leads_to) or "no event"
    writes = f"; writes {', '.join(handler.writes)}" if handler.writes else ""
    return f"{handler.name} -> {led}{writes}"


def _event_text(event: EventType) -> list[str]:
    lines = [f"{event.type}  (version {event.version}, {event.model})"]
    if event.doc:
        lines.append(f"  {event.doc}")
    lines.append(f"  read by: {audience_text(event)}")
    width = max((len(f.name) for f in event.fields), default=0)
    lines.append("  fields:")
    for item in event.fields:
        notes = field_notes(item)
        lines.append(f"    {item.name:<{width}}  {item.type}" + (f"  ({notes})" if notes else ""))
    lines.append(f"  projector: {event.projector or 'none'}")
    lines.extend(f"  reaction: {handler_text(r)}" for r in event.reactions)
    if event.caused_by:
        lines.append(f"  appended by reactions and ticks: {', '.join(event.caused_by)}")
    return lines


def events_text(catalogue: EventCatalogue) -> str:
    lines = ["How events lead to events:"]
    lines.extend("  " + "  " * c.depth + _chain_text(c) for c in chains(catalogue))
    lines += ["", "Tick handlers (run on every tick of the clock):"]
    lines.extend(f"  {handler_text(t)}" for t in catalogue.ticks)
    for event in catalogue.events:
        lines += ["", *_event_text(event)]
    return "\n".join(lines) + "\n"


def prose(text: str) -> str:
    """Text for Markdown: angle brackets shown, not read as HTML tags."""
    return text.replace("<", "&lt;").replace(">", "&gt;")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    return f"`{text}`"


def _handler_md(handler: Handler) -> str:
    led = ", ".join(_code(t) for t in handler.leads_to) or "no event"
    writes = f"; writes {', '.join(_code(t) for t in handler.writes)}" if handler.writes else ""
    return f"{_code(handler.name)} → {led}{writes}"


def _event_md(event: EventType) -> list[str]:
    lines = [f"### `{event.type}`", ""]
    if event.doc:
        lines += [prose(event.doc), ""]
    lines += [
        f"Version {event.version}, {_code(event.model)}. Read by: {audience_text(event)}.",
        "",
        "| field | type | notes |",
        "|---|---|---|",
    ]
    for item in event.fields:
        lines.append(f"| `{item.name}` | `{_cell(item.type)}` | {_cell(field_notes(item))} |")
    lines += ["", f"Projector: {_code(event.projector) if event.projector else 'none'}."]
    if event.reactions:
        lines += ["", "Reactions:", ""]
        lines.extend(f"- {_handler_md(r)}" for r in event.reactions)
    if event.caused_by:
        handlers = ", ".join(_code(c) for c in event.caused_by)
        lines += ["", f"Reactions and tick handlers that append it: {handlers}."]
    return [*lines, ""]


def _chain_text(line: ChainLine, code: Callable[[str], str] = str) -> str:
    kind = "" if line.kind == "event" else f"{line.kind} "
    note = f" ({line.note})" if line.note else ""
    return f"{kind}{code(line.name)}{note}"


def events_markdown(catalogue: EventCatalogue) -> str:
    lines = ["# Events", "", GENERATED.format(command="hanano events --format markdown"), ""]
    lines += [EVENTS_INTRO, "", "## How events lead to events", ""]
    lines.extend(f"{'  ' * c.depth}- {_chain_text(c, _code)}" for c in chains(catalogue))
    lines += ["", "## Tick handlers", "", "Run on every tick of the clock.", ""]
    lines.extend(f"- {_handler_md(t)}" for t in catalogue.ticks)
    lines += ["", "## Event types", ""]
    lines.extend(f"- [`{e.type}`](#{e.type.replace('.', '')})" for e in catalogue.events)
    lines.append("")
    for event in catalogue.events:
        lines.extend(_event_md(event))
    return "\n".join(lines).rstrip("\n") + "\n"


def _setting_head(item: SettingInfo) -> str:
    limits = f", {item.limits}" if item.limits else ""
    return f"{item.name}  ({item.env}; {item.type}; default {item.default}{limits})"


def settings_text(items: tuple[SettingInfo, ...]) -> str:
    blocks = [f"{_setting_head(s)}\n  {s.description}" for s in items]
    return "\n\n".join(blocks) + "\n"


def settings_markdown(items: tuple[SettingInfo, ...]) -> str:
    lines = ["# Settings", "", GENERATED.format(command="hanano settings --format markdown"), ""]
    lines += [
        SETTINGS_INTRO,
        "",
        "| variable | type | default | description |",
        "|---|---|---|---|",
    ]
    for s in items:
        limits = f" ({s.limits})" if s.limits else ""
        default = s.default if s.default in ("unset", "empty") else _code(_cell(s.default))
        lines.append(
            f"| `{s.env}` | `{_cell(s.type)}` | {default} | {_cell(prose(s.description))}{limits} |"
        )
    return "\n".join(lines) + "\n"


def render_events(fmt: Format) -> str:
    catalogue = event_catalogue()
    return events_markdown(catalogue) if fmt == "markdown" else events_text(catalogue)


def render_settings(fmt: Format) -> str:
    items = settings_catalogue()
    return settings_markdown(items) if fmt == "markdown" else settings_text(items)
