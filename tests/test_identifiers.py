"""Canonical identifiers and what the index extracts from text."""

from __future__ import annotations

import random
import re
import unicodedata

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from unidecode import unidecode

from dsr_app import identifiers
from dsr_app.identifiers import (
    _PHONE_GROUP_RE,
    canonical_email,
    fold,
    fold_ascii,
    index_text,
    national_digits,
    normalise_handle,
    parse_phone,
    text_identifier_keys,
)


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Zoë Müller-Łukasik", "zoe muller-lukasik"),
        ("ZOË MÜLLER-ŁUKASIK", "zoe muller-lukasik"),
        ("Søren Ågård", "soren agard"),
        ("Straße", "strasse"),
        ("François Lefèvre-Çelik", "francois lefevre-celik"),
        ("Łucja Wiśniewska-Żak", "lucja wisniewska-zak"),
        ("Anna Ősz-Kővári", "anna osz-kovari"),
        ("Σωκράτης", "sokrates"),
        ("plain ascii", "plain ascii"),
    ],
)
def test_fold_removes_case_accents_and_script(text, folded):
    assert fold(text) == folded


def _folded(text: str) -> str:
    """What fold means: unidecode of the lower-cased text, digits of every script
    as ASCII digits."""
    text = "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in text)
    return unidecode(text.lower()).lower()


def test_fold_is_unidecode_of_the_lower_cased_text_for_every_code_point():
    # fold lower-cases only the non-ASCII runs it transliterates; whole-text
    # lower-casing first would give the same for every character (Ξ → ks, not x)
    characters = [
        chr(c)
        for c in range(0x80, 0x30000)
        if unicodedata.category(chr(c)) not in ("Cn", "Cs", "Co")
    ]
    for start in range(0, len(characters), 4096):
        # "x" between the characters: each is a run of its own, lower-cased alone
        text = "x".join(characters[start : start + 4096])
        assert fold(text) == _folded(text)
    # in context: runs next to ASCII, final sigma, a dotted capital I
    for text in ("ΣΟΦΊΑ Σ. Ξένια", "İstanbul İİ", "Ǝva ƦOLF", "a\u00dfb Ⴀ-x ߁߅"):
        assert fold(text) == _folded(text)
        assert fold_ascii(text) == fold(text).encode("ascii")


def test_fold_reads_digits_of_every_script_as_the_phone_parser_does():
    digits = [chr(c) for c in range(0x110000) if chr(c).isdecimal()]
    assert len(digits) > 600
    assert [fold(d) for d in digits] == [
        phonenumbers.normalize_digits_only(d) for d in digits
    ]


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("+49 151 2345 6789", None, "+4915123456789"),
        ("0049-151-23456789", None, "+4915123456789"),
        ("+49 (0)151 23456789", None, "+4915123456789"),
        ("0151/23456789", "DE", "+4915123456789"),
        ("(0151) 234 567 89", "de", "+4915123456789"),
        ("06 12 34 56 78", "FR", "+33612345678"),
        ("1", "DE", None),
        ("not a number", "DE", None),
    ],
)
def test_parse_phone_gives_e164_for_common_spellings(raw, region, e164):
    assert parse_phone(raw, region) == e164


def test_parse_phone_valid_refuses_unassigned_numbers():
    assert parse_phone("12", "DE") == "+4912"  # a possible length in Germany
    assert parse_phone("12", "DE", valid=True) is None
    assert parse_phone("+4915123456789", valid=True) == "+4915123456789"


def test_national_digits_keep_the_trunk_prefix():
    assert national_digits("+4915123456789") == "015123456789"
    assert national_digits("+33612345678") == "0612345678"
    assert national_digits("+4528471963") == "28471963"  # Denmark has no trunk 0


def test_canonical_email_lowercases_only_the_domain():
    assert canonical_email(" Zoe.M+x@Example.EU ") == "Zoe.M+x@example.eu"


def test_normalise_handle_drops_at_and_case():
    assert normalise_handle("@Zoe.Mueller") == "zoe.mueller"


@pytest.mark.parametrize(
    ("text", "expected", "absent"),
    [
        ("mail Zoe@Example.EU.", {"e:zoe@example.eu"}, set()),
        ("xzoe@example.eu", {"e:xzoe@example.eu"}, {"e:zoe@example.eu"}),
        (
            "zoe@example.eu.evil.com",
            {"e:zoe@example.eu.evil.com"},
            {"e:zoe@example.eu"},
        ),
        ("hi @Zoe.Mueller.", {"h:zoe.mueller"}, set()),
        ("hi @zoe.muellerfan", {"h:zoe.muellerfan"}, {"h:zoe.mueller"}),
        ("zoe@example.eu", {"e:zoe@example.eu"}, {"h:example.eu"}),
        ("ring +49 151 2345 6789 now", {"p:+4915123456789"}, set()),
        ("ring 0049-151-23456789", {"p:+4915123456789"}, set()),
        ("ring 0151/23456789", {"n:015123456789"}, set()),
        ("ring (0151) 234 567 89", {"n:015123456789"}, set()),
        ("room 12 0151 23456789", {"n:015123456789"}, set()),
        ("id 4915123456789012", set(), {"p:+4915123456789", "n:4915123456789"}),
        ("id 0151234567890", {"n:0151234567890"}, {"n:015123456789"}),
    ],
)
def test_text_identifier_keys(text, expected, absent):
    keys = text_identifier_keys(text)
    assert expected <= keys
    assert not absent & keys


