"""What a decision will do, said before it is taken (issue 21, item 1).

Every decision sends something to the person that cannot be taken back (a letter,
a notice, a question) and an approval of an objection or erasure issues a signed
removal list. The case page shows this summary and asks staff to confirm; the
checks here are the decision's own (decisions.ALLOWED, NEEDS_REASON,
grounds.check), so a summary is never shown for a decision that would be
refused for its form. Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import sqlite_utils

from dsr_app.errors import BadInput, Conflict
from dsr_app.removal.lists import REMOVAL_TYPES
from dsr_app.review import grounds
from dsr_app.review.decisions import ALLOWED, DECISIONS, NEEDS_REASON
from dsr_app.review.items import UNCHOSEN_WEAK, choose

BULK = ("include", "exclude", "undecided")


@dataclass(frozen=True)
class Draft:
    """A decision as the case page's form holds it, before it is taken."""

    decision: str = ""
    reason: str = ""
    reason_codes: tuple[str, ...] = ()
    erasure_ground: str = ""
    #: item id -> "1" (include), "0" (exclude) or "" (undecided), as posted.
    choices: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_form(cls, form, items: Iterable[Mapping] = ()) -> Draft:
        """The draft of a posted form; a table's bulk choice (``bulk:own``,
        ``bulk:mention``: include, exclude, undecided) sets every item of that
        table (``items``: the case's, review.items.group_items)."""
        choices = {
            key[len("m:") :]: value
            for key, value in form.items()
            if key.startswith("m:") and value in ("1", "0", "")
        }
        for item in items:
            bulk = form.get(f"bulk:{item['match_kind']}", "")
            if bulk in BULK:
                choices[item["item_id"]] = {"include": "1", "exclude": "0"}.get(
                    bulk, ""
                )
        return cls(
            decision=form.get("decision", ""),
            reason=form.get("reason", "")[:5000],
            reason_codes=tuple(form.getlist("reason_codes")),
            erasure_ground=form.get("erasure_ground", ""),
            choices=choices,
        )

    @property
    def include(self) -> list[str]:
        """The item ids chosen to include (each stands for its item's matches)."""
        return [i for i, v in self.choices.items() if v == "1"]

    @property
    def exclude(self) -> list[str]:
        """The item ids chosen as not about the person."""
        return [i for i, v in self.choices.items() if v == "0"]


def check(db: sqlite_utils.Database, row: Mapping, draft: Draft) -> None:
    """Refuse a draft the decision would refuse for its form or the case's state.

    :raises BadInput, Conflict: as decisions.decide would, with its messages.
    """
    if draft.decision not in DECISIONS:
        raise BadInput("decision", f"must be one of {', '.join(DECISIONS)}")
    # A completed case takes a follow-up approval of matches found since, or of
    # weak ones left out that staff now include (decisions.decide says which).
    follow_up = (
        draft.decision == "approve"
        and row["status"] == "completed"
        and bool(
            row["follow_up_weak"] or row["type"] in REMOVAL_TYPES and draft.include
        )
    )
    if row["status"] not in ALLOWED[draft.decision] and not follow_up:
        verb = draft.decision.replace("_", " ")
        raise Conflict(f"cannot {verb} a request that is {row['status']}")
    reason = draft.reason.strip() or None
    if draft.decision in NEEDS_REASON and not reason and not draft.reason_codes:
        raise BadInput(
            "reason",
            f"a reason or reason_codes is required to"
            f" {draft.decision.replace('_', ' ')}",
        )
    grounds.check(
        db,
        row,
        draft.decision,
        reason,
        draft.erasure_ground or None,
        draft.reason_codes,
        ground_required=True,
    )


def summary(
    db: sqlite_utils.Database, case: Mapping, draft: Draft, row: Mapping
) -> dict:
    """What taking ``draft`` on ``case`` (review.queue.case) will send and remove:
    the items by their decision (``include``, ``exclude``, ``left_out``: weak,
    undecided, counted in the letter), whether a removal list is issued and for
    which datasets, and the reason's codes in words.

    :raises BadInput, Conflict: see :func:`check`.
    """
    check(db, row, draft)
    chosen = choose(case["matches"], draft.include, draft.exclude)
    by_decision: dict[str, list[dict]] = {"include": [], "exclude": [], "left_out": []}
    for item in case["items"]:
        decision = chosen.get(item["item_id"], "include")
        if item["decision"] and row["status"] == "completed":
            decision = item["decision"]  # a follow-up decides only the new ones
        key = "left_out" if decision == UNCHOSEN_WEAK else decision
        by_decision[key].append(item)
    approve = draft.decision == "approve"
    removes = approve and row["type"] in REMOVAL_TYPES
    return {
        "decision": draft.decision,
        "items": by_decision if approve else None,
        "removal": sorted({i["dataset"] for i in by_decision["include"]})
        if removes
        else None,
        "removes": removes,
        "reasons": [grounds.REASONS[c].label for c in draft.reason_codes],
        "ground": grounds.GROUND_LABELS.get(draft.erasure_ground),
    }
