"""Name folding and spelling variants: how a requester's name is looked for.

Case, accents and transliteration do not matter, nor does the order "Lastname,
Firstname"; only whole words match. Shared by the rules (rules.py), the per-request
search's FTS5 query (search.py) and the sweep's word lookups (sweep.py).
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache

from dsr_app.identifiers import fold

# Spellings of letters that transliterate two ways (Müller = Mueller, Søren = Soeren).
_ALTERNATIVES = str.maketrans(
    {
        "ä": "ae",
        "ö": "oe",
        "ü": "ue",
        "Ä": "Ae",
        "Ö": "Oe",
        "Ü": "Ue",
        "ø": "oe",
        "Ø": "Oe",
        "å": "aa",
        "Å": "Aa",
        "æ": "ae",
        "Æ": "Ae",
    }
)
# Runs of what is not a folded letter or digit: the boundaries between words.
NON_WORD = re.compile(r"[^a-z0-9]+")

MAX_SPELLINGS = 16  # transliteration alternatives stop doubling beyond this


def words(folded: str) -> str:
    """A folded text's words between single spaces, padded with one on each side."""
    return " " + NON_WORD.sub(" ", folded).strip() + " "


@lru_cache(maxsize=16)
def name_text(text: str) -> str:
    """Text as name matching sees it: folded words between single spaces."""
    return words(fold(text))


def name_variants(full_name: str) -> list[str]:
    """Every spelling of a name we look for, as `` word word `` (padded) strings.

    Case, accents and transliteration do not matter (``Zoë Müller-Łukasik`` =
    ``zoe muller-lukasik`` = ``Zoe Mueller-Lukasik``), nor does the order
    "Lastname, Firstname". Whole words only: the padding spaces are the boundaries.
    A name of fewer than two words of two letters is not searched for (it would be
    a weak match for half the corpus), and alternatives stop at 16 spellings (×2
    for the order), so no name can make the search explode.
    """
    tokens = full_name.split()
    plain = [NON_WORD.sub(" ", fold(t)).strip() for t in tokens]
    if sum(len(w) >= 2 for p in plain for w in p.split()) < 2:
        return []
    per_token, count = [], 1
    for token, folded in zip(tokens, plain, strict=True):
        options = {folded}
        alternative = NON_WORD.sub(" ", fold(token.translate(_ALTERNATIVES))).strip()
        if alternative != folded and count * 2 <= MAX_SPELLINGS:
            options.add(alternative)
            count *= 2
        options.discard("")
        if options:
            per_token.append(sorted(options))
    spellings = set()
    for combo in itertools.product(*per_token):
        spellings.add(" " + " ".join(" ".join(combo).split()) + " ")
        if len(per_token) > 1:  # "Lastname, Firstname": the last token first
            reordered = " ".join(combo[-1:] + combo[:-1]).split()
            spellings.add(" " + " ".join(reordered) + " ")
    return sorted(spellings)
