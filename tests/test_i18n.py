"""The requester's texts: every language says all that English says, with the same
placeholders, in the catalog files translators edit."""

from __future__ import annotations

import string
import tomllib

import pytest

from dsr_app.i18n import LANGUAGES, catalog_file, language, text


def _catalog(lang: str) -> dict[str, str]:
    with catalog_file(lang).open("rb") as file:
        return tomllib.load(file)


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_every_language_has_the_keys_and_placeholders_of_english(lang):
    english, other = _catalog("en"), _catalog(lang)
    assert sorted(other) == sorted(english)
    differing = {
        key: (_placeholders(english[key]), _placeholders(other[key]))
        for key in english
        if _placeholders(english[key]) != _placeholders(other[key])
    }
    assert differing == {}


def test_texts_come_from_the_catalog_files_with_values_filled_in():
    assert text("de", "code_sms", code="12345678") == _catalog("de")["code_sms"].format(
        code="12345678"
    )
    assert text(language("fr-BE"), "home_cta") == _catalog("fr")["home_cta"]
