"""The sweep's own machinery (its matches are tested with the rules in
test_matching.py and test_prefilter.py)."""

from __future__ import annotations

import gc

import pytest

from dsr_app.matching.identity import Identity
from dsr_app.matching.sweep import Matcher, _collector_paused


@pytest.mark.parametrize("enabled", [True, False])
def test_collector_is_paused_while_building_and_then_as_it_was(enabled):
    (gc.enable if enabled else gc.disable)()
    try:
        with _collector_paused():
            assert not gc.isenabled()
        assert gc.isenabled() == enabled
        with pytest.raises(ValueError), _collector_paused():
            raise ValueError
        assert gc.isenabled() == enabled
    finally:
        gc.enable()


def test_names_among_punctuation_are_candidates_as_whole_words_only():
    """A hyphenated name, and one written surname first, with punctuation around
    them are candidates; glued into a longer word, not (one name word is looked
    up per spelling, its longest: "lukasik", "istvan")."""
    zoe = Identity.build(request_id="r1", country="PL", full_name="Zoë Müller-Łukasik")
    nagy = Identity.build(request_id="r2", country="HU", full_name="Nagy István")
    matcher = Matcher([zoe, nagy])
    record = {"dataset": "d", "dataset_version": "1", "record_id": "1"}
    record["text"] = 'Thanks to (Müller-Łukasik, Zoë) and "Nagy, István"!'
    assert matcher.candidates(record) == {0, 1}
    assert {m.request_id for m in matcher.match(record)} == {"r1", "r2"}
    glued = {**record, "text": "Müller-Łukasikowa Zoë and Nagy, Istvánné."}
    assert matcher.candidates(glued) == set()
