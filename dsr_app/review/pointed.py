"""What a person pointed to, beside the items it found, for staff to judge (issue
20, item 3).

A pointer is the person's word that an item is about them, not proof: a pointer
match is weak until staff include it. To judge it, staff read the person's passage
beside the item's text with the words they share marked, or the link or id that led
to it. The item's text is shown as every snippet is, other people's identifiers
masked (docs/security.md L6).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import sqlite_utils

from dsr_app.corpus.record import STORED_COLUMNS
from dsr_app.matching.masking import mask_others
from dsr_app.matching.passages import MAX_SHOWN, marked, shared_words
from dsr_app.matching.pointer_index import unindexed
from dsr_app.matching.pointers import POINTER, leads_to, pointer_kind, pointers_of
from dsr_app.matching.search import identity_for

_COLUMNS = ", ".join((*STORED_COLUMNS, "url"))


def pointed_items(
    db: sqlite_utils.Database, request_id: str, matches: Iterable[Mapping]
) -> dict:
    """The request's pointers (``pointers``: kind and value, in order); for each
    of its ``pointer`` matches (``found``), the pointers that lead to its item and
    the item's masked text, as (piece, marked) pieces for the page's ``<mark>``;
    and, if it gave a link or a passage, how many records the pointer index has
    yet to take in (``waiting``: its job searches again once it has).
    """
    values = pointers_of(db, request_id)
    found = []
    identity = None
    for match in matches:
        if match["matched_on"] != POINTER:
            continue
        identity = identity or identity_for(db, request_id)
        row = db.execute(
            f"SELECT {_COLUMNS} FROM records WHERE dataset = ? AND"
            " dataset_version = ? AND record_id = ?",
            [match["dataset"], match["dataset_version"], match["record_id"]],
        ).fetchone()
        record = dict(zip((*STORED_COLUMNS, "url"), row or (), strict=False))
        text = record.get("text") or ""
        masked = mask_others(text, identity, record) if text else ""
        shown = masked[:MAX_SHOWN]
        leading = [v for v in values if text and leads_to(v, record, record["url"])]
        shared = {
            v: shared_words(v, shown) for v in leading if pointer_kind(v) == "passage"
        }
        found.append(
            {
                "match_id": match["match_id"],
                "dataset": match["dataset"],
                "dataset_version": match["dataset_version"],
                "record_id": match["record_id"],
                "erased": not text,
                "cut": len(masked) > MAX_SHOWN,
                "pieces": marked(shown, set().union(*shared.values())),
                "pointers": [
                    {
                        "kind": pointer_kind(v),
                        "pieces": marked(v, shared[v]) if v in shared else [(v, False)],
                    }
                    for v in leading
                ],
            }
        )
    kinds = [pointer_kind(v) for v in values]
    return {
        "pointers": [
            {"kind": k, "value": v} for k, v in zip(kinds, values, strict=True)
        ],
        "found": found,
        "waiting": unindexed(db) if any(k != "id" for k in kinds) else 0,
    }
