"""A requester's name in the forms and spellings others write it: what is looked for.

The name is read as parts: given names, then surname parts, each surname part with
the particles before it ("van der Berg", "Ní Bhriain", "de la Fuente", "von Thurn").
From the parts come the forms people write (issue 20, item 1): given names first;
surname first, with or without a comma, its particles kept before it ("Ní Bhriain,
Áine") or moved after the given names ("Berg, Anna van der"); the given names as
initials ("Z. Müller-Łukasik", "A. M. Kowalska", "Anna M. Nowak"). From each part come
its spellings: case, accents and script folded (``fold``), ä/ö/ü/ø/å/æ/ő/ű also
as ae/oe/ue/oe/aa/ae/oe/ue, đ also as dj, an apostrophe or a capital inside a word
written as a break or not ("O'Brien" = "OBrien", "MacCárthaigh" = "Mac
Cárthaigh", "hAodha" = "h-Aodha"), a particle written apart or joined ("Mac
Aodha" = "MacAodha"), the "y", "e" or "i" between two surnames written or left
out; and for people of Greece, Cyprus and Bulgaria their Latin name as the Greek
or Cyrillic spelling folds (spellings.py). The person's own spelling decides:
lenition and eclipsis ("Ní Bhriain", "Ó hAodha") are kept as they wrote them,
never added or taken away.

Only whole words match, and the spellings stop at MAX_SPELLINGS, cheapest first (each
form's plainest spelling before any alternative), so no name can make the search
explode. Shared by the rules (text.py), the per-request search's FTS5 query
(search.py), the sweep's word lookups (sweep.py) and its prefilter (prefilter.py).
"""

from __future__ import annotations

import heapq
import re
from dataclasses import dataclass
from functools import lru_cache

from dsr_app.identifiers import fold
from dsr_app.matching.spellings import (
    cheapest,
    native_initials,
    native_spellings,
    script_of,
)

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
        "ő": "oe",
        "Ő": "Oe",
        "ű": "ue",
        "Ű": "Ue",
        "đ": "dj",
        "Đ": "Dj",
    }
)
# Runs of what is not a folded letter or digit: the boundaries between words.
NON_WORD = re.compile(r"[^a-z0-9]+")
_APOSTROPHES = str.maketrans("", "", "'’ʼ`´")

# Folded words that begin a surname when they stand before another part of it
# (Dutch, German, French, Spanish, Portuguese, Italian, Scandinavian, Irish,
# Scottish, Welsh). Not at the start of a name ("Van Morrison" is a given name).
_PARTICLES = frozenset(
    "van von zu vom zum zur der den de del della dello degli dei di da das do dos du"
    " des la le lo los las ter ten te t op uit in und af av ni nic mac mc o ui mhic"
    " bean ap ab fitz st".split()
)
# Particles that a list sorted by surname writes after the given names ("Berg, Anna
# van der", "Goethe, Johann Wolfgang von"); the others stay with the surname ("Ní
# Bhriain, Áine", "Le Pen, Marine", "De Luca, Marco").
_MOVABLE = frozenset(
    "van von zu vom zum zur der den de du des ter ten te t op uit in af av da das do"
    " dos del".split()
)
# A particle some write joined to its surname ("MacAodha", "OBrien", "DeLuca").
_JOINABLE = frozenset("mac mc o fitz de di da del della le la lo van von st".split())
# Between two surnames, written or not ("Ortega y Gasset", "Silva e Sousa", "Puig i
# Cadafalch").
_CONJUNCTIONS = frozenset({"y", "e", "i"})
# Titles and degrees written without a full stop that are no one's name ("Herr",
# "MBA", "II"); any abbreviation with one is a title too ("Mgr.", "Ph.D.", "DiS.").
_TITLES = frozenset(
    "dr prof mr mrs ms mx mme mlle herr frau phd mba msc bsc llm dsc csc jr ii iii"
    " iv".split()
)
# Countries where a name is written surname first (Nagy István).
_SURNAME_FIRST = frozenset({"HU"})
# Initials stand before a surname of at least this many letters, its particles
# included ("J. Kowalski", "A. van der Berg", not "J. Nowak"): a shorter one points
# the sweep's prefilter at too many records (with 10,000 requesters the sweep took
# 1.7 to 3 times the CPU with 5 or 6 letters, measured before its view marked where
# words begin, when "S. Post" was in "this post"; a one-letter word still is one:
# "A. Post" in "a post"; docs/benchmarks.md).
MIN_INITIALS_SURNAME = 7

