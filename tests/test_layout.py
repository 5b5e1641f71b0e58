"""The package layout holds (issue 17, docs/development.md): no import circle, no
arrow back up the layers, framework-free domain code, modules of a readable size.

Imports are read from the source (every ``import`` statement, at module level or
inside a function), so an import hidden in a function to dodge a circle still
counts as the arrow it is.
"""

from __future__ import annotations

import ast
import statistics
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "dsr_app"

# Lowest first: a module may import its own layer (without circles) and below.
LAYERS = (
    ("base", None),  # the top-level modules and packages not named below
    (
        "domain",
        ("corpus", "cases", "matching", "review", "removal", "staff", "training"),
    ),
    ("orchestration", ("engines", "demo", "demo_cases")),
    ("server", ("server",)),
    ("views", ("api", "web")),
    ("entry", ("cli", "__init__", "__main__", "spark_main")),
)
FRAMEWORKS = {"flask", "flask_smorest", "flask_wtf", "werkzeug", "waitress", "click"}
MEDIAN_LINES = 150
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def _imports(name: str) -> tuple[set[str], set[str]]:
    """(dsr_app modules, other top-level packages) that module ``name`` imports."""
    package = name if _is_package(name) else name.rpartition(".")[0]
    ours, theirs = _imports_in(MODULES[name].read_text(encoding="utf-8"), package)
    ours.discard(name)
    return ours, theirs


def _imports_in(source: str, package: str) -> tuple[set[str], set[str]]:
    ours, theirs = set(), set()

    def note(module: str, names: list[str]) -> None:
        if module != "dsr_app" and not module.startswith("dsr_app."):
            theirs.add(module.partition(".")[0])
            return
        for imported in names:  # ``from pkg import module`` names a module
            if f"{module}.{imported}" in MODULES:
                ours.add(f"{module}.{imported}")
            else:
                ours.add(module)

    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                note(alias.name, [])
                if alias.name in MODULES:
                    ours.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            note(module, [alias.name for alias in node.names])
    return {m for m in ours if m in MODULES}, theirs


GRAPH = {name: _imports(name) for name in MODULES}


def _layer(name: str) -> int:
    parts = name.split(".")
    first = parts[1] if len(parts) > 1 else "__init__"
    for index, (_, members) in enumerate(LAYERS):
        if members and first in members:
            return index
    return 0


def _cycle() -> list[str] | None:
    """One import circle among dsr_app's modules, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(name: str) -> list[str] | None:
        state[name] = 1
        path.append(name)
        for dep in sorted(GRAPH[name][0]):
            if state.get(dep) == 1:
                return path[path.index(dep) :] + [dep]
            if dep not in state and (found := visit(dep)):
                return found
        path.pop()
        state[name] = 2
        return None

    for name in sorted(MODULES):
        if name not in state and (found := visit(name)):
            return found
    return None


def test_the_import_graph_has_no_circle():
    assert _cycle() is None, " -> ".join(_cycle() or [])


def test_no_module_imports_a_layer_above_its_own():
    upward = [
        f"{name} ({LAYERS[_layer(name)][0]}) -> {dep} ({LAYERS[_layer(dep)][0]})"
        for name, (deps, _) in GRAPH.items()
        for dep in deps
        if _layer(dep) > _layer(name)
    ]
    assert upward == []


def test_domain_and_base_code_imports_neither_flask_nor_click():
    framework_free = [name for name in MODULES if _layer(name) <= 2]
    offenders = {
        name: sorted(GRAPH[name][1] & FRAMEWORKS)
        for name in framework_free
        if GRAPH[name][1] & FRAMEWORKS
    }
    assert offenders == {}


def test_the_graph_reader_sees_every_form_of_import():
    """The reader is what the other tests stand on: an import inside a function,
    ``from package import module``, a relative import and a plain ``import``."""
    source = (
        "import flask\n"
        "from dsr_app.matching import rules\n"
        "from .prefilter import Prefilter\n"
        "def later():\n"
        "    import dsr_app.config\n"
        "    from dsr_app.errors import BadInput\n"
    )
    ours, theirs = _imports_in(source, "dsr_app.matching")
    assert ours == {
        "dsr_app.matching.rules",
        "dsr_app.matching.prefilter",
        "dsr_app.config",
        "dsr_app.errors",
    }
    assert theirs == {"flask"}


def _code_lines(path: Path) -> int:
    return sum(
        1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    )


def _only_a_docstring(path: Path) -> bool:
    body = ast.parse(path.read_text(encoding="utf-8")).body
    return all(
        isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        for node in body
    )


def test_modules_are_of_a_readable_size():
    # A package's __init__ that holds only its docstring is not a module to
    # read; counting it would flatter the median.
    sizes = {
        name: _code_lines(path)
        for name, path in MODULES.items()
        if not (path.name == "__init__.py" and _only_a_docstring(path))
    }
    too_long = {name: n for name, n in sizes.items() if n > MAX_LINES}
    assert too_long == {}
    assert statistics.median(sizes.values()) <= MEDIAN_LINES, sorted(
        sizes.items(), key=lambda item: -item[1]
    )


def test_no_top_level_module_is_named_after_the_standard_library():
    """``spark-submit dsr_app/spark_main.py`` puts dsr_app/ on sys.path, where a
    ``dsr_app/http`` package would shadow the standard library's ``http``."""
    tops = {name.split(".")[1] for name in MODULES if "." in name}
    assert sorted(tops & sys.stdlib_module_names) == []
