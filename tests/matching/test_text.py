"""A text as the rules read it, and positions in its folded words mapped back."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsr_app.identifiers import fold
from dsr_app.matching.identity import Identity
from dsr_app.matching.names import NON_WORD, name_text
from dsr_app.matching.rules import match_record
from dsr_app.matching.text import TextView, _original_span, name_hit, prose


def _original_span_one_character_at_a_time(text, folded_at, length):
    """The mapping as first written: fold and count one character at a time."""
    position, start, previous_space = 0, None, True
    for index, char in enumerate(text):
        for c in NON_WORD.sub(" ", fold(char)):
            if c == " " and previous_space:
                continue
            previous_space = c == " "
            position += 1
            if start is None and position > folded_at:
                start = index
            if start is not None and position >= folded_at + length:
                return start, index + 1
    return (start or 0), len(text)


@settings(max_examples=500, deadline=None)
@given(
    st.text(
        st.one_of(
            st.sampled_from("aZ ß-.,Łü㍻ΣİẞﬁŒ½\u0308\u200b9"),
            st.characters(exclude_categories=("Cs",)),
        ),
        max_size=30,
    ),
    st.integers(0, 40),
    st.integers(0, 12),
)
def test_original_span_is_the_one_character_at_a_time_mapping(text, at, length):
    assert _original_span(text, at, length) == _original_span_one_character_at_a_time(
        text, at, length
    )


@pytest.mark.parametrize(
    "text",
    [
        "Grüße " * 300 + "an ZOË  Müller-Łukasik! " + "ß" * 50,
        "ZOË MÜLLER-ŁUKASIK",
        "  --ﬁ ㍻ Zoë\u0308 Müller-Łukasik\u200b.",
    ],
)
def test_original_span_of_a_name(text):
    spaced = name_text(text)
    at = spaced.find(" zoe muller lukasik ")
    span = _original_span(text, at, len("zoe muller lukasik"))
    assert name_text(text[slice(*span)]) == " zoe muller lukasik "
    assert span == _original_span_one_character_at_a_time(text, at, 18)


@settings(max_examples=200, deadline=None)
@given(
    st.text(
        st.one_of(
            st.sampled_from(" -.Zoëß㍻ΣİŁ\u0308"),
            st.characters(exclude_categories=("Cs",)),
        )
    )
)
def test_text_view_reads_names_from_its_one_fold_as_name_text_does(text):
    view = TextView(text)
    assert view.folded == fold(text)
    assert view.spaced == name_text(prose(text))
    assert len(prose(text)) == len(text)


ANNA = Identity.build(
    request_id="r",
    country="PL",
    full_name="Anna Nowak",
    verified_handles=frozenset({"anna.nowak"}),
)


def _matched_on(text: str) -> list[str]:
    record = {"dataset": "d", "dataset_version": "1", "record_id": "x", "text": text}
    return [m.matched_on for m in match_record(record, ANNA)]


@pytest.mark.parametrize(
    "text",
    [
        "write to anna.nowak.studio@example.com for prints",  # the attack run's miss
        "mail ANNA.NOWAK@EXAMPLE.ORG",
        "(nowak.anna@gmail.com)",
        "follow @anna.nowak.studio!",  # a handle extending hers
        "hi @anna_nowak_art",
        "see https://example.com/people/anna-nowak",
        "www.anna-nowak.eu is up",
        "more at anna-nowak.pl/about",
        "photos: EXAMPLE.COM/ANNA.NOWAK/2024",
        "anna_nowak posted this",
        "anna.nowak.studio posted this",
        "ask studio.anna.nowak",
    ],
)
def test_words_inside_an_address_handle_or_link_are_not_a_name(text):
    assert _matched_on(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "Anna Nowak (anna.nowak.studio@example.com) wrote",
        "Anna Nowak, see https://example.com/anna-nowak",
        "Anna Nowak's photos",
        "— Anna Nowak.",
        "Anna Nowak/Jan Kowalski",
        "anna nowak",
    ],
)
def test_the_name_beside_an_address_or_link_is_still_a_name(text):
    assert _matched_on(text) == ["name"]


def test_the_name_is_found_after_a_joined_occurrence_of_it():
    """The first "anna nowak" is part of "Maria-Anna Nowak"; the second stands
    alone: the span found is the second's, as written."""
    text = "Maria-Anna Nowak met ANNA NOWAK."
    (match,) = match_record(
        {"dataset": "d", "dataset_version": "1", "record_id": "x", "text": text}, ANNA
    )
    assert text[slice(*name_hit(TextView(text), ANNA))] == "ANNA NOWAK"
    assert match.matched_on == "name"


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Met Man-'s Gravensande Nikki Ilse today.", False),  # a longer surname
        ("Met 's Gravensande Nikki Ilse today.", True),
        ("Met Nikki Ilse 's Gravensande today.", True),
    ],
)
def test_a_name_that_begins_with_an_apostrophe_joined_to_a_word_is_not_it(text, found):
    """(A generated look-alike, tests/matching/test_generated_names.py, nl.)"""
    nikki = Identity.build(
        request_id="n", country="NL", full_name="Nikki Ilse 's Gravensande"
    )
    record = {"dataset": "d", "dataset_version": "1", "record_id": "x", "text": text}
    assert bool(match_record(record, nikki)) is found
