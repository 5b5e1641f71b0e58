"""The battery's README maps the attacks of issues 7 and 16 to tests: keep it true."""

from __future__ import annotations

import ast
import re
from pathlib import Path

HERE = Path(__file__).parent


def test_readme_names_every_test_and_only_real_ones():
    """Not an attack: every test here is in the map, and the map names real tests."""
    tests = {
        f"{path.name}::{node.name}"
        for path in HERE.glob("test_*.py")
        if path.name != Path(__file__).name
        for node in ast.parse(path.read_text()).body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    }
    named, current = set(), None
    for file, name in re.findall(
        r"`(test_\w+\.py)?::(test_\w+)`", (HERE / "README.md").read_text()
    ):
        current = file or current
        named.add(f"{current}::{name}")
    assert named == tests
