"""Spelling alternatives of a name: combinations cheapest first, and a Latin name as
a text in Greek or Cyrillic letters reads once folded.

A person in Greece, Cyprus or Bulgaria gives their name in Latin letters ("Dimitris
Papadopoulos", "Valentina Valkova"), as in their passport; others write it in their
own script ("Δημήτρης Παπαδόπουλος", "Валентина Вълкова"), which the index and the
sweep fold with unidecode ("demetres papadopoulos", "valentina v lkova": every text
is folded one way, so the name must be looked for in that spelling too). The tables
below read the Latin spelling back into the letters it stands for (ELOT 743 for
Greek, Bulgaria's official transliteration of 2009), each letter with the ones it
may also stand for, and unidecode folds them as it folds the texts. Used by
names.py (issue 20, item 1).
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterator, Sequence

from dsr_app.identifiers import fold

# A folded name's runs of other characters than letters and digits (word breaks).
_NON_WORD = re.compile(r"[^a-z0-9]+")

_VOWELS = frozenset("aeiouy")


def cheapest(slots: Sequence[Sequence[str]], limit: int) -> Iterator[tuple[int, str]]:
    """Up to ``limit`` combinations of one alternative per slot, as (cost, words
    joined by spaces), cheapest first: an alternative costs its place in its slot
    (the first, the likeliest, costs nothing), a combination the sum."""
    if not slots or any(not slot for slot in slots):
        return
    first = (0,) * len(slots)
    heap, seen, given = [(0, first)], {first}, 0
    while heap and given < limit:
        cost, picks = heapq.heappop(heap)
        yield cost, " ".join(slot[i] for slot, i in zip(slots, picks, strict=True))
        given += 1
        for n, pick in enumerate(picks):
            if pick + 1 < len(slots[n]):
                after = picks[:n] + (pick + 1,) + picks[n + 1 :]
                if after not in seen:
                    seen.add(after)
                    heapq.heappush(heap, (cost + 1, after))


# Latin letters (ELOT 743, as in Greek passports) -> the Greek letters they may
# stand for, likeliest first; for "i" the choice depends on the next letter
# (_greek_i). Digraphs are read before single letters.
_GREEK = {
    "ai": ("αι", "αη"),  # Μιχαήλ: Michail
    "ei": ("ει", "εη"),
    "oi": ("οι", "οη"),  # Αλκινόη: Alkinoi
    "ou": ("ου",),
    "yi": ("υι", "γι"),
    "av": ("αυ", "αβ"),  # Παύλος, but Αβραμίδης
    "af": ("αυ", "αφ"),
    "ev": ("ευ", "εβ"),
    "ef": ("ευ", "εφ"),
    "ng": ("γγ", "νγ"),
    "gg": ("γγ",),
    "gk": ("γκ",),
    "nch": ("γχ",),
    "mb": ("μπ", "μβ"),  # Λάμπρος: Lambros
    "nd": ("νδ", "ντ"),  # Αλέξανδρος, but Ανδρέας is also Antreas
    "th": ("θ",),
    "ch": ("χ",),
    "kh": ("χ",),
    "ph": ("φ",),
    "ps": ("ψ",),
    "ks": ("κσ", "ξ"),
    "ts": ("τσ",),
    "tz": ("τζ",),
    "a": ("α",),
    "b": ("μπ", "β"),  # ELOT: μπ at the start; others write β as b
    "c": ("κ",),  # Costas
    "d": ("δ",),
    "e": ("ε",),
    "f": ("φ",),
    "g": ("γ",),
    "h": ("χ",),  # Hristos
    "k": ("κ",),
    "l": ("λ",),
    "m": ("μ",),
    "n": ("ν",),
    "o": ("ο",),
    "p": ("π",),
    "r": ("ρ",),
    "s": ("σ",),
    "t": ("τ",),
    "u": ("ου",),
    "v": ("β",),
    "x": ("ξ",),
    "y": ("υ",),
    "z": ("ζ",),
}

# Latin letters (Bulgaria's official system) -> Cyrillic letters. ъ is written "a"
# (Вълков: Valkov) and unidecode folds it to an apostrophe, a word break.
_CYRILLIC = {
    "sht": ("щ",),
    "shch": ("щ",),
    "zh": ("ж",),
    "kh": ("х",),
    "ts": ("ц",),
    "ch": ("ч",),
    "sh": ("ш",),
    "yu": ("ю",),
    "ya": ("я",),
    "yo": ("йо", "ьо"),
    "a": ("а",),
    "b": ("б",),
    "c": ("ц", "к"),
    "d": ("д",),
    "e": ("е",),
    "f": ("ф",),
    "g": ("г",),
    "h": ("х",),
    "i": ("и",),
    "j": ("й", "дж"),
    "k": ("к",),
    "l": ("л",),
    "m": ("м",),
    "n": ("н",),
    "o": ("о",),
    "p": ("п",),
    "r": ("р",),
    "s": ("с",),
    "t": ("т",),
    "u": ("у", "ъ"),
    "v": ("в",),
    "w": ("в",),
    "x": ("кс",),
    "y": ("й", "ъ"),
    "z": ("з",),
}

# Countries whose people's names others write in Greek or Cyrillic letters.
_SCRIPTS = {"GR": "greek", "CY": "greek", "BG": "cyrillic"}
# Each word's spellings stop here (cheapest first): a name cannot multiply them.
MAX_PER_WORD = 8


def _greek_i(word: str, at: int) -> tuple[str, ...]:
    """Greek letters a Latin "i" may stand for: after an "i" η first (Γαβριήλ),
    before a vowel ι (Γεώργιος), at the end of a word η first (Ελένη, Δημήτρης),
    else ι first (Νίκος, but Δημήτρης)."""
    after = word[at + 1 : at + 2]
    if word[at - 1 : at] == "i":
        return ("η", "ι")  # Γαβριήλ: Gavriil
    if after and after in _VOWELS:
        return ("ι",)
    if not after or word[at + 1 :] == "s":
        return ("η", "ι")
    return ("ι", "η")


def _bulgarian_a(word: str, at: int) -> tuple[str, ...]:
    """Cyrillic letters a Latin "a" may stand for: а, or ъ between two consonants
    (Вълков: Valkov)."""
    before, after = word[at - 1 : at], word[at + 1 : at + 2]
    if at and after and before not in _VOWELS and after not in _VOWELS:
        return ("а", "ъ")
    return ("а",)


def _letters(word: str, script: str) -> list[tuple[str, ...]]:
    """``word`` (folded Latin) cut into letters of ``script``: one slot of
    alternatives per Latin letter or digraph, longest first."""
    table = _GREEK if script == "greek" else _CYRILLIC
    slots, at = [], 0
    while at < len(word):
        if script == "greek" and word[at] == "i":
            slots.append(_greek_i(word, at))
            at += 1
            continue
        if script == "cyrillic" and word[at] == "a":
            slots.append(_bulgarian_a(word, at))
            at += 1
            continue
        if script == "cyrillic" and word[at:] == "ia" and at:
            slots.append(("ия", "я"))
            break
        for size in (4, 3, 2, 1):
            chunk = word[at : at + size]
            if len(chunk) == size and chunk in table:
                slots.append(table[chunk])
                at += size
                break
        else:
            slots.append((word[at],))  # a digit or a letter the table lacks
            at += 1
    return slots


def script_of(country: str) -> str | None:
    """The script other people may write the names of ``country``'s people in."""
    return _SCRIPTS.get((country or "").upper())


def native_spellings(word: str, script: str) -> list[str]:
    """Folded spellings of a Latin word (folded) written in ``script``, as a text
    in that script reads once folded: ``dimitris`` -> ``demetres``, ...; cheapest
    first, at most MAX_PER_WORD, each a run of words between single spaces."""
    found: list[str] = []
    for _, letters in cheapest(_letters(word, script), MAX_PER_WORD * 4):
        spelled = _NON_WORD.sub(" ", fold(letters.replace(" ", ""))).strip()
        if spelled and spelled not in found:
            found.append(spelled)
            if len(found) == MAX_PER_WORD:
                break
    return found


def native_initials(word: str, script: str) -> list[str]:
    """Folded spellings of the initial of a Latin word (folded) written in
    ``script``: the first letter its first letters stand for (``fotios`` -> Φ. ->
    ``ph``, ``yordan`` -> Й. -> ``i``)."""
    slots = _letters(word, script)
    found: list[str] = []
    for letters in slots[0] if slots else ():
        spelled = _NON_WORD.sub("", fold(letters[0]))
        if spelled and spelled not in found:
            found.append(spelled)
    return found
