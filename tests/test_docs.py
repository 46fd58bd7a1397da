"""The README's CLI map must name every command the CLI has."""

from pathlib import Path

import click

from hanano.cli import main


def command_paths(group: click.Group, prefix: str = "hanano") -> list[str]:
    paths = []
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        if isinstance(command, click.Group):
            paths.extend(command_paths(command, path))
        else:
            paths.append(path)
    return paths


def test_readme_lists_every_command() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    missing = [p for p in command_paths(main) if f"`{p}" not in readme]
    assert missing == []
    assert "make demo" in readme and "make test" in readme