MAX_SPELLINGS = 48  # all forms' spellings together, cheapest first
_PER_PART = 8  # spellings of one part


def words(folded: str) -> str:
    """A folded text's words between single spaces, padded with one on each side."""
    return " " + NON_WORD.sub(" ", folded).strip() + " "


@lru_cache(maxsize=16)
def name_text(text: str) -> str:
    """Text as name matching folds it: its folded words between single spaces."""
    return words(fold(text))


def _plain(text: str) -> str:
    return NON_WORD.sub(" ", fold(text)).strip()


@dataclass(frozen=True)
class _Part:
    """One given name, or one part of the surname with the particles before it."""

    spellings: tuple[str, ...]  # folded words, likeliest first
    particles: str = ""  # its particles, folded ("van der"), if any
    core: tuple[str, ...] = ()  # its spellings without them
    initials: tuple[str, ...] = ()  # its words' first letters ("j p"; "th" for Þór)


def _broken_at_capitals(word: str) -> str:
    """``word`` with a space before each capital that follows a small letter: a
    break some write and some do not (MacCárthaigh, McDonald, hAodha, DeLuca)."""
    return "".join(
        " " + c if n and c.isupper() and word[n - 1].islower() else c
        for n, c in enumerate(word)
    )


def _token_spellings(token: str, script: str | None) -> list[str]:
    """Spellings of one word as written (hyphens, apostrophes and all); with a
    ``script``, as that script's spelling of it folds."""
    if script:
        by_word = [native_spellings(w, script) for w in _plain(token).split()]
        return [s for _, s in cheapest(by_word, _PER_PART)]
    found: list[str] = []
    for written in (token, token.translate(_ALTERNATIVES)):
        for variant in (
            written,
            _broken_at_capitals(written),
            written.translate(_APOSTROPHES),
        ):
            plain = _plain(variant)
            if plain and plain not in found:
                found.append(plain)
    return found[:_PER_PART]


def _initials(token: str, script: str | None) -> tuple[str, ...]:
    """Spellings of the initials of one word as written: each hyphenated piece's
    first letter, folded as it is or as typed in two letters (Þ. = Th., Ø. = Oe.);
    with a ``script``, that script's first letter (Φ. for Fotios)."""
    pieces = [p for p in re.split(r"[-\u2010\u2011]+", token) if _plain(p)]
    if script:
        firsts = [native_initials(_plain(p).replace(" ", ""), script) for p in pieces]
        return tuple(s for _, s in cheapest(firsts, _PER_PART))
    found: list[str] = []
    for alternatives in (False, True):
        letters = [p.lstrip("'’")[:1] for p in pieces]
        if alternatives:
            letters = [c.translate(_ALTERNATIVES) for c in letters]
        spelled = " ".join(_plain(c) for c in letters if _plain(c))
        if spelled and spelled not in found:
            found.append(spelled)
    return tuple(found)


def _is_title(token: str) -> bool:
    """A title or degree: a known one, or an abbreviation with a full stop and a
    piece of two letters or more ("Univ.Prof.", "B.Sc."; not "J.-P.": initials)."""
    pieces = _plain(token).split()
    if "".join(pieces) in _TITLES:
        return True
    return "." in token and any(len(piece) > 1 for piece in pieces)


def _tokens(full_name: str) -> list[str]:
    """The name's words in given-first order, without titles and degrees."""
    if full_name.count(",") == 1:  # "Surname, Given" as the person wrote it
        surname, given = full_name.split(",")
        degree = all(_is_title(t) for t in given.split())  # "Anna Nowak, PhD"
        full_name = surname if degree else f"{given} {surname}"
    tokens = full_name.split()
    kept = [t for t in tokens if not _is_title(t)]
    return kept if len(kept) >= 2 else tokens


def _is_particle(token: str, folded: str, first: bool) -> bool:
    # A single letter with a full stop is an initial (D. Nowak), not d' or Ó.
    return not first and folded in _PARTICLES and not token.endswith(".")


