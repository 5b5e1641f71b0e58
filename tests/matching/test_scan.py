"""The compiled automaton of the prefilter (_scan.c), against plain Python."""

from __future__ import annotations

import json

import ahocorasick_rs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsr_app.matching import _scan, prefilter
from dsr_app.matching.identity import Identity
from dsr_app.matching.prefilter import Prefilter
from dsr_app.matching.rules import match_record
from dsr_app.matching.sweep_input import part_records, python_lines
from tests.matching.test_prefilter import _demo_identities
from tests.matching.test_rules import FIXTURES


def _texts_with(patterns: list[bytes], texts: list[bytes]) -> list[int]:
    """What texts_with means: the texts that hold a pattern, in order."""
    return [n for n, text in enumerate(texts) if any(p in text for p in patterns)]


# A small alphabet, so that patterns overlap, nest and share prefixes and suffixes
# (the failure transitions), and texts often hold them.
_PATTERNS = st.lists(
    st.binary(min_size=1, max_size=6).map(lambda b: bytes(b"ab0z"[c % 4] for c in b)),
    min_size=1,
    max_size=12,
)
_TEXTS = st.lists(
    st.binary(max_size=40).map(lambda b: bytes(b"ab0z"[c % 4] for c in b)),
    max_size=40,
)


@settings(max_examples=400, deadline=None)
@given(_PATTERNS, _TEXTS)
def test_texts_with_finds_the_texts_that_hold_a_pattern(patterns, texts):
    automaton = _scan.automaton(patterns)
    # one text, a few (some lanes empty) and many: every lane and its tail
    assert _scan.texts_with(automaton, b"\x00".join(texts)) == _texts_with(
        patterns, texts or [b""]
    )


# Letters marked and not (a marked letter begins a word in a view: another symbol)
_MARKED_BYTES = b"ab0z\xe1\xe2\xfa"
_MARKED_PATTERNS = st.lists(
    st.binary(min_size=1, max_size=6).map(
        lambda b: bytes(_MARKED_BYTES[c % 7] for c in b)
    ),
    min_size=1,
    max_size=12,
)
_MARKED_TEXTS = st.lists(
    st.binary(max_size=40).map(lambda b: bytes(_MARKED_BYTES[c % 7] for c in b)),
    max_size=40,
)


@settings(max_examples=400, deadline=None)
@given(_MARKED_PATTERNS, _MARKED_TEXTS)
def test_texts_with_tells_marked_letters_from_the_others(patterns, texts):
    automaton = _scan.automaton(patterns)
    assert _scan.texts_with(automaton, b"\x00".join(texts)) == _texts_with(
        patterns, texts or [b""]
    )


@pytest.mark.parametrize(
    ("patterns", "view", "found"),
    [
        ([b"abc"], b"", []),
        ([b"abc"], b"abc", [0]),
        ([b"abc"], b"ab\x00c", []),  # not across texts
        ([b"bc", b"abcd"], b"xabcx", [0]),  # found through a failure link
        ([b"b", b"ab"], b"\x00\x00ab\x00", [2]),
        ([b"ab"], b"a-b\x00a\xffb\x00ab", [2]),  # other bytes: a new start
        ([b"zz9"], b"zzz9\x00z9\x00", [0]),
        ([b"\xe1b"], b"ab\x00\xe1b", [1]),  # a marked a: where a word begins
        ([b"ab"], b"\xe1b\x00xab", [1]),
        ([b"b\xe3"], b"\xe1b\xe3", [0]),  # through words
    ],
)
def test_texts_with_examples(patterns, view, found):
    assert _scan.texts_with(_scan.automaton(patterns), view) == found


@pytest.mark.parametrize(
    ("patterns", "error"),
    [
        ([b""], ValueError),
        ([b"a-b"], ValueError),  # only what a view holds: a-z, 0-9
        ([b"A"], ValueError),
        ([b"ok", b"\x00"], ValueError),
        ([b"\xb0"], ValueError),  # digits are never marked
        ([b"\xe0"], ValueError),
        (["text"], TypeError),
        (5, TypeError),
    ],
)
def test_automaton_refuses_what_no_view_holds(patterns, error):
    with pytest.raises(error):
        _scan.automaton(patterns)


def test_the_compiled_automaton_is_used_and_agrees_with_rusts_on_the_demo_world():
    """Every demo text that Rust's aho-corasick points at, the compiled one does,
    and only those."""
    identities = _demo_identities()
    compiled, rust = Prefilter(identities), Prefilter(identities)
    compiled.compile()
    rust.compile(compiled=False)
    assert not isinstance(compiled.automaton, type(rust.automaton))
    texts = []
    for entry in json.loads((FIXTURES / "manifests.json").read_text()):
        part = ("file", str(FIXTURES / entry["path"]), (), None, entry["version"])
        texts += [record["text"] for record in part_records(part)]
    squashed = prefilter.view(texts)
    hits = compiled.hits_in_view(squashed, len(texts))
    assert hits == rust.hits_in_view(squashed, len(texts))
    assert 0 < len(hits) < len(texts)


# Arbitrary Unicode, as texts and identifiers come (no lone surrogates: a str read
# from JSON or a file never holds one).
_UNICODE = st.text(st.characters(exclude_categories=("Cs",)), max_size=60)


