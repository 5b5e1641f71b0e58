"""The letter rows that state a configured fact (dsr_app/letter_facts.py), and the
sentence each row says when the fact is unset for the letter's language (issue 18,
item 2): ``<row>_unset`` in letter_texts, which says that the letter does not state
it and where to ask, or (C02) leaves the name out. A sentence inside a row that
states a fact of its own (``PARTS``: A02's legal basis) is filled in the same way."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dsr_app import letter_facts

#: Row of the checklist (docs/legal.md) -> the fact it states.
ROWS = {
    "A02": "purpose",
    "A04": "recipients",
    "A05": "retention",
    "A09": "automated_decisions",
    "A10": "transfers",
    "E03": "published_copies",
    "E06": "backup_period",
    "C02": "dpo_name",
    # The controller's own rule for runs after a decision (issue 19, item 4):
    # without it the letter says only what the status page will show.
    "M05": "future_runs",
    # Art. 19 binds us towards recipients, and our own training teams are none:
    # the row cites it, naming them, only when external recipients are configured;
    # otherwise it says only that the teams were given the removal list (issue 18,
    # item 5).
    "O05": "recipients",
}
#: Placeholder of a row's text -> (the sentence that fills it, the fact it states):
#: ``<sentence>`` says the fact, ``<sentence>_unset`` that the letter does not.
PARTS = {"basis": ("A02_basis", "legal_basis")}


@dataclass(frozen=True)
class Configured:
    """What a letter in one language says of the configured facts."""

    values: dict[str, str]  # placeholder -> configured text (set facts only)
    variants: dict[str, str]  # row -> the key of the sentence said instead


def configured(
    config: Mapping, lang: str, texts: Mapping[str, str], values: Mapping[str, str]
) -> Configured:
    """The configured facts of letters in ``lang`` and the rows they change;
    ``texts`` and ``values``: the letter's sentences and placeholders, which the
    sentences of ``PARTS`` are filled with."""
    stated = letter_facts.stated(config, lang)
    variants = {row: f"{row}_unset" for row, key in ROWS.items() if key not in stated}
    said = dict(stated)
    for placeholder, (sentence, key) in PARTS.items():
        chosen = sentence if key in stated else f"{sentence}_unset"
        said[placeholder] = texts[chosen].format_map({**values, **stated})
    return Configured(said, variants)
