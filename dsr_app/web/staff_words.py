"""Words and dates for the staff pages (issue 21, item 1): ``in_review`` as
"In review", ``2026-12-07T13:51:38+00:00`` as "7 Dec 2026, 13:51 UTC".

The staff pages are written in English (web/staff.py: staff read English), so
their words are too; dates go through Babel in the pages' locale (en_IE, as
i18n.long_date writes a person's dates) and keep the instant in ``<time>``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from babel.dates import format_date, format_datetime
from markupsafe import Markup, escape

from dsr_app.i18n import DATE_LOCALES, language

STATUS_WORDS = {
    "pending_verification": "Awaiting verification",
    "in_review": "In review",
    "needs_info": "Needs information",
    "completed": "Answered",
    "rejected": "Rejected",
    "expired": "Expired (never verified)",
}
TYPE_WORDS = {"access": "Access", "objection": "Objection", "erasure": "Erasure"}
DECISION_WORDS = {
    "approve": "Approve and issue the letter",
    "reject": "Reject",
    "extend": "Extend by two months",
    "request_info": "Ask for information",
}


def status_word(status: str | None) -> str:
    """A status in words (an unknown one as written, underscores as spaces)."""
    return STATUS_WORDS.get(status or "", (status or "").replace("_", " "))


def type_word(kind: str | None) -> str:
    """A request type in words."""
    return TYPE_WORDS.get(kind or "", kind or "")


def _parsed(value: str | date | datetime) -> date | datetime:
    if isinstance(value, date):
        return value
    if len(value) == 10:
        return date.fromisoformat(value)
    return datetime.fromisoformat(value)


def when(value: str | date | datetime | None, lang: str = "en") -> Markup:
    """``<time datetime="…">7 Dec 2026, 13:51 UTC</time>`` (a bare date: the day
    alone); an empty value: an em dash."""
    if not value:
        return Markup("—")
    parsed = _parsed(value)
    locale = DATE_LOCALES[language(lang)]
    if isinstance(parsed, datetime):
        moment = parsed.astimezone(UTC) if parsed.tzinfo else parsed
        shown = format_datetime(moment, "d MMM y, HH:mm", locale=locale) + " UTC"
    else:
        shown = format_date(parsed, "d MMM y", locale=locale)
    iso = value if isinstance(value, str) else value.isoformat()
    return Markup('<time datetime="{}">{}</time>').format(escape(iso), shown)


def register(blueprint) -> None:
    """Make the filters ``when``, ``status_word`` and ``type_word`` known to every
    template of the app (the staff pages use them)."""
    blueprint.app_template_filter("when")(when)
    blueprint.app_template_filter("status_word")(status_word)
    blueprint.app_template_filter("type_word")(type_word)
