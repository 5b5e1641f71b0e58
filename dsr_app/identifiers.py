"""Canonical forms of identifiers and their extraction from free text.

One place for the rules, shared by ingest (the index), the per-request search and the
batch sweep, so that all of them see the same identifiers in the same text.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import idna
import phonenumbers
from unidecode import unidecode

from dsr_app.errors import BadInput
from dsr_app.regions import EU_EEA_PHONE_REGIONS

try:  # compiled by pip install (hatch_build.py)
    from dsr_app._squash import spaced as _spaced
except ImportError:  # pragma: no cover - a source tree nobody built
    _spaced = None

# Key prefixes in the text_identifiers table (see migrations.m001).
EMAIL, HANDLE, PHONE, NATIONAL = "e:", "h:", "p:", "n:"

_EMAIL_RE = re.compile(
    r"(?<![\w.%+-])[\w.%+-]+@[^\W_](?:[\w-]*[^\W_])?(?:\.[^\W_](?:[\w-]*[^\W_])?)+"
)
_HANDLE_RE = re.compile(r"(?<![\w@.])@([A-Za-z0-9._]{1,64})")
# A run of digits with the separators people type inside phone numbers. A digit run is
# never split: a number inside a longer run is not that number.
#   (?<![\w+])\+?\(?\d[\d()./ \-]*\d(?!\w)
# written to begin with a character class, so that re skips to the next [+(\d] in C
# instead of trying the pattern at every position (the same matches:
# tests/test_identifiers.py). The first character is taken, then
# checked: nothing of [\w+] before it, and what \+?\(? allows after it.
_PHONE_GROUP_RE = re.compile(
    r"[+(\d](?<![\w+].)(?:(?<=\+)\(?\d|(?<=\()\d|(?<=\d))[\d()./ \-]*\d(?!\w)"
)
_CHUNK_RE = re.compile(r"\S+")
_MIN_PHONE_DIGITS, _MAX_PHONE_DIGITS = 6, 15
_MAX_CHUNKS = 6
_DIGITS = "0123456789"


def _transliterate(run: str) -> str:
    # Digits of every script become ASCII digits, as the phone parser reads them
    # (unidecode leaves some scripts' digits out).
    if any(c.isdecimal() for c in run):
        run = "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in run)
    return unidecode(run)


# Folded runs by run as written: texts repeat few runs ("ü", "é"), and a plain dict
# is the cheapest lookup for a handler called a few times per text. Emptied when
# full, so that no input can grow it without bound.
_FOLDED: dict[str, str] = {}
_FOLDED_MAX = 65536


def _fold_errors(exc: UnicodeEncodeError) -> tuple[str, int]:
    """Codec error handler: a run of non-ASCII characters, lower-cased and
    transliterated."""
    run = exc.object[exc.start : exc.end]
    folded = _FOLDED.get(run)
    if folded is None:
        if len(_FOLDED) >= _FOLDED_MAX:
            _FOLDED.clear()
        folded = _FOLDED[run] = _transliterate(run.lower())
    return folded, exc.end


codecs.register_error("dsr_fold", _fold_errors)


def fold_ascii(text: str, lower: bool = True) -> bytes:
    """``fold(text)`` as ASCII bytes (``lower=False``: with the ASCII capitals of
    ``text`` left for the caller to lower-case).

    The ASCII codec does the work in C and calls back only for non-ASCII runs, which
    are lower-cased and transliterated by unidecode (``Σωκράτης`` → ``sokrates``),
    digits of any script made ASCII digits; the ASCII letters are lower-cased as
    bytes. That is ``unidecode(text.lower()).lower()`` character for character (a
    test checks every code point), without lower-casing the whole text as a wide
    string first (a second pass over it, and a copy).
    """
    folded = text.encode("ascii", "dsr_fold")
    return folded.lower() if lower else folded


def fold(text: str) -> str:
    """Fold for search: ``Zoë Müller-Łukasik`` → ``zoe muller-lukasik``."""
    if text.isascii():
        return text.lower()
    return fold_ascii(text).decode("ascii")


# fold's output with every byte but lower-case letters and digits a space
_WORD_BYTES = b"abcdefghijklmnopqrstuvwxyz0123456789"
_SPACED = bytes(b if b in _WORD_BYTES else 32 for b in range(256))


def spaced_char(code: int) -> bytes:
    """One character's fold with every byte but letters and digits a space: what
    the compiled views (_squash.c) ask of each character once."""
    return fold_ascii(chr(code)).translate(_SPACED)


def index_text(text: str) -> str:
    """What the full-text index (unicode61, words of letters and digits) is given
    for ``text``: the words of ``fold(text)``.

    ASCII text as it is (the tokenizer lower-cases it). Other text folded; in C
    when compiled (_squash.c), where fold, which works one character at a time,
    is asked once per character and every character but letters and digits becomes
    a space, which leaves the words as they were (ingest calls it on every record).
    """
    if text.isascii():
        return text
    if _spaced is not None:
        return _spaced(text, spaced_char)
    return fold(text)


def email_key(address: str) -> str:
    """E-mail compared case-insensitively, as in the text index (``e:`` keys)."""
    return address.strip().lower()


def canonical_email(address: str) -> str:
    """Canonical e-mail for ownership: local part kept, domain lower-cased.

    No dot, plus or homoglyph folding: ``z.oe+x@…`` is another address (issue 3).
    """
    local, _, domain = address.strip().rpartition("@")
    return f"{local}@{domain.lower()}"


# Providers that deliver more spellings to one mailbox than a "+tag" (which nearly
# every mail server delivers to the address without it: RFC 5233 sub-addressing,
# Postfix, Exchange, Google Workspace; outlook.com, hotmail.com, icloud.com,
# proton.me and fastmail.com document it). Only for counting (issue 16, finding 9).
#   domain (IDNA ASCII) -> (the mailbox's domain, characters that start a tag,
#                           whether dots in the local part are ignored)
_MAILBOX_RULES: dict[str, tuple[str, str, bool]] = {
    # Gmail ignores dots; googlemail.com is the same mailbox as gmail.com.
    "gmail.com": ("gmail.com", "+", True),
    "googlemail.com": ("gmail.com", "+", True),
    # Yahoo's disposable addresses are "base-keyword@" (a Yahoo ID holds no "-").
    "yahoo.com": ("yahoo.com", "+-", False),
}
_DEFAULT_TAGS = "+"


def mail_domain(domain: str) -> str:
    """A mail domain in one spelling: case-folded, IDNA ASCII (``BÜCHER.example`` →
    ``xn--bcher-kva.example``), without a final dot."""
    domain = domain.strip().rstrip(".")
    try:
        return idna.encode(domain, uts46=True).decode("ascii")
    except UnicodeError:  # not a valid IDNA name: compared as typed, case-folded
        return domain.casefold()


def mailbox_key(address: str) -> str:
    """The mailbox an address most likely reaches, for abuse limits only: the local
    part case-folded, a tag dropped, dots dropped where the provider ignores them,
    the domain in one spelling (``Zoe.Mueller+x@GoogleMail.com`` →
    ``zoemueller@gmail.com``; ``ZOE+x@Example.EU`` → ``zoe@example.eu``).

    Never for ownership, which takes the address as written (``canonical_email``,
    docs/security.md L1): this folding only makes spellings count as one target.
    """
    local, _, domain = address.strip().rpartition("@")
    domain = mail_domain(domain)
    domain, tags, no_dots = _MAILBOX_RULES.get(domain, (domain, _DEFAULT_TAGS, False))
    local = local.casefold()
    # A tag starts after the first character: "+zoe@" has none.
    cut = min((i for i in map(local.find, tags) if i > 0), default=len(local))
    mailbox = local[:cut]
    if no_dots:
        mailbox = mailbox.replace(".", "") or mailbox
    return f"{mailbox}@{domain}"


def normalise_handle(handle: str) -> str:
    """Handle without ``@``, lower-cased."""
    return handle.strip().lstrip("@").lower()


def parse_phone(raw: str, region: str | None = None, valid: bool = False) -> str | None:
    """E.164 form of ``raw`` if it is a possible phone number, else ``None``.

    ``region`` (ISO 3166-1 alpha-2) interprets national spellings like ``0151/…``.
    A ``00`` international prefix is read as ``+``. ``valid`` asks for a number that
    is assigned in its country's plan, not only of a possible length.
    """
    raw = raw.strip()
    if raw.startswith("00"):
        raw = "+" + raw[2:]
    try:
        number = phonenumbers.parse(raw, region.upper() if region else None)
    except phonenumbers.NumberParseException:
        return None
    check = phonenumbers.is_valid_number if valid else phonenumbers.is_possible_number
    if not check(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


SMS_ELSEWHERE = (
    "Give a mobile number of {where}: codes are sent by SMS to no other country"
    " and to no international network."
)
SMS_NOT_MOBILE = (
    "Give a mobile number: codes are sent by SMS, never to premium-rate,"
    " shared-cost, fixed-line or other special numbers."
)


@dataclass(frozen=True, slots=True)
class PhonePolicy:
    """Which numbers may be given, and so get codes by SMS (issue 16, finding 6).

    SMS pumping: whoever controls a premium-rate, shared-cost or international
    network number earns a share of every SMS we send to it. Only mobile numbers
    (``fixed_or_mobile``: also those the numbering plan does not tell from fixed
    lines, as in Denmark or the US) of ``regions`` get codes.
    """

    regions: frozenset[str]
    fixed_or_mobile: bool = True

    @classmethod
    def from_config(cls, config: Mapping) -> PhonePolicy:
        """The policy of ``SMS_REGIONS`` and ``SMS_FIXED_OR_MOBILE``.

        :raises BadInput: a region phonenumbers does not know (at start: create_app).
        """
        raw = config.get("SMS_REGIONS", "EU_EEA")
        names = re.split(r"[\s,]+", raw) if isinstance(raw, str) else list(raw)
        regions: set[str] = set()
        for name in (str(n).strip().upper() for n in names):
            if name == "EU_EEA":
                regions |= EU_EEA_PHONE_REGIONS
            elif name in phonenumbers.SUPPORTED_REGIONS:
                regions.add(name)
            elif name:
                raise BadInput(
                    "DSR_SMS_REGIONS",
                    f"{name!r} is not a region code (ISO 3166-1 alpha-2) or EU_EEA",
                )
        either = str(config.get("SMS_FIXED_OR_MOBILE", 1)).strip().lower()
        return cls(frozenset(regions), either not in ("0", "false", "no", "off", ""))

    def refusal(self, number: phonenumbers.PhoneNumber) -> str | None:
        """Why ``number`` gets no codes, or ``None`` if it may."""
        if phonenumbers.region_code_for_number(number) not in self.regions:
            eu_eea = self.regions == EU_EEA_PHONE_REGIONS
            where = "an EU/EEA country" if eu_eea else "a country we serve"
            return SMS_ELSEWHERE.format(where=where)
        kinds = {phonenumbers.PhoneNumberType.MOBILE}
        if self.fixed_or_mobile:
            kinds.add(phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
        if phonenumbers.number_type(number) not in kinds:
            return SMS_NOT_MOBILE
        return None


def possible_phone(raw: str, region: str | None) -> str:
    """E.164 of ``raw`` if it is a possible phone number (``region``: the default
    country for a number written without one).

    :raises BadInput: field ``phone``: letters in it, or not a possible number.
    """
    if any(c.isalpha() for c in raw):  # phonenumbers reads letters as digits
        raise BadInput("phone", "Not a possible phone number.")
    e164 = parse_phone(raw, region)
    if e164 is None:
        raise BadInput("phone", "Not a possible phone number.")
    return e164


def sms_phone(raw: str, region: str | None, policy: PhonePolicy) -> str:
    """E.164 of ``raw`` if it is a number ``policy`` lets us send codes to.

    The one rule for every phone a requester gives (request, reply) and every code
    sent to one (resend); it looks at the number only, never at the registry, so
    the answer tells nothing about who is known (docs/security.md L2).

    :raises BadInput: field ``phone``: not a possible number, or one refused.
    """
    e164 = possible_phone(raw, region)
    refusal = policy.refusal(phonenumbers.parse(e164, None))
    if refusal:
        raise BadInput("phone", refusal)
    return e164


def national_digits(e164: str) -> str:
    """Digits of a number as dialled within its own country (``+4915…`` → ``015…``)."""
    number = phonenumbers.parse(e164, None)
    national = phonenumbers.format_number(
        number, phonenumbers.PhoneNumberFormat.NATIONAL
    )
    return re.sub(r"\D", "", national)


@dataclass(frozen=True, slots=True)
class PhoneCandidate:
    """A stretch of text that may be a phone number, as written."""

    start: int
    end: int
    raw: str
    international: bool

    @property
    def digits(self) -> str:
        """Only the digits, as written (an international ``00`` stays; ``+`` goes)."""
        return re.sub(r"\D", "", self.raw)

    def key(self) -> str | None:
        """Index key: ``p:`` + E.164 if international, else ``n:`` + the digits."""
        if self.international:
            e164 = parse_phone(self.raw)
            return PHONE + e164 if e164 else None
        return NATIONAL + self.digits


def _enough_digits(text: str) -> bool:
    """Whether ``text`` holds enough ASCII digits for a phone number.

    Cheap tests first (str's C scans; re scans are ~10 ns a character): most texts
    hold no digit at all, which ten ``in`` tests tell without a Python loop.
    """
    return (
        any(map(text.__contains__, _DIGITS))
        and sum(map(text.count, _DIGITS)) >= _MIN_PHONE_DIGITS
    )


def phone_candidates(text: str) -> Iterator[PhoneCandidate]:
    """Every stretch of ``text`` that could be a phone number.

    Within a group of digits separated by spaces, each span of whole chunks counts
    (``Room 12 0151 23456789`` holds ``0151 23456789``), but a chunk is never cut.
    """
    if not _enough_digits(text):
        return
    first = min(i for i in map(text.find, _DIGITS) if i >= 0)
    for group in _PHONE_GROUP_RE.finditer(text, max(0, first - 2)):
        chunks = [(m.start(), m.end()) for m in _CHUNK_RE.finditer(group.group())]
        base = group.start()
        for i in range(len(chunks)):
            first = text[base + chunks[i][0]]
            if i and first not in "+(0":
                continue  # a span starts at the group's start or at a prefix
            for j in range(i, min(len(chunks), i + _MAX_CHUNKS)):
                start, end = base + chunks[i][0], base + chunks[j][1]
                raw = text[start:end].rstrip(".-/")
                digits = sum(c.isdigit() for c in raw)
                if digits > _MAX_PHONE_DIGITS:
                    break
                if digits < _MIN_PHONE_DIGITS or raw.endswith("("):
                    continue
                international = raw.startswith("+") or raw.startswith("00")
                yield PhoneCandidate(start, start + len(raw), raw, international)


def digit_groups(text: str) -> Iterator[re.Match]:
    """Runs of digits with the separators people type inside numbers."""
    return _PHONE_GROUP_RE.finditer(text)


def emails_in(text: str) -> Iterator[re.Match]:
    """E-mail addresses standing alone in ``text``."""
    return _EMAIL_RE.finditer(text)


def handles_in(text: str) -> Iterator[tuple[int, int, str]]:
    """``@handles`` in ``text`` as (start, end, handle without @ and trailing dots)."""
    for m in _HANDLE_RE.finditer(text):
        handle = m.group(1).rstrip(".")
        if handle:
            yield m.start(), m.start() + 1 + len(handle), handle


def text_identifier_keys(
    text: str, wanted_digits: Callable[[str], bool] | None = None
) -> set[str]:
    """Index keys of every e-mail, @handle and phone number written in ``text``.

    ``wanted_digits`` (optional): a test on the ASCII digits of an internationally
    written number (full-width and other digits converted as the parser does); one
    that fails it is not parsed, and its key is left out (a caller that looks for a
    few known numbers skips the parsing that costs the most). Parsing keeps a
    number's last digits, so a test on them is safe.
    """
    keys: set[str] = set()
    if "@" in text:
        # E-mails and handles hold no white space: scanning only the words with an
        # "@" finds the same ones as scanning the whole text, with the regexes
        # trying far fewer positions.
        for word in text.split():
            if "@" in word:
                keys.update(EMAIL + m.group().lower() for m in emails_in(word))
                keys.update(HANDLE + h.lower() for _, _, h in handles_in(word))
    if not _enough_digits(text):
        return keys  # the test phone_candidates begins with, without a generator
    for candidate in phone_candidates(text):
        if (
            wanted_digits is not None
            and candidate.international
            and not wanted_digits(phonenumbers.normalize_digits_only(candidate.raw))
        ):
            continue
        key = candidate.key()
        if key:
            keys.add(key)
    return keys
