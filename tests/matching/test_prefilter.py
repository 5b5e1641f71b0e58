"""The sweep's prefilter never hides a match, and the fast JSON-lines path of the
sweep reads the same records as the record-by-record one."""

from __future__ import annotations

import json

import msgspec
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsr_app.matching import prefilter
from dsr_app.matching.identity import Identity
from dsr_app.matching.prefilter import Prefilter
from dsr_app.matching.rules import match_record
from dsr_app.matching.sweep import Matcher, sweep_lines, sweep_records
from dsr_app.matching.sweep_input import file_records, parsed
from tests.matching.test_rules import FIXTURES, _keyed

ZOE = Identity.build(
    request_id="zoe",
    country="DE",
    full_name="Zoë Müller-Łukasik",
    email="Zoe.M@Example.eu",
    phone="+4915123456789",
    account_ids=frozenset({"acc-1"}),
    verified_handles=frozenset({"zoe_ml"}),
    other_handles=frozenset({"zoe.alt"}),
)
XENIA = Identity.build(request_id="xenia", country="GR", full_name="ΞΕΝΙΑ ΣΟΦΟΎ")


def _record(text: str) -> dict:
    return {"dataset": "d", "dataset_version": "1", "record_id": "r", "text": text}


def _block(lines: list[bytes]) -> bytes:
    """Lines as a block of a manifest (what ``sweep_lines`` reads)."""
    return b"".join(line + b"\n" for line in lines)


@pytest.mark.parametrize(
    ("identity", "text"),
    [
        (ZOE, "Grüße an Zoe Mueller-Lukasik!"),
        (ZOE, "MÜLLER-ŁUKASIK, ZOË hat geschrieben"),
        (ZOE, "Zoë \u200bMüller\u00ad-Łukasik"),  # zero-width space, soft hyphen
        (ZOE, "Zoe\u0308 Mu\u0308ller-Łukasik"),  # decomposed accents
        (ZOE, "Zoë\nMüller-Łukasik\tand friends"),
        (ZOE, "a NUL \x00 then Zoë Müller-Łukasik"),
        (ZOE, "mail ZOE.M@EXAMPLE.EU now"),
        # an address right after a letter (its first letter is not marked there)
        (ZOE, "\u24d0Zoe.M@Example.eu"),  # a circled a: no word character
        (ZOE, "x\u0301zoe.m@example.eu"),  # nor is a combining accent
        (ZOE, "hi @Zoe_ML and @zoe.alt."),
        (ZOE, "call 0151/2345-6789 (mobile)"),
        (ZOE, "ruf an: +49 (0) 151 234 567 89"),
        (ZOE, "0049-151-23456789"),
        (ZOE, "room 123456, +４９ １５１ ２３４５ ６７８９"),  # full-width digits
        (ZOE, "ticket 123456, +߄߉ ߁߅߁ ߂߃߄߅ ߆߇߈߉"),  # N'Ko digits
        (XENIA, "η Ξενία Σοφού έγραψε"),
        (XENIA, "ΣΟΦΟΎ, ΞΈΝΙΑ"),
    ],
)
def test_every_match_is_in_the_prefilters_hits(identity, text):
    assert match_record(_record(text), identity), "the rules must match this text"
    prefilter = Prefilter([identity])
    assert prefilter.hits([text]) == {0}
    # in a batch, the right text is pointed at
    assert prefilter.hits(["nothing here", text, "nor here"]) == {1}


def test_texts_without_a_literal_are_left_out():
    prefilter = Prefilter([ZOE])
    texts = [
        "Zoe Müller was here",  # not the whole name
        "call 0151 2345 6788",  # another number
        "zoe.m@example.org",  # another address
        "plain text",
    ]
    assert prefilter.hits(texts) == set()


def test_a_name_counts_only_where_it_begins_a_word():
    """``E. Dąbrowski`` is in ``the Dąbrowski`` once the breaks are dropped
    (``thedabrowski``): a name's literal counts only from a word's first letter, in C
    and in Rust."""
    emile = Identity.build(request_id="e", country="PL", full_name="Émile Dąbrowski")
    texts = [
        "the Dąbrowski family",
        "Hemile Dąbrowski",
        "E. Dąbrowski",
        "(Émile) Dąbrowski",
    ]
    compiled, rust = Prefilter([emile]), Prefilter([emile])
    compiled.compile()
    rust.compile(compiled=False)
    assert compiled.hits(texts) == rust.hits(texts) == {2, 3}
    assert [bool(match_record(_record(t), emile)) for t in texts] == [0, 0, 1, 1]