def _joined(before: _Part, conjunction: str, after: _Part) -> _Part:
    """Two surname parts with a conjunction between them as one part, the
    conjunction written or left out ("Ortega y Gasset", "Ortega Gasset")."""

    def joint(first: tuple[str, ...]) -> tuple[str, ...]:
        slots = [first, (conjunction, ""), after.spellings]
        return tuple(" ".join(s.split()) for _, s in cheapest(slots, _PER_PART))

    return _Part(
        joint(before.spellings), before.particles, joint(before.core), before.initials
    )


def _parts(full_name: str, script: str | None = None) -> list[_Part]:
    """The name's parts: particles join the part that follows them, a conjunction
    joins the parts either side of it. ``script``: their spellings in it."""
    tokens = _tokens(full_name)
    parts: list[_Part] = []
    particles: list[str] = []
    joined_next = False  # the previous token was a conjunction between surnames
    for n, token in enumerate(tokens):
        folded = _plain(token)
        if not folded:
            continue
        if _is_particle(token, folded, not parts) and n + 1 < len(tokens):
            particles.append(folded)
            continue
        if (
            folded in _CONJUNCTIONS
            and len(parts) > 1
            and n + 1 < len(tokens)
            and not particles
        ):
            joined_next = True
            continue
        core = tuple(_token_spellings(token, script))
        spellings = core
        if particles:
            lead = " ".join(particles)
            spellings = tuple(f"{lead} {s}" for s in core)
            if len(particles) == 1 and particles[0] in _JOINABLE:
                spellings += tuple(f"{lead}{s}" for s in core if " " not in s)
        part = _Part(
            spellings[:_PER_PART], " ".join(particles), core, _initials(token, script)
        )
        if joined_next:  # "Ortega y Gasset": one part
            part = _joined(parts.pop(), _plain(tokens[n - 1]), part)
        parts.append(part)
        particles, joined_next = [], False
    return parts


def _forms(parts: list[_Part], surname_first: bool) -> list[list[tuple[str, ...]]]:
    """The forms of the name, each a list of slots of alternative spellings."""
    written = [p.spellings for p in parts]
    forms = [written]
    # Every cut between given names and surname (given names hold no particles);
    # where names are written surname first, the cut read that way too.
    readings = [
        (parts[:k], parts[k:])
        for k in range(1, len(parts))
        if not any(p.particles for p in parts[:k])
    ]
    if surname_first:
        readings += [(parts[k:], parts[:k]) for k in range(1, len(parts))]
    for given, surname in readings:
        names = [p.spellings for p in given]
        rest = [p.spellings for p in surname]
        forms.append(names + rest)
        forms.append(rest + names)  # "Müller-Łukasik, Zoë"
        lead = surname[0]
        if lead.particles and lead.particles.split()[0] in _MOVABLE:
            # "Berg, Anna van der"
            forms.append([lead.core] + rest[1:] + names + [(lead.particles,)])
        letters = sum(len(p.spellings[0].replace(" ", "")) for p in surname)
        if len(given) > 1 and len(given[0].spellings[0].replace(" ", "")) > 1:
            # "Anna M. Nowak" (when the first given name is no initial itself)
            forms.append(names[:1] + [p.initials for p in given[1:]] + rest)
        if letters >= MIN_INITIALS_SURNAME:
            forms.append([p.initials for p in given] + rest)  # "Z. Müller-Łukasik"
    return forms


def name_variants(full_name: str, country: str = "") -> list[str]:
    """Every spelling of a name we look for, as `` word word `` (padded) strings.

    ``country``: the requester's (ISO 3166-1): whose scripts and order to expect.
    A name of fewer than two words of two letters is not searched for (it would be
    a weak match for half the corpus).
    """
    if sum(len(w) >= 2 for w in _plain(full_name).split()) < 2:
        return []
    parts = _parts(full_name)
    if len(parts) < 2:
        return []
    surname_first = (country or "").upper() in _SURNAME_FIRST
    forms = _forms(parts, surname_first)
    script = script_of(country)
    if script:  # a text in Greek or Cyrillic letters: all of the name in them
        forms += _forms(_parts(full_name, script), surname_first)
    ranked = heapq.merge(
        *(
            ((cost, rank, spelling) for cost, spelling in cheapest(form, MAX_SPELLINGS))
            for rank, form in enumerate(forms)
        )
    )
    spellings: list[str] = []
    for _, _, spelling in ranked:
        padded = " " + " ".join(spelling.split()) + " "
        if padded not in spellings:
            spellings.append(padded)
            if len(spellings) == MAX_SPELLINGS:
                break
    return spellings
