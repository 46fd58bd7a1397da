"""The docs a user reads must agree with the code.

The README's CLI map names every command; docs/cli.md, docs/settings.md and docs/events.md are
what `make docs` generates from the code now; every option of every command is documented;
every setting has a description that gives its unit.
"""

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from hanano.cli import main
from hanano.cli_reference import cli_reference
from hanano.settings import Settings

ROOT = Path(__file__).parent.parent
README = ROOT / "README.md"
GENERATED = {
    "docs/events.md": "events",
    "docs/settings.md": "settings",
    "docs/cli.md": "commands",
}
# A setting named for its unit says the unit in its description.
UNITS = {
    "_m": "metres",
    "_km": "kilometres",
    "_min": "minutes",
    "_s": "seconds",
    "_bytes": "bytes",
    "_kmh": "km/h",
}


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
    readme = README.read_text(encoding="utf-8")
    missing = [p for p in command_paths(main) if f"`{p}" not in readme]
    assert missing == []
    assert "make demo" in readme and "make test" in readme


def test_readme_links_the_generated_references() -> None:
    readme = README.read_text(encoding="utf-8")
    assert [path for path in GENERATED if f"]({path})" not in readme] == []


@pytest.mark.parametrize("path", sorted(GENERATED))
def test_generated_docs_match_the_code(path: str) -> None:
    result = CliRunner().invoke(main, [GENERATED[path], "--format", "markdown"])
    assert result.exit_code == 0, result.output
    written = (ROOT / path).read_text(encoding="utf-8")
    assert written == result.stdout, f"{path} differs from the code: run `make docs`"


def _sections(markdown: str) -> dict[str, str]:
    """docs/cli.md's text under each command's heading."""
    parts = re.split(r"^## (.+)$", markdown, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def _readme_rows(readme: str, path: str) -> str:
    return "\n".join(line for line in readme.splitlines() if line.startswith(f"| `{path}"))


def test_every_option_of_every_command_is_documented() -> None:
    readme = README.read_text(encoding="utf-8")
    sections = _sections((ROOT / "docs/cli.md").read_text(encoding="utf-8"))
    missing = []
    for command in cli_reference(main):
        where = sections.get(command.path, "") + _readme_rows(readme, command.path)
        missing += [
            f"{command.path} {name}"
            for option in command.options
            for name in option.names
            if not re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", where)
        ]
    assert missing == []


def test_every_setting_has_a_description_with_its_unit() -> None:
    undescribed = [n for n, f in Settings.model_fields.items() if not (f.description or "").strip()]
    assert undescribed == []
    unitless = [
        name
        for name, field in Settings.model_fields.items()
        for suffix, unit in UNITS.items()
        if name.endswith(suffix) and unit not in (field.description or "")
    ]
    assert unitless == []
