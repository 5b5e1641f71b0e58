"""Contacts as a page shows them to whoever holds the browser session: enough to
tell which code went where, never the whole address or number (issue 21, item 3;
docs/security.md L6)."""

from __future__ import annotations

HIDDEN = "•••"


def masked_email(address: str) -> str:
    """``z•••r@example.eu``: the first and last letter of the local part, the
    domain; the dots never tell the length."""
    local, _, domain = address.rpartition("@")
    if len(local) <= 2:
        return f"{local[:1]}{HIDDEN}@{domain}"
    return f"{local[0]}{HIDDEN}{local[-1]}@{domain}"


def masked_phone(number: str) -> str:
    """``+49 ••• 89``: the country code's first digits and the last two digits of
    an E.164 number."""
    return f"{number[:3]} {HIDDEN} {number[-2:]}"
