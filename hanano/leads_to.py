"""What a reaction or tick handler can lead to, read from its code.

A handler appends events through `tx.append(actor, SomeEvent(...))`, often in a helper of its own
module or of another domain (`report_threat`, `close_road`, `issue`). Its effects are found by
reading its source: every registered event class it constructs, and every table it inserts into,
updates or deletes from, in its own body and in every hanano function it names (called, or handed
on as `functools.partial` does), followed transitively. The answer is what the handler *can* lead
to: a branch taken only for some events still counts.

What this cannot see: an event class reached through a value the code does not name (a parameter,
a dict of classes), or a function called through an object attribute (`tx.append` itself).
"""

from __future__ import annotations

import ast
import functools
import inspect
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import CodeType, FunctionType, MethodType, ModuleType
from typing import Any

from sqlalchemy import Table

from hanano.events import EVENT_TYPES, Event

WRITES = frozenset({"insert", "update", "delete"})


@dataclass(frozen=True)
class Effects:
    """The event types a handler can append and the tables it can write directly, sorted."""

    events: tuple[str, ...]
    tables: tuple[str, ...]


@dataclass
class _Found:
    events: set[str]
    tables: set[str]
    seen: set[CodeType]


def effects_of(func: Callable[..., Any]) -> Effects:
    found = _Found(set(), set(), set())
    _visit(func, found)
    return Effects(tuple(sorted(found.events)), tuple(sorted(found.tables)))


def _function(value: object) -> FunctionType | None:
    """The plain hanano function behind a value, if it is one."""
    if isinstance(value, functools.partial):
        value = value.func
    if isinstance(value, MethodType | classmethod | staticmethod):
        value = value.__func__
    if not isinstance(value, FunctionType):
        return None
    value = inspect.unwrap(value)
    if not isinstance(value, FunctionType) or not value.__module__.startswith("hanano."):
        return None
    return value


def _body(func: FunctionType) -> Iterator[ast.AST]:
    """Every node of the function's body and default values (its decorators left out)."""
    try:
        source = textwrap.dedent(inspect.getsource(func))
    except (OSError, TypeError):
        return
    tree = ast.parse(source).body[0]
    if not isinstance(tree, ast.FunctionDef | ast.AsyncFunctionDef):
        return
    for node in [*tree.body, *tree.args.defaults, *tree.args.kw_defaults]:
        if node is not None:
            yield from ast.walk(node)


def _names(func: FunctionType) -> dict[str, Any]:
    names = dict(func.__globals__)
    if func.__closure__:
        names.update(inspect.getclosurevars(func).nonlocals)
    return names


def _resolve(node: ast.AST, names: dict[str, Any]) -> object:
    """The value a name or dotted name refers to in the function's scope, else None."""
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if isinstance(node, ast.Attribute):
        base = _resolve(node.value, names)
        if isinstance(base, ModuleType | type):
            return getattr(base, node.attr, None)
    return None


def _event_type(value: object) -> str | None:
    if isinstance(value, type) and issubclass(value, Event) and value is not Event:
        name = value.type
        return name if EVENT_TYPES.get(name) is value else None
    return None


def _visit(func: Callable[..., Any], found: _Found) -> None:
    target = _function(func)
    if target is None or target.__code__ in found.seen:
        return
    found.seen.add(target.__code__)
    names = _names(target)
    for node in _body(target):
        if isinstance(node, ast.Call):
            _call(node, names, found)
        if isinstance(node, ast.Name | ast.Attribute) and isinstance(node.ctx, ast.Load):
            callee = _function(_resolve(node, names))
            if callee is not None:
                _visit(callee, found)


def _call(node: ast.Call, names: dict[str, Any], found: _Found) -> None:
    event_type = _event_type(_resolve(node.func, names))
    if event_type is not None:
        found.events.add(event_type)
    if isinstance(node.func, ast.Attribute) and node.func.attr in WRITES:
        table = _resolve(node.func.value, names)
        if isinstance(table, Table):
            found.tables.add(table.name)
