"""What a letter states from the case's record (issue 18, items 2 and 3): the items
found, counted and listed once each, named by what they are; the weak candidates
left out, never hidden behind "none"; the searches; the extension and the pauses.

A stored record can have several match rows (own and mention, name and e-mail):
the letter counts and lists the record, ``(dataset, dataset_version, record_id)``,
once. Counts are said with the language's plural forms (CLDR, through Babel),
never "item(s)". A fact the record does not hold is said as not stated.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime

import sqlite_utils
from babel import Locale, UnknownLocaleError

from dsr_app.audit import trail
from dsr_app.deadlines import due_date, receipt_day
from dsr_app.i18n import long_date
from dsr_app.review import wording

# ``matches.decided_by`` of a weak match an approval left out because nobody chose
# it (review.decisions): not judged "not about this person", so still unattributed.
LEFT_OUT = "weak_left_out"
# The record kinds the contract names (section 3) and the manifests use; another
# kind is shown as written in the manifest.
KINDS = ("post", "comment", "caption", "ai_chat", "message")


def plural_key(texts: Mapping[str, str], key: str, count: int, lang: str) -> str:
    """Which text says ``key`` for ``count`` things: ``<key>_none`` for 0 where the
    catalog has it, else ``<key>_one`` or ``<key>_other`` by the language's plural
    rule (``<key>_other`` for a form the catalog does not have)."""
    if count == 0 and f"{key}_none" in texts:
        return f"{key}_none"
    form = f"{key}_{Locale.parse(lang).plural_form(count)}"
    return form if form in texts else f"{key}_other"


def plural(texts: Mapping[str, str], key: str, count: int, lang: str, **fields) -> str:
    """``key`` said for ``count`` things (plural_key), with ``fields``."""
    return texts[plural_key(texts, key, count, lang)].format(count=count, **fields)


def iso_day(value: str | None, lang: str) -> str | None:
    """An ISO 8601 date or instant as the letter's language writes dates."""
    try:
        return long_date(date.fromisoformat((value or "")[:10]), lang)
    except ValueError:
        return value or None


def language_name(code: str | None, lang: str) -> str | None:
    """A BCP 47 code named in ``lang`` (``de`` → ``German``); the code if unknown."""
    if not code:
        return None
    try:
        return Locale.parse(code, sep="-").get_display_name(lang) or code
    except (ValueError, UnknownLocaleError):
        return code


def _kind(value: str | None, texts: Mapping[str, str]) -> str | None:
    return texts[f"kind_{value}"] if value in KINDS else value


def items(matches: list[dict], lang: str, texts: Mapping[str, str]) -> list[dict]:
    """The letter's items, one per stored record however many matches found it,
    own content first (the order of ``matches``)."""
    found: dict[tuple, list[dict]] = {}
    for m in matches:
        found.setdefault((m["dataset"], m["dataset_version"], m["record_id"]), [])
        found[(m["dataset"], m["dataset_version"], m["record_id"])].append(m)
    listed = []
    for (dataset, version, record_id), rows in found.items():
        first = rows[0]
        own = any(m["match_kind"] == "own" for m in rows)
        on = sorted({m["matched_on"] for m in rows if m["match_kind"] == "mention"})
        url = first.get("item_url")
        listed.append(
            {
                "dataset": dataset,
                "version": version,
                "record_id": record_id,
                "own": own,
                # What it is to the person: their own, or a mention found by
                # what (in the letter's language, not internal names).
                "relation": texts["kind_own"]
                if own
                else texts["kind_mention"].format(
                    on=", ".join(texts.get(f"on_{o}", o) for o in on)
                ),
                "kind": _kind(first.get("item_kind"), texts),
                "kind_code": first.get("item_kind"),
                "posted_at": (first["posted_at"] or "")[:10],
                "date": iso_day(first["posted_at"], lang),
                "lang_code": first.get("item_lang"),
                "language": language_name(first.get("item_lang"), lang),
                "url": url,
                # Where it was published and who could see it, as the manifest
                # says (letter_sources: A08, A03); what mentions were found by.
                "source": first.get("item_source"),
                "visibility": first.get("item_visibility"),
                "found_by": on,
                # Only a web address becomes a link (no javascript:, no file:).
                "link": bool(url) and url.lower().startswith(("http://", "https://")),
                # Art. 15(3)/(4): own content in full, mentions as masked excerpts.
                "content": first["full_text"]
                if own and first["full_text"]
                else wording.local_masks(first["snippet"], texts),
            }
        )
    return listed


