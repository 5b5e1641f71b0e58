"""The matching rules: does a record hold a requester's own content or mention them?

Pure functions over plain data (no database, no global state), shared by the indexed
per-request search (search.py) and the batch sweep (sweep.py), so that both decide
every (record, requester) pair the same way. They differ only in how they find the
candidate pairs.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import phonenumbers

from dsr_app.corpus.records import policy_flag_names
from dsr_app.identifiers import (
    digit_groups,
    emails_in,
    fold,
    handles_in,
    national_digits,
    parse_phone,
    phone_candidates,
)

SNIPPET_CHARS = 160

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
_NON_WORD = re.compile(r"[^a-z0-9]+")

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


@lru_cache(maxsize=16)
def name_text(text: str) -> str:
    """Text as name matching sees it: folded words between single spaces."""
    return " " + _NON_WORD.sub(" ", fold(text)).strip() + " "


MAX_SPELLINGS = 16  # transliteration alternatives stop doubling beyond this


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
    plain = [_NON_WORD.sub(" ", fold(t)).strip() for t in tokens]
    if sum(len(w) >= 2 for p in plain for w in p.split()) < 2:
        return []
    per_token, count = [], 1
    for token, folded in zip(tokens, plain, strict=True):
        options = {folded}
        alternative = _NON_WORD.sub(" ", fold(token.translate(_ALTERNATIVES))).strip()
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


@dataclass(frozen=True)
class Identity:
    """Everything we search for on behalf of one verified request."""

    request_id: str
    country: str
    full_name: str = ""
    email: str | None = None  # verified e-mail (compared case-insensitively)
    phone: str | None = None  # verified phone, E.164
    account_ids: frozenset[str] = frozenset()  # owned accounts
    verified_handles: frozenset[str] = frozenset()  # handles of owned accounts
    other_handles: frozenset[str] = frozenset()  # named, not proven: weak
    names: tuple[str, ...] = field(default=())  # name_variants(full_name)
    phone_key_set: frozenset[str] = frozenset()  # see phone_keys()
    phone_region: str | None = None  # the country the verified number belongs to
    phone_national: str = ""  # its national significant number (digits)

    @classmethod
    def build(cls, **values) -> Identity:
        """An identity with its name spellings worked out."""
        identity = cls(**values)
        object.__setattr__(identity, "names", tuple(name_variants(identity.full_name)))
        if identity.phone:  # parsed once here, not for every record checked
            keys = {"p:" + identity.phone, "n:" + national_digits(identity.phone)}
            object.__setattr__(identity, "phone_key_set", frozenset(keys))
            number = phonenumbers.parse(identity.phone, None)
            region = phonenumbers.region_code_for_number(number)
            object.__setattr__(identity, "phone_region", region)
            national = phonenumbers.national_significant_number(number)
            object.__setattr__(identity, "phone_national", national)
        verified = frozenset(h.lower() for h in identity.verified_handles)
        object.__setattr__(identity, "verified_handles", verified)
        object.__setattr__(
            identity,
            "other_handles",
            frozenset(h.lower() for h in identity.other_handles) - verified,
        )
        return identity

    @property
    def email_key(self) -> str | None:
        return self.email.lower() if self.email else None

    def phone_keys(self) -> frozenset[str]:
        """Index keys under which the verified phone may be written."""
        return self.phone_key_set


# matched_on of another author's copy of a text the requester had removed: found by
# removal.follow_up (copies.py), never by the search, always weak (issue 16).
CONTENT = "content"


@dataclass(frozen=True)
class Match:
    """One reason a record concerns a requester (contract section 5, ``matches``)."""

    request_id: str
    dataset: str
    dataset_version: str
    record_id: str
    match_kind: str  # own | mention
    matched_on: str  # account | email | phone | handle | name | content
    confidence: str  # verified | weak
    snippet: str
    policy_flags: tuple[str, ...]

    @property
    def match_id(self) -> str:
        """Stable across re-runs, so staff decisions survive a new search."""
        key = "|".join(
            (
                self.request_id,
                self.dataset,
                self.dataset_version,
                self.record_id,
                self.match_kind,
                self.matched_on,
            )
        )
        return "m_" + hashlib.sha256(key.encode()).hexdigest()[:20]


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
    def spaced(self) -> str:  # name_text(text), from the one fold
        return " " + _NON_WORD.sub(" ", self.folded).strip() + " "


def _phone_hits(
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


def _name_hit(view: TextView, identity: Identity) -> tuple[int, int] | None:
    """Where a spelling of the name stands in the text (approximate span)."""
    for variant in identity.names:
        at = view.spaced.find(variant)
        if at >= 0:
            return _original_span(view.text, at, len(variant.strip()), view.folded)
    return None


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
    for run in _NON_WORD.finditer(folded):
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


def match_record(
    record: Mapping, identity: Identity, view: TextView | None = None
) -> list[Match]:
    """Every match of ``identity`` in one record (``record``: a manifest record).

    Own content: the author is an owned account (by id or by its handle). Mentions:
    the verified e-mail standing alone, the verified phone in any common spelling
    (compared in E.164, never inside a longer digit run), an @handle (whole), and the
    full name (weak: namesakes exist, docs/security.md L7). ``view``: the record's text,
    already read (optional).
    """
    text = record.get("text") or ""
    view = view if view is not None else TextView(text)
    found: dict[tuple[str, str], tuple[str, tuple[int, int]]] = {}

    # The author's account id decides; the handle only when a record has no id
    # (handles are renamed and recycled: a handle alone must not make another
    # person's post "own").
    author_id = record.get("author_id")
    author_handle = (record.get("author_handle") or "").lower()
    if (author_id and author_id in identity.account_ids) or (
        not author_id and author_handle and author_handle in identity.verified_handles
    ):
        found[("own", "account")] = ("verified", (0, 0))

    if identity.email_key:
        for email, span in view.emails:
            if email == identity.email_key:
                found.setdefault(("mention", "email"), ("verified", span))
                break
    if identity.phone:
        hits = _phone_hits(view, record, identity)
        if hits:
            found[("mention", "phone")] = ("verified", hits[0])
    if identity.verified_handles or identity.other_handles:
        for handle, span in view.handles:
            if handle in identity.verified_handles:
                found[("mention", "handle")] = ("verified", span)
                break
            if handle in identity.other_handles:
                found.setdefault(("mention", "handle"), ("weak", span))
    if identity.names:
        span = _name_hit(view, identity)
        if span:
            found[("mention", "name")] = ("weak", span)

    flags = tuple(policy_flag_names(int(record.get("policy_flags") or 0)))
    return [
        Match(
            identity.request_id,
            record["dataset"],
            record["dataset_version"],
            record["record_id"],
            kind,
            on,
            confidence,
            snippet(text, span if kind == "mention" else (0, 0), identity, record),
            flags,
        )
        for (kind, on), (confidence, span) in found.items()
    ]


def snippet(
    text: str, span: tuple[int, int], identity: Identity, record: Mapping | None = None
) -> str:
    """About 160 characters around ``span``, other people's identifiers masked.

    Masks are found in the whole text first, and the window widens to take in any
    mask it would cut: a cut address or number must not slip through half-masked.
    """
    masks = mask_spans(text, identity, record or {})
    start, end = span
    half = max(0, (SNIPPET_CHARS - (end - start)) // 2)
    lo, hi = max(0, start - half), min(len(text), end + half)
    if hi - lo < SNIPPET_CHARS:
        lo, hi = max(0, hi - SNIPPET_CHARS), min(len(text), lo + SNIPPET_CHARS)
    for m_start, m_end, _ in masks:
        if m_start < lo < m_end:
            lo = m_start
        if m_start < hi < m_end:
            hi = m_end
    inside = [(s - lo, e - lo, label) for s, e, label in masks if lo <= s and e <= hi]
    masked = _apply(text[lo:hi], inside)
    return ("…" if lo > 0 else "") + masked + ("…" if hi < len(text) else "")


def mask_others(text: str, identity: Identity, record: Mapping | None = None) -> str:
    """Replace e-mails, numbers and @handles that are not proven to be the
    requester's (docs/security.md L6: an unproven handle may be someone else's)."""
    return _apply(text, mask_spans(text, identity, record or {}))


def mask_spans(
    text: str, identity: Identity, record: Mapping
) -> list[tuple[int, int, str]]:
    """Where other people's identifiers stand in ``text``, with their labels."""
    spans: list[tuple[int, int, str]] = []
    for m in emails_in(text):
        if m.group().lower() != identity.email_key:
            spans.append((m.start(), m.end(), "[e-mail]"))
    for start, end, handle in handles_in(text):
        if handle.lower() not in identity.verified_handles:
            spans.append((start, end, "@[handle]"))
    mine = _phone_hits(TextView(text), record, identity) if identity.phone else []
    # Any run of 7 or more digits that is not the requester's number: phone numbers,
    # but also card or account numbers of other people.
    for group in digit_groups(text):
        pieces = [(group.start(), group.end())]
        for own_start, own_end in mine:  # cut the requester's number out
            pieces = [
                part
                for start, end in pieces
                for part in ((start, min(end, own_start)), (max(start, own_end), end))
                if part[0] < part[1]
            ]
        for start, end in pieces:
            while start < end and not (text[start].isdigit() or text[start] in "+("):
                start += 1  # keep the separators next to the cut
            while end > start and not text[end - 1].isdigit():
                end -= 1
            if sum(c.isdigit() for c in text[start:end]) >= 7:
                spans.append((start, end, "[number]"))
    kept, last = [], 0
    for start, end, label in sorted(spans):
        if start >= last:  # a span inside a longer one is already covered
            kept.append((start, end, label))
            last = end
    return kept


def _apply(text: str, spans: list[tuple[int, int, str]]) -> str:
    """``text`` with each span replaced by its label (spans sorted, disjoint)."""
    out, last = [], 0
    for start, end, label in spans:
        out.append(text[last:start])
        out.append(label)
        last = end
    out.append(text[last:])
    return "".join(out)


def match_records(
    records: Iterable[Mapping], identities: Iterable[Identity]
) -> list[Match]:
    """Every match of every identity in every record (small inputs, tests)."""
    identities = list(identities)
    return [m for r in records for i in identities for m in match_record(r, i)]
