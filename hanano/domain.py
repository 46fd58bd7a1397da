"""The shape every domain has: one `Domain` record, listed once in `hanano.domains`.

A domain is a package (`hanano/<name>/`) holding:
- `events.py`: its event types;
- `tables.py`: its tables, every one a projection that `hanano store rebuild` clears and
  replays unless marked `info["kept"] = "<why>"`; `migrations.py`: its frozen schema changes;
- `handlers.py`: the `Handlers` its modules fill with projectors, reactions and tick handlers;
- modules named for what they hold (commands, projections and views of one thing);
- `routes.py` and `cli.py`: its HTTP routes and its commands;
- `api.py`: its use cases, `(runtime, caller, input)`, which its HTTP routes and CLI commands
  both call: a route parses, authorizes, calls and shapes the answer for the caller's role;
  neither runs SQL of its own;
- `domain.py`: the record below, which the service, the HTTP app and the CLI read.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Protocol, TypeVar

import click
from fastapi import APIRouter
from sqlalchemy import Engine, Table

from hanano.access.tokens import TokenAuthority
from hanano.city.model import City
from hanano.clock import Clock
from hanano.events import EVENT_TYPES, Event
from hanano.evidence.log import EvidenceLog
from hanano.settings import Settings
from hanano.store.migrations import Migration
from hanano.store.registry import Handlers
from hanano.store.sequencer import Sequencer, Tx

T = TypeVar("T")


class Runtime(Protocol):
    """What a domain's use cases, workers, routes and commands need of the running service
    (`hanano.service.Service`, which domains never import: it reads the list of domains)."""

    settings: Settings
    engine: Engine
    sequencer: Sequencer
    clock: Clock
    tokens: TokenAuthority

    @property
    def evidence(self) -> EvidenceLog: ...

    def execute(self, command: Callable[[Tx], T]) -> T: ...

    def rebuild(self, progress: Callable[[int], None] | None = None) -> int: ...

    def city(self) -> City: ...


def finish(use_case: Coroutine[Any, Any, T]) -> T:
    """Run a use case to its end from synchronous code (the CLI, the evaluation, benchmarks).

    On a thread of its own, so that it runs whether or not the calling thread is already
    running an event loop."""
    with ThreadPoolExecutor(1, thread_name_prefix="use-case") as pool:
        return pool.submit(asyncio.run, use_case).result()


class Stoppable(Protocol):
    def stop(self) -> None: ...


class Announcer(Protocol):
    """Where a domain's workers put a message for every subscriber of the live stream (the
    stream's broadcaster)."""

    def publish(self, message: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class Domain:
    name: str
    events: tuple[type[Event], ...]
    tables: tuple[Table, ...]
    migrations: tuple[Migration, ...]
    handlers: Handlers
    routers: tuple[APIRouter, ...] = ()
    commands: tuple[click.Command, ...] = ()
    # Work the server runs beside the requests (alert channels, feed pollers), given the
    # running service and the stream's broadcaster; what it returns is stopped on shutdown.
    start: Callable[[Runtime, Announcer | None], Stoppable] | None = field(default=None)


def events_of(package: str) -> tuple[type[Event], ...]:
    """The event types declared in the modules of `package` (already imported)."""
    prefix = package + "."
    return tuple(c for c in EVENT_TYPES.values() if c.__module__.startswith(prefix))


def tables_of(*modules: ModuleType) -> tuple[Table, ...]:
    """Every table the given modules define, in the order they define them."""
    found: list[Table] = []
    for module in modules:
        found.extend(v for v in vars(module).values() if isinstance(v, Table) and v not in found)
    return tuple(found)


def module(name: str) -> ModuleType:
    return sys.modules[name]
