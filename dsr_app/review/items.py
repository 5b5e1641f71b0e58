"""One row per item: a record's matches shown, and decided, together (issue 20,
item 4).

A record, ``(dataset, dataset_version, record_id)``, can be matched by several
rules (its author is the person's account, their e-mail is in its text, so is
their name), each a match row with its own ``match_id``. Staff judge the item, not
the rule: the same record once showed as ``name/weak -> exclude`` beside
``email/verified -> include``. So an item is included or excluded as a whole
(docs/matching.md, "One item, one decision"):

- naming any of an item's match ids in ``include`` or ``exclude`` chooses for every
  match of the item; an item named both ways is included;
- an item nobody names is included when one of its matches is verified (or
  probable), and left out, unattributed, when all are weak;
- a match found later on an item already decided takes the item's decision.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

import sqlite_utils

from dsr_app.matching.reasons import (
    CONFIDENCE_ORDER,
    highlight_spans,
    marked_pieces,
    rule_of,
    rule_text,
    strongest,
)
from dsr_app.review.letter_items import LEFT_OUT

# The decision of an item nobody chose whose matches are all weak: left out, not
# judged (review.decisions records it as excluded by LEFT_OUT; issue 18, item 3).
UNCHOSEN_WEAK = "left_out"


def item_key(match: Mapping) -> tuple[str, str, str]:
    """The item a match is about: its record in its dataset version."""
    return match["dataset"], match["dataset_version"], match["record_id"]


def by_item(rows: Iterable[Mapping]) -> dict[tuple[str, str, str], list[Mapping]]:
    """Matches grouped by item, in the order the items first come."""
    items: dict[tuple[str, str, str], list[Mapping]] = {}
    for row in rows:
        items.setdefault(item_key(row), []).append(row)
    return items


def choose(
    rows: Iterable[Mapping], include: Iterable[str], exclude: Iterable[str]
) -> dict[str, str]:
    """Each match's decision, chosen item by item: ``include``, ``exclude`` or
    ``UNCHOSEN_WEAK`` (``rows``: the matches to decide, with ``match_id``, the
    item's key and ``confidence``; ``include``/``exclude``: the match ids staff
    named, any of an item's standing for it)."""
    include, exclude = set(include), set(exclude)
    chosen: dict[str, str] = {}
    for matches in by_item(rows).values():
        ids = {m["match_id"] for m in matches}
        if ids & include:
            # Named both ways (one match included, another excluded): the item is
            # about the person by the rule staff accepted, so it is included
            # (Art. 15 asks for every item about them; docs/matching.md).
            decision = "include"
        elif ids & exclude:
            decision = "exclude"
        elif strongest(m["confidence"] for m in matches) != "weak":
            decision = "include"
        else:
            decision = UNCHOSEN_WEAK
        chosen.update(dict.fromkeys(sorted(ids), decision))
    return chosen


def follow_item_decisions(
    db: sqlite_utils.Database, request_id: str, at: datetime
) -> int:
    """Give each undecided match of an item already decided (by staff or the
    system, not left out) that item's decision, dated ``at``; returns how many.

    A later search can find a new rule matching a decided record (a new name
    spelling, a pointer): it must not make the record both included and excluded,
    nor ask staff again about an item they judged.
    """
    same_item = (
        "d.request_id = matches.request_id AND d.dataset = matches.dataset"
        " AND d.dataset_version = matches.dataset_version"
        " AND d.record_id = matches.record_id AND d.decision IS NOT NULL"
        " AND d.decided_by IS NOT ?"
    )
    return db.execute(
        "UPDATE matches SET (decision, decided_by) = (SELECT d.decision,"
        f" d.decided_by FROM matches d WHERE {same_item}"
        " ORDER BY d.decision DESC LIMIT 1), decided_at = ?"
        " WHERE request_id = ? AND decision IS NULL"
        f" AND EXISTS (SELECT 1 FROM matches d WHERE {same_item})",
        [LEFT_OUT, at.isoformat(), request_id, LEFT_OUT],
    ).rowcount


def _decision(matches: list[Mapping]) -> tuple[str | None, bool]:
    """An item's decision as stored (``None``: not decided) and whether it was
    left out unattributed; ``include`` if legacy rows disagree (never since m027's
    release: ``choose`` and ``follow_item_decisions`` keep an item whole)."""
    judged = {m["decision"] for m in matches if m["decided_by"] != LEFT_OUT}
    judged.discard(None)
    if judged:
        return ("include" if "include" in judged else "exclude"), False
    left_out = all(m["decided_by"] == LEFT_OUT for m in matches)
    return (None, True) if left_out else (None, False)


def group_items(matches: list[Mapping]) -> list[dict]:
    """The case's matches as items, in the order of their first match: each
    record once with every rule that matched it, the strongest confidence, the
    words to mark in its snippet and the one decision of the item.

    ``matches``: as the case shows them, with ``rule`` (or ``matched_on`` and
    ``confidence`` implying one), ``matched_words``, ``decision`` and
    ``decided_by``. The snippet shown is the one where most of the words stand.
    """
    items = []
    for key, rows in by_item(matches).items():
        words = list(
            dict.fromkeys(m["matched_words"] for m in rows if m["matched_words"])
        )
        rank = sorted(rows, key=lambda m: CONFIDENCE_ORDER.index(m["confidence"]))
        snippet = max(
            dict.fromkeys(m["snippet"] for m in rank),  # strongest first on a tie
            key=lambda s: len(highlight_spans(s, words)),
        )
        spans = highlight_spans(snippet, words)
        decision, left_out = _decision(rows)
        items.append(
            {
                "item_id": rows[0]["match_id"],
                "match_ids": [m["match_id"] for m in rows],
                "dataset": key[0],
                "dataset_version": key[1],
                "record_id": key[2],
                "match_kind": "own"
                if any(m["match_kind"] == "own" for m in rows)
                else "mention",
                "confidence": rank[0]["confidence"],
                "rules": [
                    {
                        "match_id": m["match_id"],
                        "matched_on": m["matched_on"],
                        "confidence": m["confidence"],
                        "rule": m["rule"],
                        "rule_text": m["rule_text"],
                        "matched_words": m["matched_words"],
                    }
                    for m in rank
                ],
                "matched_words": words,
                "snippet": snippet,
                "highlights": [list(span) for span in spans],
                "pieces": marked_pieces(snippet, spans),  # the page's <mark>s
                "policy_flags": sorted({f for m in rows for f in m["policy_flags"]}),
                "decision": decision,
                "left_out": left_out,
            }
        )
    return items


def explained(match: Mapping) -> dict:
    """A stored match with its rule's code and sentence (``rule_text``)."""
    rule = rule_of(match["matched_on"], match["confidence"], match.get("rule"))
    return {**match, "rule": rule, "rule_text": rule_text(rule)}
