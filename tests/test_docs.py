"""The README documents every command and every setting (sqlite-utils' habit)."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from dsr_app.cli import cli
from dsr_app.config import DEFAULTS

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def _commands(
    group: click.Group, prefix: str = "dsr"
) -> list[tuple[str, click.Command]]:
    found = []
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        found.append((path, command))
        if isinstance(command, click.Group):
            found.extend(_commands(command, path))
    return found


COMMANDS = _commands(cli)


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[p for p, _ in COMMANDS])
def test_every_command_is_in_readme_and_has_help(path, command):
    assert f"`{path}" in README
    assert command.help and command.help.strip()


@pytest.mark.parametrize("setting", sorted(DEFAULTS))
def test_every_setting_is_documented(setting):
    assert f"`DSR_{setting}`" in README


def test_readme_opens_with_the_two_commands():
    block = README.split("```sh", 1)[1].split("```", 1)[0]
    lines = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert lines == [
        "pip install -e '.[test]' && dsr serve --demo",
        "pip install -e '.[test]' && pytest",
    ]
