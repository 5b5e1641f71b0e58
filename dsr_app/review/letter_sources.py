"""Where a letter's items come from and what they are (issue 18, item 2): the
source (A08) and the categories (A03) of the items a letter lists, said from the
manifest's fields of each item, never as a fixed text true only of the typical
case.

A08 names each ``source`` as the manifest wrote it (an item without one: "not
stated"), whether the items are the person's own and/or mentions, and the
``visibility`` as recorded: public when collected, not public (``friends``,
``private`` or another value, which the contract makes a policy violation), or
not recorded. A03 names the kinds found among the own items and among the
mentions, what the mentions were found by, and only the metadata (date,
language, link) the manifest holds for them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from dsr_app.review.letter_items import KINDS, plural

# The visibilities the contract names (section 3); another is said as written.
VISIBILITIES = ("friends", "private")


def _join(parts: list[str], texts: Mapping[str, str]) -> str:
    return texts["list_sep"].join(p for p in parts if p)


def _sources(listed: list[dict], lang: str, texts: Mapping[str, str]) -> str:
    """Each source with its count of items, as the manifest names it; items
    without one last, as not stated."""
    counts = Counter(i.get("source") or "" for i in listed)
    named = sorted(s for s in counts if s)
    return _join(
        [
            texts["source_count"].format(
                source=source or texts["not_stated"],
                items=plural(texts, "source_items", counts[source], lang),
            )
            for source in [*named, *([""] if "" in counts else [])]
        ],
        texts,
    )


def _visibility(listed: list[dict], lang: str, texts: Mapping[str, str]) -> str:
    """How many items were public when collected, how many were not (with the
    recorded values) and for how many nothing is recorded."""
    recorded = [i.get("visibility") or "" for i in listed]
    public = sum(v == "public" for v in recorded)
    unknown = sum(v == "" for v in recorded)
    hidden = sorted({v for v in recorded if v not in ("", "public")})
    parts = []
    if public:
        parts.append(plural(texts, "visible_public", public, lang))
    if hidden:
        values = ", ".join(
            texts[f"visibility_{v}"] if v in VISIBILITIES else v for v in hidden
        )
        count = len(recorded) - public - unknown
        parts.append(plural(texts, "visible_hidden", count, lang, values=values))
    if unknown:
        parts.append(plural(texts, "visible_unknown", unknown, lang))
    return _join(parts, texts)


def _kinds(group: list[dict], texts: Mapping[str, str]) -> str:
    """The kinds among ``group`` as the category's plural nouns (another kind as
    written; an item without one: kind not stated)."""
    codes = {i.get("kind_code") or "" for i in group}
    known = [texts[f"cat_{k}"] for k in KINDS if k in codes]
    other = sorted(c for c in codes if c and c not in KINDS)
    unstated = [texts["cat_unstated"]] if "" in codes else []
    return ", ".join([*known, *other, *unstated])


def with_sources(record: dict, lang: str, texts: Mapping[str, str]) -> dict:
    """``record`` (letter_items.record_facts) with the values and variants of A08
    and A03 for its items added."""
    values, variants = source_facts(record["items"], lang, texts)
    return {
        **record,
        "values": {**record["values"], **values},
        "variants": {**record["variants"], **variants},
    }


def source_facts(
    listed: list[dict], lang: str, texts: Mapping[str, str]
) -> tuple[dict, dict]:
    """(values, variants) of A08 and A03 for the letter's ``listed`` items."""
    own = [i for i in listed if i["own"]]
    mentions = [i for i in listed if not i["own"]]
    if own and mentions:
        origin = texts["origin_both"]
    else:
        origin = texts["origin_own"] if own else texts["origin_mentions"]
    found_by = sorted({o for i in mentions for o in i.get("found_by", ())})
    metadata = [
        texts[f"meta_{field}"]
        for field, present in (
            ("date", any(i["date"] for i in listed)),
            ("language", any(i["lang_code"] for i in listed)),
            ("link", any(i["url"] for i in listed)),
        )
        if present
    ]
    categories = [
        texts["cat_own"].format(kinds=_kinds(own, texts)) if own else "",
        texts["cat_mentions"].format(
            kinds=_kinds(mentions, texts),
            on=", ".join(texts.get(f"on_{o}", o) for o in found_by),
        )
        if mentions
        else "",
        texts["cat_metadata"].format(fields=", ".join(metadata)) if metadata else "",
    ]
    values = {
        "origin": origin,
        "sources": _sources(listed, lang, texts),
        "visibility": _visibility(listed, lang, texts),
        "categories": _join(categories, texts),
    }
    # No item, no sentence about their source or categories.
    variants = {} if listed else {"A08": "", "A03": ""}
    return values, variants
