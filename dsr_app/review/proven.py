"""Rows that say what the record holds of this case, not what is true of a typical
one (issue 18, item 2): the courts of the country where the controller is
established (C12), the channels the person confirmed with a code (I02, X04) and
whether the training data was searched before the letter (X04)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from dsr_app.i18n import country_name


def _before(value: str | None, at: datetime) -> bool:
    return bool(value) and datetime.fromisoformat(value) <= at


def confirmed(row: Mapping, at: datetime) -> list[str]:
    """The channels (``email``, ``phone``) confirmed with a code before ``at``; a
    phone changed in a reply and not yet confirmed is not one (cases.replies)."""
    return [
        channel
        for channel in ("email", "phone")
        if row[channel] and _before(row[f"{channel}_verified_at"], at)
    ]


def letter_parts(
    row: Mapping, lang: str, texts: Mapping[str, str], at: datetime, searched: bool
) -> dict:
    """``values`` (placeholders) and ``variants`` (row -> the key said instead) of
    C12, I02 and X04 for a letter dated ``at``; ``searched``: whether a search of
    the training data is on record for the letter (letter_items.record_facts)."""
    channels = confirmed(row, at)
    values = {
        # Art. 79(2): the courts where the controller is established, which the
        # request recorded from CONTROLLER_COUNTRY when it was filed.
        "controller_country": country_name(row["controller_country"], lang),
        "email": row["email"] or "",
        "phone": row["phone"] or "",
    }
    variants: dict[str, str] = {}
    if "email" not in channels:
        # Cannot be in review (its e-mail confirmed) without it, but a letter
        # never claims a confirmation that is not on record.
        variants.update(I02="I02_unconfirmed", X04="X04_unconfirmed")
        return {"values": values, "variants": variants}
    both = "phone" in channels
    values["confirmed"] = texts["confirmed_email_phone" if both else "confirmed_email"]
    values["confirmed"] = values["confirmed"].format_map(values)
    if both:
        variants["I02"] = "I02_phone"
    if not searched:
        variants["X04"] = "X04_unsearched"
    return {"values": values, "variants": variants}
