"""The grounds of a decision and what its letter says of them (issue 18, items 5
and 8): the Art. 17(1) ground of an approved erasure, the common reasons staff choose
for a refusal, an extension or a request for information (each said in the letter's
language with its article, then the staff's own words), and the timing of a refusal
or an extension as the record shows it.

Nothing here claims more than the record holds: an erasure approved without a
ground cites Art. 17(1) alone, ground (c) needs an objection of the same person on
record, and a refusal says "within one month" only when it went out within it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

import sqlite_utils

from dsr_app.deadlines import due_date, receipt_day
from dsr_app.errors import BadInput
from dsr_app.i18n import long_date
from dsr_app.schemas.review import ERASURE_GROUNDS

# The case page's words for each Art. 17(1) ground; the letter says it in its own
# language (letter_texts: E02_<ground>).
GROUND_LABELS = {
    "a": "(a) no longer needed: the data is no longer necessary for the purposes"
    " it was collected or otherwise processed for",
    "b": "(b) consent withdrawn: the processing rested on the person's consent,"
    " they withdrew it, and no other legal ground remains",
    "c": "(c) objection: the person objected under Art. 21(1) and there are no"
    " overriding legitimate grounds (only with an objection of theirs on record)",
    "d": "(d) unlawful: the data was processed unlawfully",
    "e": "(e) legal obligation: Union or Member State law requires us to erase it",
    "f": "(f) a child: the data was collected in offering information society"
    " services to a child (Art. 8(1))",
}
ALL_TYPES = ("access", "objection", "erasure")


@dataclass(frozen=True)
class Reason:
    """A common reason: the decision it gives, the requests it fits, the staff's
    words, and whether the staff's own text must show it (the burden is ours)."""

    decision: str
    types: tuple[str, ...]
    label: str
    needs_text: bool = False


# Each code's sentence in the letter, with its article: letter_texts reason_<code>.
REASONS = {
    "unfounded_or_excessive": Reason(
        "reject",
        ALL_TYPES,
        "manifestly unfounded or excessive, Art. 12(5): show why in the text",
        needs_text=True,
    ),
    "cannot_identify": Reason(
        "reject",
        ALL_TYPES,
        "we cannot identify the person, Art. 11(2), 12(2): show why in the text",
        needs_text=True,
    ),
    "rights_of_others": Reason(
        "reject", ("access",), "the rights and freedoms of others, Art. 15(4)"
    ),
    "compelling_grounds": Reason(
        "reject",
        ("objection", "erasure"),
        "compelling legitimate grounds that override the person's, Art. 21(1):"
        " name them, specific to this person, in the text",
        needs_text=True,
    ),
    "legal_claims": Reason(
        "reject",
        ("objection", "erasure"),
        "needed for legal claims, Art. 17(3)(e), 21(1): name the claim in the text",
        needs_text=True,
    ),
    "complexity": Reason("extend", ALL_TYPES, "the request is complex, Art. 12(3)"),
    "number_of_requests": Reason(
        "extend", ALL_TYPES, "the number of requests, Art. 12(3)"
    ),
    "identity_doubt": Reason(
        "request_info",
        ALL_TYPES,
        "reasonable doubt about identity, Art. 12(6): write the concrete doubt",
        needs_text=True,
    ),
    "handles_unproven": Reason(
        "request_info",
        ALL_TYPES,
        "the confirmed contact details do not show the usernames given are theirs,"
        " Art. 12(6)",
    ),
}


def objection_on_record(db: sqlite_utils.Database, row: Mapping) -> dict | None:
    """The first objection of the same person (the same verified e-mail) that was
    neither rejected nor expired, or None: what ground (c) rests on."""
    if not row["email_verified_at"]:
        return None
    found = db.execute(
        "SELECT id, receipt_day FROM requests WHERE type = 'objection'"
        " AND email_canonical = ? AND email_verified_at IS NOT NULL"
        " AND status NOT IN ('rejected', 'expired') ORDER BY received_at LIMIT 1",
        [row["email_canonical"]],
    ).fetchone()
    return {"id": found[0], "receipt_day": found[1]} if found else None


