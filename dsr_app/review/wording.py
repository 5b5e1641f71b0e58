"""The letter's language in what the record keeps in one form for every language:
the masks of other people's identifiers in excerpts (issue 18, item 8).

What is stored and matched stays as it is (matching/masking.py writes ``[e-mail]``,
``[number]`` and ``@[handle]`` into snippets); a letter shows them in its own
language, from the translators' ``letter_texts/<lang>.toml``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# The labels matching/masking.py puts in place of other people's identifiers, and
# the key of each one's translation.
MASK_KEYS = {
    "[e-mail]": "mask_email",
    "[number]": "mask_number",
    "@[handle]": "mask_handle",
}
_MASK = re.compile(
    "|".join(re.escape(label) for label in sorted(MASK_KEYS, key=len, reverse=True))
)


def local_masks(snippet: str, texts: Mapping[str, str]) -> str:
    """``snippet`` with each mask in the letter's language (``[Nummer]``)."""
    return _MASK.sub(lambda m: texts[MASK_KEYS[m.group()]], snippet)
