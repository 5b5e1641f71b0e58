"""The docs document every command and every setting (sqlite-utils' habit), the README
stays a short page for users, and nothing in either points outside the repository."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from dsr_app.cli import cli
from dsr_app.config import DEFAULTS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
DOCS = ROOT / "docs"
CLI_DOC = (DOCS / "cli.md").read_text()
CONFIG_DOC = (DOCS / "configuration.md").read_text()


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
def test_every_command_is_in_the_cli_doc_and_has_help(path, command):
    assert f"`{path}" in CLI_DOC
    assert command.help and command.help.strip()


@pytest.mark.parametrize("setting", sorted(DEFAULTS))
def test_every_setting_is_documented(setting):
    assert f"`DSR_{setting}`" in CONFIG_DOC


def test_readme_opens_with_the_two_commands():
    block = README.split("```sh", 1)[1].split("```", 1)[0]
    lines = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert lines == [
        "pip install -e '.[test]' && dsr serve --demo",
        "pip install -e '.[test]' && pytest",
    ]


def test_readme_is_short_and_links_every_doc():
    assert len(README.splitlines()) <= 200
    for doc in sorted(DOCS.glob("*.md")):
        assert f"docs/{doc.name}" in README, f"README does not link {doc.name}"


_LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize(
    "page",
    [ROOT / "README.md", *sorted(DOCS.glob("*.md"))],
    ids=lambda p: p.name,
)
def test_docs_point_only_inside_the_repository(page):
    text = page.read_text()
    assert "../shared" not in text and "shared/research" not in text
    assert "shared/spec" not in text and "CONTRACT.md" not in text
    for target in _LINK.findall(text):
        if re.match(r"[a-z]+:", target):  # a URL (http:, mailto:)
            continue
        resolved = (page.parent / target).resolve()
        assert resolved.is_relative_to(ROOT), f"{page.name} links outside: {target}"
        assert resolved.exists(), f"{page.name} links a missing file: {target}"
