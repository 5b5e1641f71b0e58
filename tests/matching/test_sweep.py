"""The sweep's own machinery (its matches are tested with the rules in
test_matching.py and test_prefilter.py)."""

from __future__ import annotations

import gc

import pytest

from dsr_app.matching.identity import Identity
from dsr_app.matching.sweep import Matcher, sweep


@pytest.mark.parametrize("enabled", [True, False])
def test_sweep_leaves_the_garbage_collector_as_it_was(enabled, tmp_path):
    """Library code switches no process-wide collector settings (issue 17)."""
    manifest = tmp_path / "m.jsonl"
    manifest.write_text('{"record_id": "1", "dataset": "d", "text": "Zoë Müller"}\n')
    zoe = Identity.build(request_id="r", country="DE", full_name="Zoë Müller")
    frozen = gc.get_freeze_count()
    (gc.enable if enabled else gc.disable)()
    try:
        report = sweep([zoe], manifests=[manifest], workers=1)
        assert gc.isenabled() == enabled
        assert gc.get_freeze_count() == frozen
    finally:
        gc.enable()
    assert [m.matched_on for m in report.matches["r"]] == ["name"]


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
