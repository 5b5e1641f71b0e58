"""The letter sentences: every row a letter names exists (the languages' parity
with English is tests/test_i18n.py's)."""

from __future__ import annotations

from dsr_app.review.letter_texts import ROWS, TEXTS


def test_the_letters_name_only_rows_their_sentence_files_hold():
    missing = {kind: set(rows) - set(TEXTS["en"]) for kind, rows in ROWS.items()}
    assert missing == {kind: set() for kind in ROWS}