# Pieces a random text is built of: each identifier in some spelling, and noise
_PIECES = [
    "Zoë",
    "Müller-Łukasik",
    "ZOE MUELLER",
    "lukasik,",
    "zoe.m@example.eu",
    "@zoe_ml",
    "+49 151",
    "2345 6789",
    "0151/23456789",
    "ΞΈΝΙΑ",
    "Σοφού",
    "\x00",
    "\u0308",
    "\u200b",
    "１５１",
]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(st.sampled_from(_PIECES), st.text(max_size=6)),
        max_size=12,
    ),
    st.sampled_from([" ", "", "-", "\n", ", "]),
)
def test_random_texts_matched_by_the_rules_are_hit(pieces, glue):
    text = glue.join(pieces)
    prefilter = Prefilter([ZOE, XENIA])
    for identity in (ZOE, XENIA):
        if match_record(_record(text), identity):
            assert prefilter.hits(["x", text]) == {1}


def test_a_literal_without_letters_or_digits_turns_the_prefilter_off():
    odd = Identity.build(request_id="o", country="DE", other_handles=frozenset({"_"}))
    assert Prefilter([odd]).hits(["a", "b"]) == {0, 1}


def test_prefilter_on_the_demo_world_misses_nothing():
    """Sweeping the demo manifests with the prefilter finds what checking every
    record against every requester finds."""
    from dsr_app.matching.sweep_input import part_records

    identities = _demo_identities()
    fast, slow = Matcher(identities), Matcher(identities)
    slow.prefilter.everything = True
    entries = json.loads((FIXTURES / "manifests.json").read_text())
    for entry in entries:
        part = ("file", str(FIXTURES / entry["path"]), (), None, entry["version"])
        records = list(part_records(part))
        a = sweep_records(fast, ((r, None) for r in records))
        b = sweep_records(slow, ((dict(r), None) for r in records))
        assert a.records == b.records == len(records)
        found = [m for v in a.matches.values() for m in v]
        assert _keyed(found) == _keyed(m for v in b.matches.values() for m in v)


def _demo_identities() -> list[Identity]:
    """Every demo account as a requester: name, e-mail, phone, account, handle."""
    accounts = [
        json.loads(line)
        for line in (FIXTURES / "accounts.jsonl").read_text().splitlines()
    ]
    return [
        Identity.build(
            request_id=a["account_id"],
            country=a["country"],
            full_name=a.get("display_name") or "",
            email=a.get("email"),
            phone=a.get("phone"),
            account_ids=frozenset({a["account_id"]}),
            verified_handles=frozenset({a["handle"]}),
        )
        for a in accounts[::4]  # 500 of them: the check costs a record each
    ]


def test_fast_json_lines_path_reads_what_the_record_path_reads():
    """Bad lines, blank lines, wrong types, records without an id or a dataset,
    authors by id and by handle: both paths count and match the same."""
    lines = [
        orjson.dumps({"record_id": "1", "text": "hi Zoë Müller-Łukasik"}),
        b"",
        orjson.dumps({"record_id": "2", "text": "by her", "author_id": "acc-1"}),
        orjson.dumps({"record_id": "3", "text": "x", "author_handle": "ZOE_ML"}),
        orjson.dumps(
            {
                "record_id": "4",
                "text": "y",
                "author_id": "acc-9",
                "author_handle": "zoe_ml",
            }
        ),
        orjson.dumps({"record_id": "5", "text": "z", "author_id": 5}),
        orjson.dumps({"record_id": "6", "text": None}),
        orjson.dumps({"text": "no id, ZOE.M@example.eu"}),
        orjson.dumps({"record_id": "8", "dataset": "other", "text": "@zoe.alt"}),
        b"{not json",
        b"[1, 2]",
        orjson.dumps({"record_id": "9", "text": "call 0151 23456789", "lang": "de"}),
        orjson.dumps(
            {
                "record_id": "10",
                "text": "x",
                "visibility": "private",
                "author_id": "acc-1",
            }
        ),
    ]
    good = [line for line in lines[:5] if line]  # a batch with no bad line
    for batch in (lines, good):
        matcher = Matcher([ZOE])
        fast = sweep_lines(matcher, [_block(batch)], "posts", "v1")
        records = file_records(parsed(batch), "posts", "v1")
        slow = sweep_records(matcher, ((r, None) for r in records))
        assert fast.records == slow.records
        assert fast.scope == slow.scope
        assert _keyed(m for v in fast.matches.values() for m in v) == _keyed(
            m for v in slow.matches.values() for m in v
        )
    matcher = Matcher([ZOE])
    report = sweep_lines(matcher, [_block(lines)], "posts", "v1")
    # 5 (author_id a number), 6 (no text), the one without an id and the two
    # lines that are not objects are not records
    assert report.records == 7
    assert report.scope == {("posts", "v1"), ("other", "v1")}
    kinds = {(m.record_id, m.matched_on) for m in report.matches["zoe"]}
    assert kinds == {
        ("1", "name"),
        ("2", "account"),
        ("3", "account"),  # no author id: the owned handle decides
        ("8", "handle"),
        ("9", "phone"),
        ("10", "account"),
    }
    flags = {m.record_id: m.policy_flags for m in report.matches["zoe"]}
    assert flags["10"] == ("non_public",) and flags["2"] == ()


