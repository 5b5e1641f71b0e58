"""Snippets and masks: other people's identifiers never shown, not even in part."""

from __future__ import annotations

from dsr_app.matching.identity import Identity
from dsr_app.matching.masking import mask_others, snippet
from tests.matching.test_rules import ZOE


def test_mask_others_keeps_only_the_requesters_identifiers():
    text = "zoe@example.eu max@example.org @zoe.mueller @max 0151 23456789 0171 9876543"
    assert mask_others(text, ZOE) == (
        "zoe@example.eu [e-mail] @zoe.mueller @[handle] 0151 23456789 [number]"
    )


def test_snippet_never_shows_half_of_a_masked_identifier():
    me = Identity.build(
        request_id="r",
        country="DE",
        full_name="Zoë Müller",
        other_handles=frozenset({"victim"}),
    )
    text = (
        "x" * 40
        + " write to someone.long.address@corp.example.com "
        + "y" * 75
        + " Zoë Müller "
        + "z" * 60
        + " 0171 9876543210 and @victim"
    )
    at = text.index("Zoë")
    shown = snippet(text, (at, at + 10), me)
    assert "corp.example" not in shown and "example.com" not in shown
    assert "9876543" not in shown and "543210" not in shown
    assert "@victim" not in shown  # named but not proven: masked too
