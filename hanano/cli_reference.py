"""The CLI reference: every command of a click group with its arguments and options.

Read from click itself, so it cannot drift from the commands; `hanano commands` prints it and
`make docs` writes it to docs/cli.md.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from dataclasses import dataclass

import click

from hanano.catalogue import prose


@dataclass(frozen=True)
class OptionInfo:
    names: tuple[str, ...]  # every spelling: --json, --aleppo/--no-aleppo, -h
    usage: str  # as click's help shows it: "--role [admin|dispatcher|...]"
    help: str


@dataclass(frozen=True)
class CommandInfo:
    path: str  # "hanano token create"
    usage: str
    help: str
    options: tuple[OptionInfo, ...]


def _options(command: click.Command, ctx: click.Context) -> tuple[OptionInfo, ...]:
    options = []
    for param in command.params:  # --help apart: every command has it
        record = param.get_help_record(ctx)
        if not isinstance(param, click.Option) or record is None:
            continue
        names = tuple(param.opts) + tuple(param.secondary_opts)
        options.append(OptionInfo(names, record[0], " ".join(record[1].split())))
    return tuple(options)


def _walk(command: click.Command, ctx: click.Context) -> Iterator[CommandInfo]:
    usage = " ".join([ctx.command_path, *command.collect_usage_pieces(ctx)])
    yield CommandInfo(
        ctx.command_path,
        usage,
        inspect.cleandoc(command.help or ""),
        _options(command, ctx),
    )
    if isinstance(command, click.Group):
        for name in sorted(command.commands):
            sub = command.commands[name]
            yield from _walk(sub, click.Context(sub, info_name=name, parent=ctx))


def cli_reference(group: click.Group, name: str = "hanano") -> tuple[CommandInfo, ...]:
    """The group and every command under it, depth first, subcommands in name order."""
    return tuple(_walk(group, click.Context(group, info_name=name)))


def cli_text(commands: tuple[CommandInfo, ...]) -> str:
    blocks = []
    for command in commands:
        lines = [command.usage]
        lines.extend(f"  {line}" if line else "" for line in command.help.splitlines())
        width = max((len(o.usage) for o in command.options), default=0)
        lines.extend(f"    {o.usage:<{width}}  {o.help}".rstrip() for o in command.options)
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def cli_markdown(commands: tuple[CommandInfo, ...]) -> str:
    lines = [
        "# Command line",
        "",
        "Generated from the code by `hanano commands --format markdown`; do not edit "
        "(`make docs` writes it). Every command takes `--help`.",
        "",
    ]
    lines.extend(f"- [`{c.path}`](#{c.path.replace(' ', '-')})" for c in commands)
    for command in commands:
        lines += ["", f"## {command.path}", "", f"`{command.usage}`"]
        if command.help:
            lines += ["", prose(command.help.replace("\b\n", ""))]
        if command.options:
            lines += ["", "| option | what it does |", "|---|---|"]
        lines.extend(f"| `{_cell(o.usage)}` | {_cell(prose(o.help))} |" for o in command.options)
    return "\n".join(lines) + "\n"