def test_the_compiled_view_is_built():
    # pip install -e . compiles it (hatch_build.py); without it the sweep is slower
    assert prefilter._squash_texts is not None


def test_compiled_view_is_the_python_view_for_every_code_point():
    """The C view asks Python for one character's squashed fold at a time: the same
    as folding whole texts, for every character, next to letters, next to each
    other and at a text's ends."""
    characters = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    for start in range(0, len(characters), 8192):
        chunk = characters[start : start + 8192]
        # all of them in one run, folded whole by Python; some between letters
        texts = ["".join(chunk), "A x".join(chunk[::16]), chunk[0], "", chunk[-1]]
        assert prefilter.view(texts) == prefilter.python_view(texts)


@pytest.mark.parametrize(
    "texts",
    [
        [],
        [""],
        ["", ""],
        ["Zoë Müller-Łukasik", "ΣΟΦΊΑ Σ. Ξένια ς", "İstanbul"],
        ["a\x00b", "\x00", "c"],  # a NUL in a text is dropped, not a separator
        ["ﬁ ǅ ẞ ㍻ ½ ②", "߁߅ ４９", "\U0001d400\U0001f600"],
        ["x" * 5000 + "㍻" * 3000],  # folds longer than their characters
    ],
)
def test_compiled_view_examples(texts):
    assert prefilter.view(texts) == prefilter.python_view(texts)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(st.characters(exclude_categories=("Cs",)), max_size=40)))
def test_compiled_view_agrees_on_random_texts(texts):
    assert prefilter.view(texts) == prefilter.python_view(texts)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.text(st.characters(exclude_categories=("Cs",)), max_size=40)),
    st.integers(1, 2000),
)
def test_compiled_view_agrees_on_long_texts(pieces, times):
    """Long texts, an empty one, and no texts at all."""
    long = "".join(pieces) * times
    for texts in ([long, "", long[::-1]], [long], [""], []):
        assert prefilter.view(texts) == prefilter.python_view(texts)


@pytest.mark.parametrize(
    ("text", "marked"),
    [
        ("Zoë Müller-Łukasik", b"\xfaoe\xeduller\xecukasik"),
        ("the François", b"\xf4he\xe6rancois"),
        ("Zoe\u0308x", b"\xfaoex"),  # a combining accent folds to nothing: no break
        ("½ ﬁx", b"12\xe6ix"),  # ½ folds to 1/2
        ("x1a 2b", b"\xf81a2b"),  # digits are never marked, nor a letter after one
        ("a\x00b", b"\xe1\xe2"),
    ],
)
def test_a_view_marks_each_letter_that_begins_a_word(text, marked):
    assert prefilter.view([text]) == prefilter.python_view([text]) == marked
    assert bytes(b & 0x7F for b in marked) == prefilter.squash(text)


def _json_view_or_none(strings: list[bytes]) -> bytes | None:
    """The reference: msgspec reads each string as ``str``, Python folds them."""
    try:
        texts = [msgspec.json.decode(s, type=str) for s in strings]
    except (msgspec.MsgspecError, ValueError):
        return None
    return prefilter.python_view(texts)


def test_json_view_reads_every_code_point_as_utf8_and_as_escapes():
    characters = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    for start in range(0, len(characters), 8192):
        text = "".join(characters[start : start + 8192])
        strings = [
            orjson.dumps(text),  # UTF-8, control characters escaped
            json.dumps(text).encode(),  # \uXXXX, astral ones as surrogate pairs
        ]
        assert prefilter.json_view(strings) == prefilter.python_view([text, text])


