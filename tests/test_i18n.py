"""Texts translators edit: every language says all that English says, with the same
placeholders, in the catalog files (the requester's texts and the letters'
sentences); the app reads exactly those files."""

from __future__ import annotations

import string
import tomllib
from pathlib import Path

import pytest

from dsr_app import i18n
from dsr_app.i18n import LANGUAGES, language, text
from dsr_app.review import letter_texts

FOLDERS = {"texts": i18n.CATALOGS, "letter sentences": letter_texts.CATALOGS}


def _catalog(folder: Path, lang: str) -> dict[str, str]:
    with (folder / f"{lang}.toml").open("rb") as file:
        return tomllib.load(file)


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
@pytest.mark.parametrize("kind", FOLDERS)
def test_every_language_has_the_keys_and_placeholders_of_english(kind, lang):
    english, other = _catalog(FOLDERS[kind], "en"), _catalog(FOLDERS[kind], lang)
    assert sorted(other) == sorted(english)
    differing = {
        key: (_placeholders(english[key]), _placeholders(other[key]))
        for key in english
        if _placeholders(english[key]) != _placeholders(other[key])
    }
    assert differing == {}


def test_texts_come_from_the_catalog_files_with_values_filled_in():
    german, french = _catalog(i18n.CATALOGS, "de"), _catalog(i18n.CATALOGS, "fr")
    assert text("de", "code_sms", code="12345678") == german["code_sms"].format(
        code="12345678"
    )
    assert text(language("fr-BE"), "home_cta") == french["home_cta"]


def test_the_letters_read_their_sentence_files():
    assert letter_texts.TEXTS == {
        lang: _catalog(letter_texts.CATALOGS, lang) for lang in LANGUAGES
    }


@pytest.mark.parametrize(
    ("stored", "lang", "shown"),
    [
        ("2026-12-07T13:51:38Z", "en", "7 December 2026, 13:51 UTC"),
        ("2026-12-07T13:51:38.525245+00:00", "de", "7. Dezember 2026, 13:51 UTC"),
        ("2026-12-08T00:30:00+01:00", "fr", "7 décembre 2026, 23:30 UTC"),
        ("2026-12-07T13:51:38", "en", "7 December 2026, 13:51 UTC"),  # naive: UTC
    ],
)
def test_long_datetime_writes_a_stored_time_in_words_in_utc(stored, lang, shown):
    from datetime import datetime

    assert i18n.long_datetime(datetime.fromisoformat(stored), lang) == shown
