"""Which texts of a batch may hold any requester's identifier, in one scan.

The sweep checks every record against every requester. Most records concern nobody,
and the rules (rules.py) run in Python record by record, so the sweep first asks
this prefilter, which looks at a whole batch of texts at once in
compiled code: the texts are folded (case, accents, script) and stripped of all but
letters and digits, each letter that begins a word marked (in C: _squash.c), and an
Aho-Corasick automaton finds every requester's names, e-mails, handles and
phone-number endings in that view (in C: _scan.c, which scans four texts at a time;
else Rust's aho-corasick). Only the records it points at go through the rules.

It never misses a match: dropping the same characters from a text and from an
identifier keeps every place where the one holds the other, and each rule's hit
holds its literal in that view (a name's spelling between word boundaries, the
e-mail or handle as written, the last digits of the number whatever its spelling).
The marks are the same on both sides too: where the rules find a name, its words
are whole words of the folded text (text.name_hit), each begun where a word of the
spelling begins; a handle follows its "@", and its dots and underscores are its
own; an e-mail address's characters are its own, and only its first letter may
follow another (an "ⓐ" folds to "a"), so its literal leaves that letter out. Digits
are never marked (a phone number's are written in any groups). So ``E. Dąbrowski``
(``edabrowski`` marked ``E``, ``D``) is not in ``the Dąbrowski`` (``T``, ``D``),
nor ``Anna Nowak`` in ``Hanna Nowak``; the prefilter may still point at more
(``Anna Nowakowska``): the rules then say no.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

import ahocorasick_rs
import msgspec

from dsr_app.identifiers import fold_ascii, spaced_char
from dsr_app.matching.identity import Identity

try:  # compiled by pip install (hatch_build.py); the same view without a Python
    # call per character
    from dsr_app._squash import squash as _squash_texts
    from dsr_app._squash import squash_json as _squash_json
except ImportError:  # pragma: no cover - a source tree nobody built
    _squash_texts = _squash_json = None
try:  # likewise: the same texts found, several texts walked at once
    from dsr_app.matching._scan import automaton as _scan_automaton
    from dsr_app.matching._scan import texts_with as _texts_with
except ImportError:  # pragma: no cover - a source tree nobody built
    _scan_automaton = _texts_with = None

PHONE_TAIL = 7  # digits of a number's end looked for (fewer when its number is short)

_KEPT = b"abcdefghijklmnopqrstuvwxyz0123456789"
_DROPPED = bytes(b for b in range(256) if b not in _KEPT)
_SEPARATOR = "\x00"  # between the texts of a batch, kept in the view
# A view marks each letter that begins a word (after anything but a letter or
# digit in fold's output, or at a text's start) with the high bit.
WORD_START = 0x80
_LETTERS = b"abcdefghijklmnopqrstuvwxyz"
_MARKED = bytes(b | WORD_START for b in _LETTERS)
_MARK = {bytes([b]): bytes([b | WORD_START]) for b in _LETTERS}
_WORD_FIRST = re.compile(rb"(?<![a-z0-9])[a-z]")
# The batch's view in one pass over fold's output before its own lower-casing:
# capitals lower-cased, letters that begin words marked, all else but letters,
# digits and the separator dropped.
_LOWER = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"abcdefghijklmnopqrstuvwxyz")
_DROPPED_IN_BATCH = bytes(
    b for b in range(256) if b not in _KEPT + _MARKED + _SEPARATOR.encode()
)
# A literal is looked for by its first 12 letters and digits: what a text holds
# in full it holds in part, and longer patterns only make the automaton bigger
# and slower to build without finding fewer texts (docs/benchmarks.md).
_PREFIX = 12
# Beyond this many pattern bytes the automaton is an NFA (Rust's): a DFA reads one
# table entry per byte instead of following failure links, but takes about 100
# bytes of memory per pattern byte (Rust's and _scan.c's).
_MAX_DFA_BYTES = 1_500_000


def squash(text: str) -> bytes:
    """``text`` folded, letters and digits only: its view without the marks."""
    return fold_ascii(text).translate(None, _DROPPED)


def view(texts: list[str]) -> bytes:
    """The texts as the prefilter sees them: each ``squash``-ed, each letter that
    begins a word marked (``WORD_START``), joined by NUL bytes (a NUL in a text is
    dropped like every character but letters and digits).

    In C when compiled (_squash.c): fold works one character at a time, so each
    character's fold is asked of Python once and kept.
    """
    if _squash_texts is not None:
        return _squash_texts(texts, spaced_char)
    return python_view(texts)


def python_view(texts: list[str]) -> bytes:
    """``view`` in Python: one fold of the joined texts (and the reference the C
    one is tested against)."""
    joined = _SEPARATOR.join(texts)
    if joined.count(_SEPARATOR) != len(texts) - 1:  # a text holds the separator
        joined = _SEPARATOR.join(t.replace(_SEPARATOR, " ") for t in texts)
    folded = fold_ascii(joined, lower=False).translate(_LOWER)
    marked = _WORD_FIRST.sub(lambda first: _MARK[first[0]], folded)
    return marked.translate(None, _DROPPED_IN_BATCH)


def json_view(strings: list) -> bytes | None:
    """``view`` of the texts that ``strings`` are as JSON (``msgspec.Raw``: the
    string as written, quotes, escapes and UTF-8), without building them; ``None``
    when one is not a string that msgspec would read as ``str``.

    In C when compiled: escapes are read, UTF-8 is checked as Python's decoder
    checks it, and a surrogate must be half of a pair; anything else, None.
    """
    if _squash_json is not None:
        return _squash_json(strings, spaced_char)
    try:
        return python_view([_decode_str(string) for string in strings])
    except _BAD_STRING:
        return None


_decode_str = msgspec.json.Decoder(str).decode
_BAD_STRING = (msgspec.MsgspecError, ValueError)


def phone_tail(identity: Identity) -> str:
    """The last digits of the verified number, as every spelling of it ends."""
    tail = min(PHONE_TAIL, len(identity.phone_national))
    return identity.phone[-tail:] if identity.phone and tail else ""


def literals(identity: Identity) -> list[str]:
    """What of ``identity`` a text must hold (in the view) to match it."""
    found = [variant.strip() for variant in identity.names]
    found.extend(identity.verified_handles | identity.other_handles)
    if identity.phone:  # ("" if it has no national number: no prefilter then)
        found.append(phone_tail(identity))
    if identity.email:  # last: its first letter is left out (patterns)
        found.append(identity.email)
    return found


def patterns(identities: Iterable[Identity]) -> Iterator[bytes]:
    """The literals of ``identities`` in the view, marked as a text that matches
    holds them, by their first ``_PREFIX`` bytes; b"" for one with no letter or
    digit."""
    found = [literals(identity) for identity in identities]
    # every literal in one view, as texts are, then split
    squashed = iter(view([lit for lits in found for lit in lits]).split(b"\x00"))
    for identity, lits in zip(identities, found, strict=True):
        for _ in range(len(lits) - bool(identity.email)):
            yield next(squashed)[:_PREFIX]
        if identity.email:  # a letter may stand before it, unmarked: left out
            email = next(squashed)
            if email[:1] and email[0] & WORD_START:
                email = email[1:] or bytes([email[0] & ~WORD_START])
            yield email[:_PREFIX]


class Prefilter:
    """The literals of many requesters, compiled once per process."""

    def __init__(self, identities: Iterable[Identity]):
        found = set(patterns(list(identities)))
        # a literal with no letter or digit: no prefilter
        self.everything = b"" in found
        found.discard(b"")
        self.patterns = sorted(found)
        self._automaton = None

    def __getstate__(self) -> dict:
        # The compiled automaton does not pickle; each process compiles its own.
        return {**self.__dict__, "_automaton": None}

    @property
    def automaton(self) -> object:
        """The compiled automaton: ``_scan.automaton``'s, or ahocorasick_rs'."""
        if self._automaton is None:
            self.compile()
        return self._automaton

    def compile(self, compiled: bool = True) -> None:
        """Build the automaton now (else on first use): processes forked after
        this share it. ``compiled=False``: Rust's, even where _scan.c's is built
        (tests compare the two)."""
        size = sum(map(len, self.patterns))
        if compiled and _scan_automaton is not None and size <= _MAX_DFA_BYTES:
            self._automaton = _scan_automaton(self.patterns)
            return
        self._automaton = ahocorasick_rs.BytesAhoCorasick(
            self.patterns,
            implementation=ahocorasick_rs.Implementation.DFA
            if size <= _MAX_DFA_BYTES
            else ahocorasick_rs.Implementation.ContiguousNFA,
        )

    def hits(self, texts: list[str]) -> set[int]:
        """Indexes of the texts that may hold a literal (all of them when some
        requester's literal has nothing to look for)."""
        if self.everything or not self.patterns or not texts:
            return self.hits_in_view(b"", len(texts))
        return self.hits_in_view(view(texts), len(texts))

    def hits_in_view(self, squashed: bytes, count: int) -> set[int]:
        """``hits`` of the ``count`` texts whose ``view`` is ``squashed``."""
        if self.everything:
            return set(range(count))
        if not self.patterns or not count:
            return set()
        automaton = self.automaton
        if not isinstance(automaton, ahocorasick_rs.BytesAhoCorasick):
            return set(_texts_with(automaton, squashed))
        # overlapping: every pattern found, also one inside or across another's hit
        found = automaton.find_matches_as_indexes(squashed, overlapping=True)
        if not found:
            return set()
        separator = _SEPARATOR.encode()
        indexes, index, last = set(), 0, 0
        for start in sorted(start for _, start, _ in found):
            index += squashed.count(separator, last, start)
            last = start
            indexes.add(index)
        return indexes
