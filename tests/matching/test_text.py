"""A text as the rules read it, and positions in its folded words mapped back."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsr_app.identifiers import fold
from dsr_app.matching.names import NON_WORD, name_text
from dsr_app.matching.text import TextView, _original_span


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
    assert view.spaced == name_text(text)
