"""The matching rules: does a record hold a requester's own content or mention them?

Pure functions over plain data (no database, no global state), shared by the indexed
per-request search (search.py) and the batch sweep (sweep.py), so that both decide
every (record, requester) pair the same way. They differ only in how they find the
candidate pairs. What they read of a text is in text.py, names in names.py, and what
they show of it (snippets, masks) in masking.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from dsr_app.corpus.record import policy_flag_names
from dsr_app.matching.identity import Identity, Match
from dsr_app.matching.masking import snippet
from dsr_app.matching.text import TextView, name_hit, phone_hits


def match_record(
    record: Mapping, identity: Identity, view: TextView | None = None
) -> list[Match]:
    """Every match of ``identity`` in one record (``record``: a manifest record).

    Own content: the author is an owned account (by id or by its handle). Mentions:
    the verified e-mail standing alone, the verified phone in any common spelling
    (compared in E.164, never inside a longer digit run), an @handle (whole), and the
    full name (weak: namesakes exist, docs/security.md L7). ``view``: the record's text,
    already read (optional).
    """
    text = record.get("text") or ""
    view = view if view is not None else TextView(text)
    # (kind, matched_on) -> (confidence, span in the text, rule code: reasons.RULES)
    found: dict[tuple[str, str], tuple[str, tuple[int, int], str]] = {}

    # The author's account id decides; the handle only when a record has no id
    # (handles are renamed and recycled: a handle alone must not make another
    # person's post "own").
    author_id = record.get("author_id")
    author_handle = (record.get("author_handle") or "").lower()
    if author_id and author_id in identity.account_ids:
        found[("own", "account")] = ("verified", (0, 0), "account")
    elif not author_id and author_handle and author_handle in identity.verified_handles:
        found[("own", "account")] = ("verified", (0, 0), "account_handle")

    if identity.email_key:
        for email, span in view.emails:
            if email == identity.email_key:
                found.setdefault(("mention", "email"), ("verified", span, "email"))
                break
    if identity.phone:
        hits = phone_hits(view, record, identity)
        if hits:
            found[("mention", "phone")] = ("verified", hits[0], "phone")
    if identity.verified_handles or identity.other_handles:
        for handle, span in view.handles:
            if handle in identity.verified_handles:
                found[("mention", "handle")] = ("verified", span, "handle")
                break
            if handle in identity.other_handles:
                found.setdefault(("mention", "handle"), ("weak", span, "handle_named"))
    if identity.names:
        span = name_hit(view, identity)
        if span:
            found[("mention", "name")] = ("weak", span, "name")

    flags = tuple(policy_flag_names(int(record.get("policy_flags") or 0)))
    return [
        Match(
            identity.request_id,
            record["dataset"],
            record["dataset_version"],
            record["record_id"],
            kind,
            on,
            confidence,
            snippet(text, span if kind == "mention" else (0, 0), identity, record),
            flags,
            rule,
            # The words as written, for the case page to mark (issue 20, item 4).
            text[span[0] : span[1]] if kind == "mention" else "",
        )
        for (kind, on), (confidence, span, rule) in found.items()
    ]


def match_records(
    records: Iterable[Mapping], identities: Iterable[Identity]
) -> list[Match]:
    """Every match of every identity in every record (small inputs, tests)."""
    identities = list(identities)
    return [m for r in records for i in identities for m in match_record(r, i)]
