"""Texts in the languages we answer in (English, German, French) and date formats.

The texts live beside this module, one TOML file per language (``en.toml``, ...),
where translators edit them; they are read once, on import.
"""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.lists import format_list
from babel.units import format_unit

LANGUAGES = ("en", "de", "fr")
LANGUAGE_NAMES = {"en": "English", "de": "Deutsch", "fr": "Français"}


def load_catalogs(folder: Path) -> dict[str, dict[str, str]]:
    """Each language's texts from ``<lang>.toml`` in ``folder``, the files
    translators edit (these texts here; the letters' sentences in review/)."""
    catalogs = {}
    for lang in LANGUAGES:
        with (folder / f"{lang}.toml").open("rb") as file:
            catalogs[lang] = tomllib.load(file)
    return catalogs


CATALOGS = Path(__file__).parent  # en.toml, de.toml, fr.toml
_TEXTS = load_catalogs(CATALOGS)


def language(code: str | None) -> str:
    """A supported language for a BCP 47 code (``de-AT`` → ``de``); default English."""
    primary = (code or "").split("-")[0].split("_")[0].lower()
    return primary if primary in LANGUAGES else "en"


def text(lang: str, key: str, **values: str) -> str:
    """The text ``key`` in ``lang`` (English if missing), with ``values`` filled in."""
    template = _TEXTS.get(lang, _TEXTS["en"]).get(key) or _TEXTS["en"][key]
    return template.format(**values) if values else template


def country_name(code: str, lang: str) -> str:
    """The ISO 3166-1 country ``code`` named in ``lang`` (CLDR, through Babel):
    ``IE`` is Ireland, Irland, Irlande; an unknown code or language: the code."""
    try:
        return Locale.parse(lang).territories.get(code.upper(), code)
    except (ValueError, UnknownLocaleError):
        return code


def country_names(codes, lang: str) -> list[tuple[str, str]]:
    """(code, name in ``lang``) pairs sorted by name: ``("DE", "Deutschland")``."""
    return sorted(((c, country_name(c, lang)) for c in codes), key=lambda p: p[1])


def wait_words(seconds: int, lang: str) -> str:
    """A wait in words: ``45 seconds`` under a minute, else whole minutes rounded
    up (``2 minutes`` for 61 s), so a page never tells anyone to come back early;
    from an hour on, hours and minutes (``21 hours and 1 minute``: the daily limit's
    wait, not ``1,261 minutes``; issue 20, item 5)."""
    locale = language(lang)
    if seconds < 60:
        return format_unit(seconds, "duration-second", "long", locale=locale)
    minutes = -(-seconds // 60)
    if minutes < 60:
        return format_unit(minutes, "duration-minute", "long", locale=locale)
    hours, minutes = divmod(minutes, 60)
    parts = [format_unit(hours, "duration-hour", "long", locale=locale)]
    if minutes:
        parts.append(format_unit(minutes, "duration-minute", "long", locale=locale))
    return format_list(parts, locale=locale)


# The locale whose long date each language's texts use. English is Irish English
# (``7 December 2026``, as an Irish controller writes it), not the US default
# ``December 7, 2026`` of Babel's ``en`` (issue 18, item 8).
DATE_LOCALES = {"en": "en_IE", "de": "de_DE", "fr": "fr_FR"}


def long_date(day: date, lang: str) -> str:
    """``31 January 2025`` / ``31. Januar 2025`` / ``31 janvier 2025``: every date
    a person reads (letters, pages, e-mails) is written through this."""
    return format_date(day, format="long", locale=DATE_LOCALES[language(lang)])


def long_datetime(moment: datetime, lang: str) -> str:
    """``7 December 2026, 13:51 UTC``: a moment staff read (when a list was
    issued or acknowledged), the long date and the time in UTC, the zone every
    stored time is in; a naive ``moment`` is taken as UTC (issue 21)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return f"{long_date(moment.date(), lang)}, {moment:%H:%M} UTC"