def check(
    db: sqlite_utils.Database,
    row: Mapping,
    decision: str,
    reason: str | None,
    erasure_ground: str | None,
    reason_codes: Iterable[str],
    ground_required: bool = False,
) -> None:
    """Refuse a ground or reason code that does not fit the decision or the record.

    ``ground_required``: the case page asks for the ground of every erasure it
    approves; the API keeps an old client's approval without one.

    :raises BadInput: naming ``erasure_ground``, ``reason_codes`` or ``reason``.
    """
    codes = list(reason_codes)
    unknown = [c for c in codes if c not in REASONS]
    if unknown:
        raise BadInput(
            "reason_codes",
            f"unknown reason codes: {', '.join(unknown[:5])};"
            f" known: {', '.join(REASONS)}",
        )
    misplaced = [c for c in codes if REASONS[c].decision != decision]
    if misplaced:
        raise BadInput(
            "reason_codes",
            f"not reasons to {decision.replace('_', ' ')}: {', '.join(misplaced)}",
        )
    unfit = [c for c in codes if row["type"] not in REASONS[c].types]
    if unfit:
        raise BadInput(
            "reason_codes",
            f"not reasons for {row['type']} requests: {', '.join(unfit)}",
        )
    shown = [c for c in codes if REASONS[c].needs_text]
    if shown and not reason:
        raise BadInput(
            "reason", f"{shown[0]} needs the reason shown in words, for this person"
        )
    erasure_approval = decision == "approve" and row["type"] == "erasure"
    if erasure_ground is None:
        if ground_required and erasure_approval:
            raise BadInput(
                "erasure_ground", "choose the Art. 17(1) ground of this erasure"
            )
        return
    if erasure_ground not in ERASURE_GROUNDS:
        raise BadInput("erasure_ground", f"must be one of {', '.join(ERASURE_GROUNDS)}")
    if not erasure_approval:
        raise BadInput("erasure_ground", "only for approving an erasure request")
    if erasure_ground == "c" and objection_on_record(db, row) is None:
        raise BadInput(
            "erasure_ground",
            "(c) rests on an objection, and this person (the same verified e-mail)"
            " has no objection on record that was not rejected or expired",
        )


def store(
    db: sqlite_utils.Database,
    request_id: str,
    erasure_ground: str | None,
    reason_codes: Iterable[str],
) -> dict:
    """Keep the decision's ground and reason codes on the request; returns them
    for the decision's audit entry. Call inside the decision's transaction."""
    codes = list(dict.fromkeys(reason_codes))
    db.execute(
        "UPDATE requests SET erasure_ground = coalesce(?, erasure_ground),"
        " reason_codes = ? WHERE id = ?",
        [erasure_ground, json.dumps(codes) if codes else None, request_id],
    )
    detail: dict = {"reason_codes": codes} if codes else {}
    if erasure_ground:
        detail["erasure_ground"] = erasure_ground
    return detail


def reason_text(row: Mapping, texts: Mapping[str, str]) -> str:
    """The reasons as the letter gives them: each chosen reason's sentence in the
    letter's language, then the staff's own words."""
    codes = json.loads(row["reason_codes"] or "[]")
    parts = [texts[f"reason_{c}"] for c in codes if f"reason_{c}" in texts]
    own = row["decision_reason"] or ""
    if own:
        parts.append(texts["reason_details"].format(text=own) if parts else own)
    return " ".join(parts)


@dataclass(frozen=True)
class Told:
    """What a letter says of the decision's grounds and timing."""

    values: dict[str, str]  # placeholder -> text
    variants: dict[str, str]  # row -> the key of the sentence said instead


def letter_parts(
    db: sqlite_utils.Database,
    row: Mapping,
    texts: Mapping[str, str],
    lang: str,
    at: datetime,
) -> Told:
    """The reason, the erasure ground and the timing a letter issued at ``at``
    states, from the record (docs/legal.md: E02, D02, D03, X02, X03)."""
    country = row["controller_country"]
    received = date.fromisoformat(row["receipt_day"])
    today = receipt_day(at, country)
    one_month = due_date(received, country, 1)
    # The one-month date with the pauses of requests for information: the due date
    # an extension had to come by (decisions: extend).
    first_due = due_date(received, country, 1, row["paused_days"])
    values = {
        "reason": reason_text(row, texts),
        "first_due": long_date(first_due, lang),
        "paused_days": str(row["paused_days"]),
        "objection_received": "",
        "extended_date": "",
    }
    variants: dict[str, str] = {}
    ground = row["erasure_ground"] if row["type"] == "erasure" else None
    objection = objection_on_record(db, row) if ground == "c" else None
    if ground and (ground != "c" or objection):
        variants["E02"] = f"E02_{ground}"
    if objection:
        day = date.fromisoformat(objection["receipt_day"])
        values["objection_received"] = long_date(day, lang)
    if row["extended_at"]:
        extended = receipt_day(datetime.fromisoformat(row["extended_at"]), country)
        values["extended_date"] = long_date(extended, lang)
        in_time = today <= date.fromisoformat(row["due_at"])
        variants["D03"] = "D03_extended" if in_time else "D03_extended_late"
    elif today > first_due:
        variants["D03"] = "D03_late"
    elif today > one_month:
        variants["D03"] = "D03_paused"
    if today > one_month:
        # Only after a pause: an extension is refused past the paused due date.
        variants["X03"] = "X03_paused"
    return Told(values, variants)


def form_choices(row_type: str, lang: str, texts: Mapping[str, str]) -> dict:
    """The case page's choices: the Art. 17(1) grounds and, per decision, the
    reasons that fit this request, each with its sentence in the letter's language."""
    reasons: dict[str, list[dict]] = {}
    for code, reason in REASONS.items():
        if row_type in reason.types:
            reasons.setdefault(reason.decision, []).append(
                {"code": code, "label": reason.label, "text": texts[f"reason_{code}"]}
            )
    return {"grounds": GROUND_LABELS, "reasons": reasons}
