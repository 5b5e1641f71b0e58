"""Who is searched for (Identity) and what is found (Match).

Plain frozen values shared by the rules, the per-request search, the sweep and its
engines, and the follow-up on copies of removed content.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import phonenumbers

from dsr_app.identifiers import national_digits
from dsr_app.matching.names import name_variants


@dataclass(frozen=True)
class Identity:
    """Everything we search for on behalf of one verified request."""

    request_id: str
    country: str
    full_name: str = ""
    email: str | None = None  # verified e-mail (compared case-insensitively)
    phone: str | None = None  # verified phone, E.164
    account_ids: frozenset[str] = frozenset()  # owned accounts
    verified_handles: frozenset[str] = frozenset()  # handles of owned accounts
    other_handles: frozenset[str] = frozenset()  # named, not proven: weak
    names: tuple[str, ...] = field(default=())  # name_variants(full_name)
    phone_key_set: frozenset[str] = frozenset()  # see phone_keys()
    phone_region: str | None = None  # the country the verified number belongs to
    phone_national: str = ""  # its national significant number (digits)

    @classmethod
    def build(cls, **values) -> Identity:
        """An identity with its name spellings worked out."""
        identity = cls(**values)
        names = name_variants(identity.full_name, identity.country)
        object.__setattr__(identity, "names", tuple(names))
        if identity.phone:  # parsed once here, not for every record checked
            keys = {"p:" + identity.phone, "n:" + national_digits(identity.phone)}
            object.__setattr__(identity, "phone_key_set", frozenset(keys))
            number = phonenumbers.parse(identity.phone, None)
            region = phonenumbers.region_code_for_number(number)
            object.__setattr__(identity, "phone_region", region)
            national = phonenumbers.national_significant_number(number)
            object.__setattr__(identity, "phone_national", national)
        verified = frozenset(h.lower() for h in identity.verified_handles)
        object.__setattr__(identity, "verified_handles", verified)
        object.__setattr__(
            identity,
            "other_handles",
            frozenset(h.lower() for h in identity.other_handles) - verified,
        )
        return identity

    @property
    def email_key(self) -> str | None:
        return self.email.lower() if self.email else None

    def phone_keys(self) -> frozenset[str]:
        """Index keys under which the verified phone may be written."""
        return self.phone_key_set


# matched_on of another author's copy of a text the requester had removed: found by
# removal.follow_up (copies.py), never by the search, always weak (issue 16).
CONTENT = "content"


@dataclass(frozen=True)
class Match:
    """One reason a record concerns a requester (contract section 5, ``matches``)."""

    request_id: str
    dataset: str
    dataset_version: str
    record_id: str
    match_kind: str  # own | mention
    matched_on: str  # account | email | phone | handle | name | content
    confidence: str  # verified | weak
    snippet: str
    policy_flags: tuple[str, ...]
    # Why, in words (issue 20, item 4): the rule's code (matching.reasons.RULES;
    # empty: the one matched_on and confidence imply) and the words as written in
    # the text, for the case page to mark. Not part of match_id.
    rule: str = ""
    matched_words: str = ""

    @property
    def match_id(self) -> str:
        """Stable across re-runs, so staff decisions survive a new search."""
        key = "|".join(
            (
                self.request_id,
                self.dataset,
                self.dataset_version,
                self.record_id,
                self.match_kind,
                self.matched_on,
            )
        )
        return "m_" + hashlib.sha256(key.encode()).hexdigest()[:20]