def unattributed(
    db: sqlite_utils.Database, row: Mapping, listed: list[dict]
) -> tuple[int, int]:
    """Items with a weak match staff did not decide (for a decided case: as at its
    decision), counted per item, leaving out items the letter lists and items staff
    excluded as not about the person (issue 18, item 3): (found by other weak
    rules, such as a name alone; found only by what the person pointed to). W01
    speaks of a name, which a pointer-found item may not hold (issue 20)."""
    decided_at = (
        row["decided_at"] if row["status"] in ("completed", "rejected") else None
    )
    rows = db.execute(
        "SELECT dataset, dataset_version, record_id, confidence, decision,"
        " decided_by, decided_at, matched_on FROM matches"
        " WHERE request_id = ? AND (? IS NULL OR found_at <= ?)",
        [row["id"], decided_at, decided_at],
    ).fetchall()

    def undecided(decision, by, at) -> bool:
        later = decided_at is not None and at > decided_at
        return decision is None or by == LEFT_OUT or later

    excluded = {r[:3] for r in rows if r[4] == "exclude" and not undecided(*r[4:7])}
    weak = {r[:3] for r in rows if r[3] == "weak" and undecided(*r[4:7])}
    shown = {(i["dataset"], i["version"], i["record_id"]) for i in listed}
    left = weak - excluded - shown
    by_other = {r[:3] for r in rows if r[:3] in left and r[7] != "pointer"}
    return len(by_other), len(left - by_other)


def _searched(
    db: sqlite_utils.Database, request_id: str, decided_at: str | None, lang: str
) -> str | None:
    """Each dataset version the request's searches covered (a decided case: those
    before its decision) with the day it was last searched; None if none ran."""
    latest: dict[tuple, str] = {}
    for searched_at, scope in db.execute(
        "SELECT searched_at, scope FROM searches WHERE request_id = ?"
        " AND (? IS NULL OR searched_at <= ?) ORDER BY id",
        [request_id, decided_at, decided_at],
    ):
        for dataset, version in json.loads(scope):
            latest[(dataset, version)] = searched_at[:10]
    by_day: dict[str, list[str]] = {}
    for (dataset, version), day in sorted(latest.items()):
        by_day.setdefault(day, []).append(f"{dataset} {version}")
    return (
        "; ".join(
            f"{', '.join(versions)} ({iso_day(day, lang)})"
            for day, versions in sorted(by_day.items())
        )
        or None
    )


def _pauses(db: sqlite_utils.Database, request_id: str, at: datetime) -> list[dict]:
    """The pauses applied to the period before ``at``: the replies to a request
    for information that was sent promptly (the reply's audit entry records the
    pause, review.decisions.resume_after_reply)."""
    return [
        {**e["detail"], "at": e["at"]}
        for e in trail(db, request_id)
        if e["action"] == "info_received"
        and e["detail"].get("paused_days")
        and e["at"] <= at.isoformat()
    ]


def record_facts(
    db: sqlite_utils.Database,
    row: Mapping,
    matches: list[dict],
    lang: str,
    texts: Mapping[str, str],
    at: datetime,
) -> dict:
    """The items and the sentences' values and variants the record calls for:
    ``items``, ``values`` (placeholders), ``variants`` (row id → the key to say
    instead, or ``""`` to leave the row out)."""
    listed = items(matches, lang, texts)
    own = sum(i["own"] for i in listed)
    weak, pointed = unattributed(db, row, listed)
    decided = row["decided_at"] if row["status"] in ("completed", "rejected") else None
    searched = _searched(db, row["id"], decided, lang)
    country = row["controller_country"]
    received = date.fromisoformat(row["receipt_day"])
    pauses = _pauses(db, row["id"], at)
    values = {
        "own_items": plural(texts, "own_items", own, lang),
        "mention_items": plural(texts, "mention_items", len(listed) - own, lang),
        "weak_count": str(weak),
        "pointed_count": str(pointed),
        "searched": searched or "",
        "pauses": "; ".join(
            texts["pause_span"].format(
                start=iso_day(p["paused_from"], lang),
                end=iso_day(p["paused_until"], lang),
                days=plural(texts, "days", p["paused_days"], lang),
            )
            for p in pauses
        ),
    }
    variants = {
        "W01": plural_key(texts, "W01", weak, lang) if weak else "",
        "W02": plural_key(texts, "W02", pointed, lang) if pointed else "",
        "P01": "P01" if pauses else "",
    }
    if weak or pointed:
        variants.update(
            D06="D06_candidates", subject_no_data="subject_no_data_candidates"
        )
    if searched is None:
        variants.update(A15="A15_unsearched", D06="D06_unsearched")
    if row["extended_at"]:
        extended = datetime.fromisoformat(row["extended_at"])
        before = sum(p["paused_days"] for p in pauses if p["at"] <= row["extended_at"])
        values["extended_date"] = long_date(receipt_day(extended, country), lang)
        values["previous_due"] = long_date(due_date(received, country, 1, before), lang)
    return {"items": listed, "values": values, "variants": variants}
