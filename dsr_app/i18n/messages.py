"""The messages a person sees on the public pages, in the page's language.

Validation (marshmallow, email-validator) and our domain exceptions explain what
went wrong in English, for the JSON API's developers (docs/api.md). A page says
the same in its own language (issue 18, item 8): each known English message is
recognised here and said with a translators' text ``err_*`` of ``<lang>.toml``;
one we do not know is said as the field's generic ``err_invalid``, never shown in
English on a German or French page.
"""

from __future__ import annotations

import re

from dsr_app.i18n import text

# (English message as the API says it, key of the page's text); named groups fill
# the text's placeholders. First match wins.
_PATTERNS = [
    (r"Missing data for required field\.", "err_required"),
    (r"Field may not be null\.", "err_required"),
    (r"Must be one of: .*", "err_choice"),
    (r"Not a valid string\.", "err_invalid"),
    (r"Length must be between (?P<min>\d+) and (?P<max>\d+)\.", "err_length"),
    (r"Longer than maximum length (?P<max>\d+)\.", "err_too_long"),
    (r"Must not contain control characters\.", "err_control"),
    (
        r"Must not contain bidirectional control characters \((?P<names>.*)\)\.",
        "err_bidi",
    ),
    (r"Must not be blank\.", "err_blank"),
    (r"At most (?P<max>\d+) pointers\.", "err_pointers_many"),
    (r"A pointer takes at most (?P<max>\d+) characters\.", "err_pointer_long"),
    (r"Not an EU/EEA country code.*", "err_country"),
    (r"Not a possible phone number\.", "err_phone"),
    (r"Give a mobile number of an EU/EEA country:.*", "err_phone_elsewhere_eu"),
    (r"Give a mobile number of a country we serve:.*", "err_phone_elsewhere"),
    (r"Give a mobile number:.*", "err_phone_not_mobile"),
    (r"Not a handle: (?P<handle>.*) \(letters, digits, '\.', '_'\)\.", "err_handle"),
    (r"too many requests for this address today", "err_too_many_today"),
    (r"wrong, expired or already used code", "err_code_wrong"),
    (r"too many wrong tries: ask for a new code", "err_code_tries"),
    (r"wait before asking again", "err_code_wait"),
    (r"too many codes this hour", "err_codes_hour"),
    (r"this request is decided: no more codes are sent for it", "err_decided"),
    (r"this request expired: please file a new one", "err_expired"),
    (r"the (?P<days>\d+) days to verify this \w+ are over:.*", "err_window_over"),
    (r"too many wrong codes for this \w+:.*", "err_wrong_codes_end"),
    (
        r"no more codes are sent for this request's \w+: (?P<count>\d+) were.*",
        "err_codes_used_up",
    ),
    (r"this channel is verified already", "err_channel_verified"),
    (r"no phone number on this request", "err_no_phone"),
    (r"this request is not waiting for information", "s_reply_closed"),
    (r"the service is unavailable until an operator repairs it", "error_503"),
    (r"the store is busy; try again shortly", "error_503"),
]
_COMPILED = [(re.compile(pattern, re.S), key) for pattern, key in _PATTERNS]
# A field whose any other refusal is best said by what the field wants.
_FIELD_KEYS = {"email": "err_email", "country": "err_country", "phone": "err_phone"}
# The statuses an error page explains in words (error_<status> in <lang>.toml).
PAGE_STATUSES = (400, 403, 404, 405, 409, 413, 429, 500, 503)


def known(message: str, lang: str) -> str | None:
    """``message`` in ``lang`` if it is one we know, else ``None``."""
    for pattern, key in _COMPILED:
        found = pattern.fullmatch(message.strip())
        if found:
            return text(lang, key, **found.groupdict())
    return None


def say(message: str, lang: str, field: str | None = None) -> str:
    """``message`` (an English validation or domain message) in ``lang``; an
    unknown one as what ``field`` wants, or as a plain refusal."""
    said = known(message, lang)
    if said is not None:
        return said
    return text(lang, _FIELD_KEYS.get(field or "", "err_invalid"))


def flat(found) -> list[str]:
    """marshmallow's messages for one field as a flat list (a list field's are
    keyed by item)."""
    if isinstance(found, dict):
        return [m for value in found.values() for m in flat(value)]
    return [found] if isinstance(found, str) else [m for v in found for m in flat(v)]


def page_errors(errors: dict, lang: str) -> dict[str, list[str]]:
    """Messages by field, as a page in ``lang`` shows them: translated, each once."""
    out: dict[str, list[str]] = {}
    for field, found in errors.items():
        said = [say(m, lang, field) for m in flat(found)]
        out[field] = list(dict.fromkeys(said))
    return out


def status_text(status: int | None, lang: str) -> str:
    """What an error page of ``status`` says in ``lang``."""
    if status == 404:
        return text(lang, "error_not_found")
    key = f"error_{status}" if status in PAGE_STATUSES else "error_other"
    return text(lang, key)
