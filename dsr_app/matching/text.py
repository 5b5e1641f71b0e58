"""One text as the rules read it (TextView), where an identifier or a name stands in
it, and how a position in its folded words maps back to the text as written."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cached_property

from dsr_app.identifiers import (
    emails_in,
    fold,
    handles_in,
    parse_phone,
    phone_candidates,
)
from dsr_app.matching.identity import Identity
from dsr_app.matching.names import NON_WORD, words

# Top-level domains a bare host is recognised by ("anna-nowak.pl/about"): the
# generic ones in common use and those of the EU/EEA and its neighbours.
_TLDS = sorted(
    set(
        "com org net info biz edu gov int eu io co me tv app dev ai xyz online site"
        " blog shop art news page social studio at be bg ch cy cz de dk ee es fi fr"
        " gr hr hu ie is it li lt lu lv mt nl no pl pt ro se si sk uk ua rs ba mk al"
        " md".split()
    ),
    key=lambda tld: (-len(tld), tld),
)
# What holds words but is not prose (issue 20, item 2): e-mail addresses and
# @handles (a whole word with an "@": the local part "anna.nowak.studio@" and the
# handle "@anna.nowak.art" are not a mention of Anna Nowak by name, they have
# rules of their own), links with a scheme or "www.", and bare hosts with a known
# top-level domain and any path after them.
_NOT_PROSE = re.compile(
    r"(?<!\S)[^\s@]*@\S*"
    r"|(?<!\S)\S*?://\S*"
    r"|(?<![^\s(\[<\"'])(?i:www)\.\S*"
    r"|(?<![^\s(\[<\"'])(?:[^\W_][\w-]*\.)+(?i:" + "|".join(_TLDS) + r")"
    r"(?![\w-])(?:[/?#:]\S*)?"
)
# A name joined to more by one of these is part of a longer word, name or
# identifier: "Müller-Łukasik" is not Zoë Müller, "Maria-Anna Nowak" not Anna Nowak,
# "anna.nowak.studio" and "anna_nowak" not a name at all.
_JOINERS = frozenset("-\u2010\u2011\u2013_.")
# An apostrophe that begins a name ("'s Gravensande") is no word of it: what joins
# the name to a word before stands before the apostrophe ("Man-'s Gravensande").
_APOSTROPHES = "'\u2019\u02bc`\u00b4"


def prose(text: str) -> str:
    """``text`` with what is not prose (e-mail addresses, @handles, links) made
    ``0`` characters: same length, no name words, positions unchanged."""
    if not any(mark in text for mark in ("@", "://", ".")):
        return text
    return _NOT_PROSE.sub(lambda m: "0" * len(m.group()), text)


# BCP 47 language of a text -> the country whose national phone spelling it likely
# uses (the requester's own country is always tried too).
LANGUAGE_REGIONS = {
    "bg": "BG",
    "cs": "CZ",
    "da": "DK",
    "de": "DE",
    "el": "GR",
    "es": "ES",
    "et": "EE",
    "fi": "FI",
    "fr": "FR",
    "ga": "IE",
    "hr": "HR",
    "hu": "HU",
    "is": "IS",
    "it": "IT",
    "lt": "LT",
    "lv": "LV",
    "mt": "MT",
    "nb": "NO",
    "nl": "NL",
    "nn": "NO",
    "no": "NO",
    "pl": "PL",
    "pt": "PT",
    "ro": "RO",
    "sk": "SK",
    "sl": "SI",
    "sv": "SE",
}


def _regions(record: Mapping, identity: Identity) -> list[str]:
    """Countries whose national spelling may hide the verified number: its own, the
    requester's, and the one the text's language suggests."""
    regions = [identity.phone_region] if identity.phone_region else []
    if identity.country not in regions:
        regions.append(identity.country)
    lang = (record.get("lang") or "").split("-")
    region = lang[1].upper() if len(lang) > 1 and len(lang[1]) == 2 else None
    region = region or LANGUAGE_REGIONS.get(lang[0].lower())
    if region and region not in regions:
        regions.append(region)
    return regions


class TextView:
    """What the rules read from one text, worked out once however many requesters
    are checked against it (the sweep checks several per record)."""

    def __init__(self, text: str):
        self.text = text

    @cached_property
    def emails(self) -> list[tuple[str, tuple[int, int]]]:
        if "@" not in self.text:
            return []
        return [(m.group().lower(), m.span()) for m in emails_in(self.text)]

    @cached_property
    def handles(self) -> list[tuple[str, tuple[int, int]]]:
        if "@" not in self.text:
            return []
        return [(h.lower(), (s, e)) for s, e, h in handles_in(self.text)]

    @cached_property
    def phones(self) -> list[tuple[str | None, object]]:
        return [(c.key(), c) for c in phone_candidates(self.text)]

    @cached_property
    def folded(self) -> str:
        return fold(self.text)

    @cached_property
    def prose(self) -> str:  # prose(text): where names are looked for
        return prose(self.text)

    @cached_property
    def prose_folded(self) -> str:
        return self.folded if self.prose == self.text else fold(self.prose)

    @cached_property
    def spaced(self) -> str:  # name_text(prose(text)), from the one fold
        return words(self.prose_folded)


def phone_hits(
    view: TextView, record: Mapping, identity: Identity
) -> list[tuple[int, int]]:
    """Spans where the verified phone is written, in E.164 terms.

    A stretch counts when its index key is one of the phone's (so the index and the
    sweep find the same records) and it parses to the very number: international
    spellings on their own, national ones in the requester's country or the text's.
    """
    keys = identity.phone_keys()
    hits = []
    for key, candidate in view.phones:
        if key not in keys:
            continue
        if candidate.international or any(
            parse_phone(candidate.raw, region) == identity.phone
            for region in _regions(record, identity)
        ):
            hits.append((candidate.start, candidate.end))
    return hits


def name_spelled(view: TextView, identity: Identity) -> bool:
    """Whether a spelling of the name stands in the text's prose as whole words:
    what ``name_hit`` looks for before it asks what the words are joined to (a
    cheaper test for the sweep's candidates, true wherever ``name_hit`` finds)."""
    spaced = view.spaced
    return any(variant in spaced for variant in identity.names)


def name_hit(view: TextView, identity: Identity) -> tuple[int, int] | None:
    """Where a spelling of the name stands in the text's prose, whole and alone
    (the span of its words as written)."""
    spaced = view.spaced
    for variant in identity.names:
        at = spaced.find(variant)
        while at >= 0:
            span = _original_span(view.prose, at, len(variant) - 2, view.prose_folded)
            if _stands_alone(view.text, span):
                return span
            at = spaced.find(variant, at + 1)
    return None


def _stands_alone(text: str, span: tuple[int, int]) -> bool:
    """Whether the words at ``span`` are not joined to a word before or after them
    by a hyphen, dot or underscore, nor joined inside by an underscore."""
    start, end = span
    if end + 1 < len(text) and text[end] in _JOINERS and text[end + 1].isalnum():
        return False
    before = len(text[:start].rstrip(_APOSTROPHES))
    if before >= 2 and text[before - 1] in _JOINERS and text[before - 2].isalnum():
        return False
    return "_" not in text[start:end]


def _original_span(
    text: str, folded_at: int, length: int, folded: str | None = None
) -> tuple[int, int]:
    """Map a position in ``name_text(text)`` back to ``text`` (folding may change
    lengths: ß → ss).

    ``name_text`` is the folded text with each run of other characters than
    letters and digits made one space (none before the first word); fold works
    one character at a time, so only the non-ASCII characters can fold to more
    or fewer than one. Both are walked run by run, not character by character.
    ``folded``: ``fold(text)``, when the caller has it.
    """
    folded = fold(text) if folded is None else folded
    first = _folded_offset(folded, folded_at)
    if first is None:
        return 0, len(text)
    start = _character_at(text, first)
    last = _folded_offset(folded, folded_at + max(length, 1) - 1)
    if last is None:
        return start, len(text)
    return start, _character_at(text, last) + 1


def _folded_offset(folded: str, n: int) -> int | None:
    """Where in ``folded`` the ``n``-th character (from 0) of its words with single
    spaces between them comes from, if it has that many."""
    dropped = 0  # characters of ``folded`` before there that the words drop
    for run in NON_WORD.finditer(folded):
        start, end = run.span()
        if start == 0:  # a run before the first word is dropped whole
            dropped = end
            continue
        if start - dropped > n:
            break
        if start - dropped == n:
            return start  # the run's one space
        dropped += end - start - 1
    return n + dropped if n + dropped < len(folded) else None


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _character_at(text: str, offset: int) -> int:
    """The character of ``text`` whose fold holds ``fold(text)[offset]``."""
    extra = 0  # characters that the non-ASCII ones before there fold to, less one
    for character in _NON_ASCII.finditer(text):
        index = character.start()
        if index + extra > offset:
            break
        width = len(fold(character.group()))
        if index + extra + width > offset:
            return index
        extra += width - 1
    return offset - extra
