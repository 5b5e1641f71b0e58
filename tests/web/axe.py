"""axe-core in a Playwright page: the accessibility checks of the browser tests
(issue 21, item 3), for the public pages and the staff pages alike.

axe-core's script comes from the ``axe-playwright-python`` package (a test
dependency; axe-core is Deque's, MPL-2.0), which ships ``axe.min.js``; we inject
it ourselves and ask for the violations, so a test reads::

    from tests.web.axe import assert_accessible, WIDTHS

    for width, height in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        assert_accessible(page, "the queue")

or collects ``violations(page)`` over several pages and asserts once.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

#: The impacts a test refuses (axe's four: minor, moderate, serious, critical).
SERIOUS = ("serious", "critical")
#: Desktop and phone, the widths issue 21 tries every page at.
WIDTHS = ((1366, 900), (375, 812))
#: axe's default rule set (WCAG 2.0-2.2 A and AA, and its best practices).
OPTIONS = {"resultTypes": ["violations"]}


@cache
def script() -> str:
    """axe-core's ``axe.min.js`` as the package ships it."""
    return files("axe_playwright_python").joinpath("axe.min.js").read_text()


def violations(page, impacts=SERIOUS, options: dict | None = None) -> list[dict]:
    """axe's violations on ``page`` as it is now, of the given ``impacts``.

    The script goes in through Playwright's evaluation, which the pages' Content
    Security Policy (no inline script) does not stop; it is injected again only
    after a navigation replaced the document.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(script())
    found = page.evaluate("options => axe.run(document, options)", options or OPTIONS)[
        "violations"
    ]
    return [v for v in found if v["impact"] in impacts]


def describe(found: list[dict], where: str = "") -> str:
    """Violations as lines a failing assertion prints: rule, impact, what it
    asks, and the elements (CSS selectors) that break it."""
    lines = []
    for v in found:
        targets = ", ".join(" ".join(n["target"]) for n in v["nodes"][:5])
        lines.append(f"{where}: {v['id']} ({v['impact']}): {v['help']} at {targets}")
    return "\n".join(lines)


def assert_accessible(page, where: str = "") -> None:
    """No serious or critical axe violation on ``page`` now."""
    found = violations(page)
    assert not found, describe(found, where or page.url)
