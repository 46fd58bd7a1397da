"""What every domain's CLI commands share: the service of this invocation, running a command
through it, and how a refused command is reported.

The service is made by the factory the `hanano` group puts in the context (`MAKE_SERVICE`):
the domains' commands never import `hanano.service`, which reads the list of domains.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any, Protocol, TypeVar

import click

from hanano.domain import Runtime, finish
from hanano.errors import Problem
from hanano.evidence.keys import LogKeyError
from hanano.evidence.log import LogIntegrityError
from hanano.settings import Settings, load_settings
from hanano.store.records import LogTampered
from hanano.store.sequencer import Tx

T = TypeVar("T")
# The actor the log names for what was done from the command line.
CLI_ACTOR = "cli"
# The key of the context object under which `hanano.cli.main` puts the service's factory.
MAKE_SERVICE = "make_service"


class Running(Runtime, Protocol):
    """The service as the CLI drives it: started for the command, stopped when it ends."""

    def start(self) -> object: ...

    def stop(self) -> None: ...


def settings_for(ctx: click.Context) -> Settings:
    """The settings of this invocation (for commands that must not start the service)."""
    obj: dict[str, Any] = ctx.ensure_object(dict)
    return load_settings(**({"database_url": obj["db"]} if obj.get("db") else {}))


def service_for(ctx: click.Context) -> Runtime:
    """The started service for this invocation, stopped when the command ends."""
    obj: dict[str, Any] = ctx.ensure_object(dict)
    if "service" not in obj:
        make: Callable[[Settings], Running] = obj[MAKE_SERVICE]
        service = make(settings_for(ctx))
        try:
            service.start()
        except (LogKeyError, LogIntegrityError, LogTampered) as exc:
            service.stop()
            raise click.ClickException(f"hanano will not start on this store: {exc}") from None
        ctx.call_on_close(service.stop)
        obj["service"] = service
    started: Runtime = obj["service"]
    return started


def run(ctx: click.Context, command: Callable[[Tx], T]) -> T:
    """Run one command through the service's writer; a refusal becomes the CLI's error."""
    try:
        return service_for(ctx).execute(command)
    except Problem as problem:
        raise click.ClickException(str(problem)) from None


def call(use_case: Coroutine[Any, Any, T]) -> T:
    """Run one of the domains' use cases to its end; a refusal becomes the CLI's error."""
    try:
        return finish(use_case)
    except Problem as problem:
        raise click.ClickException(str(problem)) from None


def fail(problem: Problem) -> None:
    raise click.ClickException(str(problem))


def echo_json(value: object) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))
