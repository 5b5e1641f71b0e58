"""The letter sentences: every language has each of English's rows, with the same
placeholders, in the files translators edit; every row a letter names exists."""

from __future__ import annotations

import string
import tomllib

import pytest

from dsr_app.i18n import LANGUAGES
from dsr_app.review.letter_texts import ROWS, TEXTS, texts_file


def _sentences(lang: str) -> dict[str, str]:
    with texts_file(lang).open("rb") as file:
        return tomllib.load(file)


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_every_language_has_the_rows_and_placeholders_of_english(lang):
    english, other = _sentences("en"), _sentences(lang)
    assert sorted(other) == sorted(english)
    differing = {
        key: (_placeholders(english[key]), _placeholders(other[key]))
        for key in english
        if _placeholders(english[key]) != _placeholders(other[key])
    }
    assert differing == {}


def test_the_letters_use_the_sentence_files_and_name_only_rows_they_hold():
    assert TEXTS == {lang: _sentences(lang) for lang in LANGUAGES}
    missing = {kind: set(rows) - set(TEXTS["en"]) for kind, rows in ROWS.items()}
    assert missing == {kind: set() for kind in ROWS}