def test_identifier_keys_skip_international_numbers_the_caller_does_not_want():
    """A caller looking for known numbers skips parsing the others (the sweep);
    national spellings and e-mails are keyed as always."""
    text = "Ruf +49 151 2345 6789 an, oder 0151 99887766, mail a@b.example"
    everything = text_identifier_keys(text)
    assert "p:+4915123456789" in everything
    wanted = text_identifier_keys(text, lambda digits: digits.endswith("3456789"))
    # the shorter span "+49 151 2345" is a possible number too, not a wanted one
    assert wanted == everything - {"p:+491512345"}
    unwanted = text_identifier_keys(text, lambda digits: False)
    assert unwanted == everything - {"p:+4915123456789", "p:+491512345"}


# The phone-group pattern as first written; identifiers._PHONE_GROUP_RE is a faster
# spelling of it and must find exactly the same groups, from any start position.
_READABLE_PHONE_GROUP = re.compile(r"(?<![\w+])\+?\(?\d[\d()./ \-]*\d(?!\w)")


def _same_groups(text: str) -> bool:
    return all(
        [m.span() for m in _PHONE_GROUP_RE.finditer(text, pos)]
        == [m.span() for m in _READABLE_PHONE_GROUP.finditer(text, pos)]
        for pos in range(min(len(text), 4))
    )


@pytest.mark.parametrize(
    "text",
    [
        "a+(123456",
        "+(12) 345-678",
        "(0151) 234567",
        "++49 151 234567",
        "((0151) 2345 67",
        "(+49)12345678",
        "tel:+491511234567.",
        "x1 (2)3 4/5-6.7",
        "+4915112345678x",
        "١٢٣٤٥٦٧ and 0151 2345678",
    ],
)
def test_phone_group_pattern_finds_what_the_readable_one_finds(text):
    assert _same_groups(text)


def test_phone_group_pattern_agrees_on_random_texts():
    rng = random.Random(11)
    alphabet = "0123456789٠١ +()./-_ax\n\t@"
    texts = ["".join(rng.choices(alphabet, k=rng.randint(1, 24))) for _ in range(5000)]
    assert [t for t in texts if not _same_groups(t)] == []


_NON_WORD_CHARACTER = re.compile(r"[^a-z0-9]")


def _words_of_fold(text: str) -> str:
    """The reference for ``index_text``: fold, every character but letters and
    digits a space."""
    return _NON_WORD_CHARACTER.sub(" ", fold(text))


def test_the_compiled_index_view_is_built():
    # pip install -e . compiles it (hatch_build.py); without it ingest is slower
    assert identifiers._spaced is not None


def test_index_text_is_folds_words_for_every_code_point():
    """The C view asks fold for one character at a time: the same as folding the
    whole text with everything but letters and digits spaced, for every character,
    next to letters, next to each other and at a text's ends."""
    characters = [chr(c) for c in range(0x80, 0x110000) if not 0xD800 <= c <= 0xDFFF]
    for start in range(0, len(characters), 8192):
        chunk = characters[start : start + 8192]
        for text in ("".join(chunk), "A x,".join(chunk[::16]), chunk[0], chunk[-1]):
            assert index_text(text) == _words_of_fold(text)


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(exclude_categories=("Cs",))), st.integers(1, 500))
def test_index_text_agrees_with_its_reference_on_random_texts(text, times):
    """Differential against the Python reference, long texts and "" included
    (ASCII text goes to the tokenizer as it is)."""
    text *= times
    assert index_text(text) == (text if text.isascii() else _words_of_fold(text))
    words = re.findall(r"[a-z0-9]+", index_text(text).lower())
    assert words == re.findall(r"[a-z0-9]+", fold(text))


@pytest.mark.parametrize(
    "text",
    [
        "Zoë Müller-Łukasik, née Σωκράτης!",
        "ΣΟΦΊΑ Σ. Ξένια ς",
        "a\x00b ﬁ ǅ ẞ ㍻ ½ ② ߁߅ ４９ \U0001d400\U0001f600",
        "x" * 5000 + "㍻" * 3000,  # folds longer than their characters
        "e\u0301 \u200b zero-width",
    ],
)
def test_index_text_examples(text):
    assert index_text(text) == _words_of_fold(text)
    assert index_text(text).split() == re.findall(r"[a-z0-9]+", fold(text))


def test_ascii_text_goes_to_the_index_as_it_is(monkeypatch):
    text = "Zoe MUELLER-Lukasik, 0151/2345"
    assert index_text(text) is text  # the tokenizer lower-cases it
    monkeypatch.setattr(identifiers, "_spaced", None)  # a tree nobody built
    assert index_text("Zoë Łukasik") == fold("Zoë Łukasik")
