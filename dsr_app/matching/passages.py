"""Near-duplicate passages: the records whose text a person quoted to us, such as
what an AI answered about them (issue 20, item 3; contract section 5, ``pointers``).

A text is read as its folded words (identifiers.fold_ascii: case, accents and
transliteration folded; punctuation and spacing are word breaks), so those never
tell two copies apart. Its *prints* are winnowed word shingles (Schleimer, Wilkerson
and Aiken, "Winnowing: local algorithms for document fingerprinting", SIGMOD 2003):
the hash of every 3 consecutive words, and of every 4 consecutive such hashes the
smallest. Two texts sharing any run of 6 words share a print, whatever else was
edited, while a record keeps about 2 prints in 5 words.

The index (``passage_prints``, FTS5, filled by pointers.refresh_index) holds each
record's prints as 20-bit buckets: small enough that FTS5 stores and merges them
cheaply, large enough that a bucket holds a few dozen records in a million. A
passage's candidates are the records sharing the most buckets with it; rapidfuzz
then compares the folded words and keeps those at least 85 % alike, word by
word.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence

import sqlite_utils
from rapidfuzz import fuzz

from dsr_app.identifiers import fold_ascii

SHINGLE, WINDOW = 3, 4  # words in a shingle; shingles in a winnowing window
BUCKET_BITS = 20
# Fewer words are a name or a phrase, which the name rule and the identifiers
# already search; a passage of 8 words still holds a run of 6 when one is edited
# at either end.
MIN_WORDS = 8
MIN_SCORE = 85.0  # rapidfuzz partial_ratio of the folded words, 0..100
MAX_CHECKED = 50  # candidates compared, most shared prints first
MAX_SHOWN = 4000  # characters of an item's text beside a passage

_WORD = re.compile(rb"[a-z0-9]+")
_TEXT_WORD = re.compile(r"[^\W_]+")


def folded_words(text: str) -> list[bytes]:
    """The words of ``text`` as the index reads them: folded, letters and digits."""
    return _WORD.findall(fold_ascii(text))


def prints(words: Sequence[bytes]) -> set[int]:
    """The winnowed prints of a text's folded ``words``, as buckets."""
    shift = 32 - BUCKET_BITS
    # Shorter tails are cut off: a shingle and a window are whole or not at all.
    shingles = zip(*(words[i:] for i in range(SHINGLE)), strict=False)
    hashes = list(map(zlib.crc32, map(b" ".join, shingles)))
    if len(hashes) <= WINDOW:  # a short text: its one smallest shingle
        return {min(hashes) >> shift} if hashes else set()
    # The minimum of each window of 4, as the minimum of two overlapping pairs.
    pairs = list(map(min, hashes, hashes[1:]))
    return {m >> shift for m in map(min, pairs, pairs[2:])}


def tokens(text: str) -> str:
    """What ``passage_prints`` is given for ``text`` (and deleted with): its
    prints in hexadecimal, or ``""`` for a text too short to have one."""
    return " ".join(map("{:x}".format, sorted(prints(folded_words(text)))))


def _words(text: str) -> list[str]:
    return [w.decode() for w in folded_words(text)]


def similarity(passage: str, text: str) -> float:
    """How alike ``passage`` and the part of ``text`` most like it are (0..100),
    word by word on their folded words (an edited word costs one word, whatever its
    length); the shorter is aligned inside the longer."""
    return fuzz.partial_ratio(_words(passage), _words(text))


def find(db: sqlite_utils.Database, passage: str) -> list[tuple[int, float]]:
    """Records (``records.id``) holding a near copy of ``passage``, with their
    similarity, most alike first; none for a passage under ``MIN_WORDS`` words.

    Candidates share at least a third as many prints with it as the best one does
    (a copy shares most of its prints, a stranger one or two); at most
    ``MAX_CHECKED`` are compared. Reads the index as ``pointers.refresh_index`` left
    it.
    """
    words = folded_words(passage)
    if len(words) < MIN_WORDS:
        return []
    votes: Counter[int] = Counter()
    for bucket in prints(words):
        votes.update(
            r[0]
            for r in db.execute(
                "SELECT rowid FROM passage_prints WHERE passage_prints MATCH ?",
                [f'"{bucket:x}"'],
            )
        )
    ranked = votes.most_common(MAX_CHECKED)
    candidates = [record for record, n in ranked if 3 * n >= ranked[0][1]]
    if not candidates:
        return []
    left = [w.decode() for w in words]
    marks = ",".join("?" * len(candidates))
    found = []
    for record, text in db.execute(
        f"SELECT id, text FROM records WHERE id IN ({marks}) AND text IS NOT NULL",
        candidates,
    ):
        score = fuzz.partial_ratio(left, _words(text), score_cutoff=MIN_SCORE)
        if score:
            found.append((record, score))
    return sorted(found, key=lambda hit: (-hit[1], hit[0]))


def shared_words(passage: str, text: str) -> frozenset[str]:
    """The folded words ``passage`` and ``text`` have in common."""
    return frozenset(_words(passage)).intersection(_words(text))


def marked(text: str, shared: Iterable[str]) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, marked) pieces, a piece marked where its words
    are among the ``shared`` folded words; neighbouring marked words separated by
    spaces alone are one piece. For a page to wrap the marked pieces in ``<mark>``
    and escape every piece."""
    shared = frozenset(shared)
    pieces: list[tuple[str, bool]] = []
    last = 0
    for found in _TEXT_WORD.finditer(text):
        keys = _words(found.group())
        if not keys or not all(k in shared for k in keys):
            continue
        start, end = found.span()
        gap = text[last:start]
        if pieces and pieces[-1][1] and gap.isspace():
            pieces[-1] = (pieces[-1][0] + gap + found.group(), True)
        else:
            if gap:
                pieces.append((gap, False))
            pieces.append((found.group(), True))
        last = end
    if last < len(text):
        pieces.append((text[last:], False))
    return pieces


def overlap_span(passage: str, text: str) -> tuple[int, int]:
    """Where in ``text`` its longest run of words shared with ``passage`` stands
    ((0, 0) if none): the place its snippet shows."""
    best, at = (0, 0), 0
    for piece, is_marked in marked(text, shared_words(passage, text)):
        if is_marked and len(piece) > best[1] - best[0]:
            best = (at, at + len(piece))
        at += len(piece)
    return best
