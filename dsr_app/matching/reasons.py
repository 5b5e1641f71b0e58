"""Why a match was made, in words: the rule behind each match, and where the words
it matched stand in its snippet (issue 20, item 4).

Staff decide weak matches; to decide well they must see which rule made each one
and what exactly it matched (a name alone is not an e-mail address). Pure
functions, no database: the rules (rules.py) name a code, the case (review) says
the sentence and marks the words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Each rule's code and what it means, in English for staff (stored per match as
# ``matches.rule``; the sentence is read from here, so it can be reworded).
RULES = {
    "account": "account the person owns: the item's author is one of their"
    " verified accounts",
    "account_handle": "account the person owns, by its handle: the item names no"
    " author id, and its author handle is that of one of their verified accounts",
    "email": "verified e-mail address, written whole in the text",
    "phone": "verified phone number, written in the text (in any common spelling)",
    "handle": "@handle of an account the person owns",
    "handle_named": "@handle the person gave but has not proven to be theirs (no"
    " verified account has it)",
    "name": "name only: the words of the person's name, not linked to a verified"
    " identifier",
    "content": "the same text as an item removed for the person, by another author",
    "pointer": "an item the person pointed to (a link, an id or a passage), not"
    " proven theirs by an identifier",
}

# The rule of a match stored without one (before migration m027, or by code that
# builds a match by hand): what its kind, basis and confidence imply.
_IMPLIED = {
    ("account", "verified"): "account",
    ("email", "verified"): "email",
    ("phone", "verified"): "phone",
    ("handle", "verified"): "handle",
    ("handle", "weak"): "handle_named",
    ("name", "weak"): "name",
    ("content", "weak"): "content",
    ("pointer", "weak"): "pointer",
}

# Strongest first: an item (a record) found by several rules is as strong as its
# strongest match.
CONFIDENCE_ORDER = ("verified", "probable", "weak")


def rule_of(matched_on: str, confidence: str, rule: str | None = None) -> str:
    """A match's rule code: ``rule`` when stored, else the one its basis implies."""
    if rule:
        return rule
    return _IMPLIED.get((matched_on, confidence), matched_on)


def rule_text(code: str) -> str:
    """The English sentence staff read for a rule code (the code if unknown)."""
    return RULES.get(code, code)


def strongest(confidences: Iterable[str]) -> str:
    """The strongest of some confidences (``weak`` when there are none)."""
    found = set(confidences)
    return next((c for c in CONFIDENCE_ORDER if c in found), "weak")


def highlight_spans(snippet: str, words: Iterable[str]) -> list[tuple[int, int]]:
    """Where each of ``words`` stands in ``snippet``, as sorted, disjoint
    (start, end) character offsets, every occurrence, case-insensitively.

    The words are as the rule found them in the record's text; the snippet is a
    window of that text with other people's identifiers masked, so a word masked
    there (a handle the person did not prove) or cut off is not marked.
    """
    spans = []
    for word in {w for w in words if w and w.strip()}:
        pattern = re.compile(re.escape(word), re.IGNORECASE)
        spans.extend(m.span() for m in pattern.finditer(snippet))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:  # overlapping or touching: one mark
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def marked_pieces(
    snippet: str, spans: Iterable[tuple[int, int]]
) -> list[tuple[str, bool]]:
    """``snippet`` cut at ``spans`` (sorted, disjoint): (text, marked) pieces, for a
    page to wrap the marked ones in ``<mark>`` while escaping every piece."""
    pieces, last = [], 0
    for start, end in spans:
        if start > last:
            pieces.append((snippet[last:start], False))
        pieces.append((snippet[start:end], True))
        last = end
    if last < len(snippet):
        pieces.append((snippet[last:], False))
    return pieces
