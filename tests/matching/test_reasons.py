"""Why a match was made (issue 20, item 4): each rule names its code and the exact
words it matched, and the words are found again in the snippet to be marked."""

from __future__ import annotations

from dataclasses import replace

import pytest

from dsr_app.matching.identity import Identity
from dsr_app.matching.reasons import (
    RULES,
    highlight_spans,
    marked_pieces,
    rule_of,
    rule_text,
    strongest,
)
from dsr_app.matching.rules import match_record

ZOE = Identity.build(
    request_id="r1",
    country="DE",
    full_name="Zoë Müller-Łukasik",
    email="zoe@example.eu",
    phone="+4915123456789",
    account_ids=frozenset({"acc-1"}),
    verified_handles=frozenset({"zoe.mueller"}),
    other_handles=frozenset({"zoe_alt"}),
)


def _record(text: str, **fields) -> dict:
    return {
        "dataset": "d",
        "dataset_version": "1",
        "record_id": "x",
        "text": text,
        "author_id": "acc-9",
        **fields,
    }


@pytest.mark.parametrize(
    ("text", "matched_on", "rule", "words"),
    [
        ("Write to ZOE@Example.eu today", "email", "email", "ZOE@Example.eu"),
        ("Ruf an: 0151 / 2345 6789!", "phone", "phone", "0151 / 2345 6789"),
        ("thanks @Zoe.Mueller.", "handle", "handle", "@Zoe.Mueller"),
        ("thanks @zoe_alt", "handle", "handle_named", "@zoe_alt"),
        ("Ich traf ZOE MUELLER-LUKASIK gestern", "name", "name", "ZOE MUELLER-LUKASIK"),
        ("Müller-Łukasik, Zoë schrieb", "name", "name", "Müller-Łukasik, Zoë"),
    ],
)
def test_each_mention_names_its_rule_and_the_words_as_written(
    text, matched_on, rule, words
):
    (match,) = match_record(_record(text, lang="de"), ZOE)
    assert (match.matched_on, match.rule, match.matched_words) == (
        matched_on,
        rule,
        words,
    )
    assert words in text
    assert rule in RULES and rule_text(rule) == RULES[rule]


def test_own_content_by_id_and_by_handle_are_told_apart():
    (by_id,) = match_record(_record("hello", author_id="acc-1"), ZOE)
    (by_handle,) = match_record(
        _record("hello", author_id=None, author_handle="Zoe.Mueller"), ZOE
    )
    assert (by_id.rule, by_id.matched_words) == ("account", "")
    assert (by_handle.rule, by_handle.matched_words) == ("account_handle", "")


def test_the_rule_does_not_change_the_match_id():
    """Decisions are kept by match_id across searches: the rule is not in it."""
    (match,) = match_record(_record("mail zoe@example.eu"), ZOE)
    assert replace(match, rule="", matched_words="").match_id == match.match_id


def test_a_name_sentence_says_it_is_the_name_only():
    assert rule_text("name").startswith("name only: the words of the person's name")
    assert rule_text("email") == "verified e-mail address, written whole in the text"
    assert rule_text("account").startswith("account the person owns")


@pytest.mark.parametrize(
    ("matched_on", "confidence", "stored", "rule"),
    [
        ("name", "weak", "", "name"),
        ("handle", "weak", "", "handle_named"),
        ("handle", "verified", "", "handle"),
        ("content", "weak", "", "content"),
        ("pointer", "weak", "", "pointer"),
        ("account", "verified", "account_handle", "account_handle"),
    ],
)
def test_a_match_without_a_stored_rule_gets_the_one_its_basis_implies(
    matched_on, confidence, stored, rule
):
    assert rule_of(matched_on, confidence, stored) == rule


def test_strongest_confidence_of_an_item():
    assert strongest(["weak", "verified", "weak"]) == "verified"
    assert strongest(["weak", "probable"]) == "probable"
    assert strongest([]) == "weak"


def test_highlights_every_occurrence_case_insensitively_and_merges_overlaps():
    snippet = "Zoë Müller-Łukasik wrote; zoë müller-łukasik again, zoe@example.eu"
    spans = highlight_spans(
        snippet, ["Zoë Müller-Łukasik", "zoe@example.eu", "Müller", ""]
    )
    assert [snippet[s:e] for s, e in spans] == [
        "Zoë Müller-Łukasik",
        "zoë müller-łukasik",
        "zoe@example.eu",
    ]
    pieces = marked_pieces(snippet, spans)
    assert "".join(text for text, _ in pieces) == snippet
    assert [text for text, marked in pieces if marked] == [
        snippet[s:e] for s, e in spans
    ]


def test_a_word_masked_in_the_snippet_is_not_marked():
    """An unproven handle is masked (docs/security.md L6): nothing to mark."""
    (match,) = match_record(_record("thanks @zoe_alt for this"), ZOE)
    assert "@[handle]" in match.snippet
    assert highlight_spans(match.snippet, [match.matched_words]) == []
    assert marked_pieces(match.snippet, []) == [(match.snippet, False)]


def test_the_words_of_every_rule_stand_in_their_snippet():
    text = "Zoë Müller-Łukasik (zoe@example.eu, +49 151 23456789) says hi @zoe.mueller"
    matches = match_record(_record(text, lang="de"), ZOE)
    assert {m.rule for m in matches} == {"name", "email", "phone", "handle"}
    for m in matches:
        (span,) = highlight_spans(m.snippet, [m.matched_words])
        assert m.snippet[span[0] : span[1]] == m.matched_words