@pytest.mark.parametrize(
    "string",
    [
        rb'"Anna\nSchmidt"',  # escapes are dropped, not read as letters
        rb'"Anna\\nSchmidt"',  # an escaped backslash, then the letter n
        rb'"a\"b\/c\\\b\f\r\t"',
        rb'"\u005a\u00f6\u00DF \ud83d\ude00 \u0000x"',
        rb'""',
        '"Zoë Müller-Łukasik ΣΟΦΊΑ 𝐀"'.encode(),
    ],
)
def test_json_view_reads_escapes_and_utf8_as_msgspec_does(string):
    assert prefilter.json_view([string]) == _json_view_or_none([string])
    assert prefilter.json_view([string]) is not None


@pytest.mark.parametrize(
    "string",
    [
        b"1",
        b"null",
        b'{"a": "b"}',
        b'"a',
        rb'"\ud800"',  # a surrogate alone
        rb'"\udc00\ud800"',
        rb'"\ud800\u0041"',
        rb'"\ud800x"',
        rb'"\u12G4"',
        rb'"\x"',
        b'"\xff"',  # not UTF-8
        b'"\xc0\x80"',  # overlong
        b'"\xed\xa0\x80"',  # a surrogate as UTF-8
        b'"\xf4\x90\x80\x80"',  # beyond U+10FFFF
        b'"\xe2\x82"',  # cut short
        b'"a\x01b"',  # a raw control character
    ],
)
def test_json_view_refuses_what_msgspec_refuses(string):
    assert _json_view_or_none([string]) is None
    assert prefilter.json_view([b'"ok"', string]) is None


_JSON_PIECES = [
    b"\\",
    b"\\u",
    b"d83d",
    b"\\ude00",
    b"\\ud800",
    b"\\udc00",
    b"00e9",
    b'"',
    b"\\n",
    b"\\\\",
    b"\xc3",
    b"\xa9",
    b"\xed\xa0\x80",
    b"\xf0\x9f\x98\x80",
    b"\xf4\x90",
    b"\xe0\x80",
    b"\x00",
    b"A",
    b"z",
    b"0",
]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_JSON_PIECES), st.binary(max_size=3))))
def test_json_view_agrees_with_msgspec_on_random_strings(pieces):
    string = b'"' + b"".join(pieces) + b'"'
    assert prefilter.json_view([string]) == _json_view_or_none([string])


@pytest.mark.parametrize(
    "bad",
    [
        b'{"record_id": "b", "text": "\xff"}',  # not UTF-8
        b'{"record_id": "b", "text": "\\ud800 Zo\\u00eb M\\u00fcller-\\u0141ukasik"}',
        b'{"record_id": "b", "text": 5}',
        b'{"record_id": "b", "text": ["Zo\\u00eb M\\u00fcller-\\u0141ukasik"]}',
    ],
)
def test_a_text_msgspec_would_not_read_leaves_the_fast_path_with_the_same_counts(bad):
    lines = [
        orjson.dumps({"record_id": "1", "text": "hi Zoë\nMüller-Łukasik"}),
        bad,
        b'{"record_id": "2", "text": "Zo\\u00eb M\\u00fcller-\\u0141ukasik \\/"}',
    ]
    matcher = Matcher([ZOE])
    fast = sweep_lines(matcher, [_block(lines)], "posts", "v1")
    records = file_records(parsed(lines), "posts", "v1")
    slow = sweep_records(matcher, ((r, None) for r in records))
    assert fast.records == slow.records == 2
    assert _keyed(m for v in fast.matches.values() for m in v) == _keyed(
        m for v in slow.matches.values() for m in v
    )
    assert {m.record_id for m in fast.matches["zoe"]} == {"1", "2"}


def test_views_without_the_compiled_module(monkeypatch):
    """A tree nobody built falls back to Python, and reads the same."""
    strings = [orjson.dumps("Zoë\nMüller-Łukasik"), rb'"a\ud83d\ude00\\n"']
    expected = prefilter.json_view(strings)
    monkeypatch.setattr(prefilter, "_squash_texts", None)
    monkeypatch.setattr(prefilter, "_squash_json", None)
    assert prefilter.json_view(strings) == expected
    assert prefilter.json_view([b'"ok"', b'"\xff"']) is None
    # the first letter or digit of each word marked (0x80)
    assert prefilter.view(["Zoë", "x"]) == b"\xfaoe\x00\xf8"
