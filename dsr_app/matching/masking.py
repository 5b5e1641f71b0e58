"""Snippets and masking: what staff and requesters see of a matched text.

Everyone else's e-mails, numbers and @handles are masked (docs/security.md L6), and a
snippet never shows half of a masked identifier.
"""

from __future__ import annotations

from collections.abc import Mapping

from dsr_app.identifiers import digit_groups, emails_in, handles_in
from dsr_app.matching.identity import Identity
from dsr_app.matching.text import TextView, phone_hits

SNIPPET_CHARS = 160


def snippet(
    text: str, span: tuple[int, int], identity: Identity, record: Mapping | None = None
) -> str:
    """About 160 characters around ``span``, other people's identifiers masked.

    Masks are found in the whole text first, and the window widens to take in any
    mask it would cut: a cut address or number must not slip through half-masked.
    """
    masks = mask_spans(text, identity, record or {})
    start, end = span
    half = max(0, (SNIPPET_CHARS - (end - start)) // 2)
    lo, hi = max(0, start - half), min(len(text), end + half)
    if hi - lo < SNIPPET_CHARS:
        lo, hi = max(0, hi - SNIPPET_CHARS), min(len(text), lo + SNIPPET_CHARS)
    for m_start, m_end, _ in masks:
        if m_start < lo < m_end:
            lo = m_start
        if m_start < hi < m_end:
            hi = m_end
    inside = [(s - lo, e - lo, label) for s, e, label in masks if lo <= s and e <= hi]
    masked = _apply(text[lo:hi], inside)
    return ("…" if lo > 0 else "") + masked + ("…" if hi < len(text) else "")


def mask_others(text: str, identity: Identity, record: Mapping | None = None) -> str:
    """Replace e-mails, numbers and @handles that are not proven to be the
    requester's (docs/security.md L6: an unproven handle may be someone else's)."""
    return _apply(text, mask_spans(text, identity, record or {}))


def mask_spans(
    text: str, identity: Identity, record: Mapping
) -> list[tuple[int, int, str]]:
    """Where other people's identifiers stand in ``text``, with their labels."""
    spans: list[tuple[int, int, str]] = []
    for m in emails_in(text):
        if m.group().lower() != identity.email_key:
            spans.append((m.start(), m.end(), "[e-mail]"))
    for start, end, handle in handles_in(text):
        if handle.lower() not in identity.verified_handles:
            spans.append((start, end, "@[handle]"))
    mine = phone_hits(TextView(text), record, identity) if identity.phone else []
    # Any run of 7 or more digits that is not the requester's number: phone numbers,
    # but also card or account numbers of other people.
    for group in digit_groups(text):
        pieces = [(group.start(), group.end())]
        for own_start, own_end in mine:  # cut the requester's number out
            pieces = [
                part
                for start, end in pieces
                for part in ((start, min(end, own_start)), (max(start, own_end), end))
                if part[0] < part[1]
            ]
        for start, end in pieces:
            while start < end and not (text[start].isdigit() or text[start] in "+("):
                start += 1  # keep the separators next to the cut
            while end > start and not text[end - 1].isdigit():
                end -= 1
            if sum(c.isdigit() for c in text[start:end]) >= 7:
                spans.append((start, end, "[number]"))
    kept, last = [], 0
    for start, end, label in sorted(spans):
        if start >= last:  # a span inside a longer one is already covered
            kept.append((start, end, label))
            last = end
    return kept


def _apply(text: str, spans: list[tuple[int, int, str]]) -> str:
    """``text`` with each span replaced by its label (spans sorted, disjoint)."""
    out, last = [], 0
    for start, end, label in spans:
        out.append(text[last:start])
        out.append(label)
        last = end
    out.append(text[last:])
    return "".join(out)