def _both(literals: list[str]) -> tuple[Prefilter, Prefilter]:
    """The prefilter of requesters with these e-mails (taken as written), with the
    compiled automaton and with Rust's."""
    identities = [
        Identity.build(request_id=str(n), country="DE", email=literal)
        for n, literal in enumerate(literals)
    ]
    compiled, rust = Prefilter(identities), Prefilter(identities)
    compiled.compile()
    rust.compile(compiled=False)
    if rust.patterns:
        assert isinstance(rust.automaton, ahocorasick_rs.BytesAhoCorasick)
        assert not isinstance(compiled.automaton, ahocorasick_rs.BytesAhoCorasick)
    return compiled, rust


@settings(max_examples=300, deadline=None)
@given(st.lists(_UNICODE, max_size=30), st.lists(_UNICODE, max_size=8), st.data())
def test_compiled_automaton_agrees_with_rusts_on_random_unicode(texts, literals, data):
    """Differential: the same texts found, whatever the texts and the literals
    (some cut from the texts, so that hits are common; none, empty ones)."""
    for text in (
        data.draw(st.lists(st.sampled_from(texts), max_size=4)) if texts else []
    ):
        start = data.draw(st.integers(0, len(text)))
        literals.append(text[start : data.draw(st.integers(start, len(text)))])
    # (a literal with nothing to look for turns the prefilter off: tested apart)
    compiled, rust = _both([lit for lit in literals if prefilter.squash(lit)])
    assert compiled.hits(texts) == rust.hits(texts)


# Words of a few letters, so that names are often inside other words and across them
_WORD = st.text("abnéN", min_size=1, max_size=4)
_GLUE = st.sampled_from([" ", "", "", "-", ". ", "\u0301", "x", "\n"])


def _glued(words: list[str]) -> st.SearchStrategy[str]:
    """The words with a piece of glue after each."""
    glue = st.lists(_GLUE, min_size=len(words), max_size=len(words))
    return glue.map(lambda g: "".join(w + j for w, j in zip(words, g, strict=True)))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.lists(st.text("abnéN", min_size=2, max_size=4), min_size=2, max_size=3),
        max_size=4,
    ),
    st.data(),
)
def test_compiled_automaton_agrees_with_rusts_on_names(names, data):
    """Names count only where they begin a word, in C as in Rust, and every text
    the rules match is among those found (texts of the names' words, glued or not,
    and others)."""
    identities = [
        Identity.build(request_id=str(n), country="DE", full_name=" ".join(name))
        for n, name in enumerate(names)
    ]
    words = [word for name in names for word in name]
    pieces = [_WORD, _GLUE]
    if names:  # a name's words with anything between them, or one of its words
        pieces += [st.sampled_from(words), st.sampled_from(names).flatmap(_glued)]
    texts = data.draw(
        st.lists(st.lists(st.one_of(pieces), max_size=8).map("".join), max_size=20)
    )
    compiled, rust = Prefilter(identities), Prefilter(identities)
    compiled.compile()
    rust.compile(compiled=False)
    hits = compiled.hits(texts)
    assert hits == rust.hits(texts)
    for n, text in enumerate(texts):
        record = {"dataset": "d", "dataset_version": "1", "record_id": "r"}
        if any(match_record({**record, "text": text}, i) for i in identities):
            assert n in hits


@settings(max_examples=40, deadline=None)
@given(st.lists(_UNICODE, min_size=1, max_size=8), st.integers(1, 2000), st.data())
def test_compiled_automaton_agrees_with_rusts_on_long_texts(pieces, times, data):
    """Long texts (every lane of the compiled scan walks a long stretch), with a
    literal far inside one of them or nowhere."""
    literals = data.draw(st.lists(_UNICODE, min_size=1, max_size=4))
    literals = [lit for lit in literals if prefilter.squash(lit)] or ["Zoë"]
    filler = "".join(pieces) * times
    at = data.draw(st.integers(0, len(filler)))
    planted = filler[:at] + literals[0] + filler[at:]
    texts = [filler, planted, "", filler[: len(filler) // 3]]
    compiled, rust = _both(literals)
    assert compiled.hits(texts) == rust.hits(texts)
    assert compiled.hits([]) == rust.hits([]) == set()


@pytest.mark.parametrize(
    ("block", "lines"),
    [
        (b"", 0),
        (b"\n", 1),
        (b'{"a": 1}', 1),
        (b'{"a": 1}\n{"b": 2}\n', 2),
        (b'{"a": 1}\r\n{"b": 2}', 2),
        (b'{"a": 1} {"b": 2}\n', -1),
        (b'{"a": {}}{"b": 2}\n', -1),
        (b'{"a": 1}\t\r {"b": 2}', -1),
        (b'{"a": "} {"}\n', -1),  # or what looks so, in a string
        (b'{"a": 1}\n {"b": 2}\n', 2),  # on its own line
        (b'{"a": "}"} x {', 1),
    ],
)
def test_lines_counts_lines_and_tells_two_values_side_by_side(block, lines):
    assert _scan.lines(block) == python_lines(block) == lines


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from([b"{", b"}", b" ", b"\t", b"\r", b"\n", b"x"])).map(
        b"".join
    )
)
def test_lines_agrees_with_python(block):
    assert _scan.lines(block) == python_lines(block)
