"""Unicode bidirectional controls: refused in one-line fields, shown as markers in
free text (issue 16, finding 11).

An override or isolate (U+202E RIGHT-TO-LEFT OVERRIDE and its kin) in a name or a
quoted post reorders what a reviewer or requester reads around it ("Trojan
Source", CVE-2021-42574): ``"Zo\\u202elanigiro"`` is shown as "Zooriginal". A
one-line field a person types has no use for them, so it refuses them; free text
and the data we hold (posts, registry names) keep them, and every page and letter
shows each one as a visible marker such as ``[U+202E]`` instead of obeying it.
"""

from __future__ import annotations

import re

from markupsafe import Markup

# U+061C ARABIC LETTER MARK, U+200E/F LEFT-TO-RIGHT and RIGHT-TO-LEFT MARK, U+202A-E
# embeddings and overrides, U+2066-9 isolates (Unicode UAX #9, table 4).
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def name(char: str) -> str:
    """A character's code point as ``U+202E``."""
    return f"U+{ord(char):04X}"


def controls(value: str) -> list[str]:
    """The bidirectional controls in ``value``, as ``U+202E`` names, each once."""
    return list(dict.fromkeys(name(c) for c in _BIDI.findall(value)))


def refusal(names: list[str]) -> str:
    """The reason a one-line field is refused: the controls named, never shown."""
    return f"bidirectional control characters ({', '.join(names)})"


def neutralise(value):
    """``value`` with each bidirectional control replaced by a visible marker
    (``[U+202E]``); anything that is not a string is returned as it is.

    Jinja's ``finalize`` for every page and letter, so that no template can forget
    it. Escaped HTML stays escaped: the marker holds no character HTML gives a
    meaning to.
    """
    if not isinstance(value, str) or not _BIDI.search(value):
        return value
    marked = _BIDI.sub(lambda m: f"[{name(m.group())}]", str(value))
    return Markup(marked) if isinstance(value, Markup) else marked
