"""EU/EEA data protection supervisory authorities, for the complaint paragraph.

Records from datenanfragen/data (CC0; see data/supervisory_authorities/SOURCE.md).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

_FOLDER = Path(__file__).resolve().parents[1] / "data" / "supervisory_authorities"
# Germany has one authority per Land and sector; the federal one takes complaints
# from anyone and passes them on (the letter says the Land authority is competent too).
PREFERRED = {"de": "debfdi"}


@lru_cache(maxsize=1)
def all_authorities() -> dict[str, dict]:
    """Every authority record by slug."""
    records = {}
    for path in sorted(_FOLDER.glob("*.json")):
        if path.name == "schema.json":
            continue
        record = json.loads(path.read_text(encoding="utf-8"))
        records[record["slug"]] = record
    return records


def by_slug(slug: str) -> dict:
    """One authority (KeyError for an unknown slug)."""
    return all_authorities()[slug]


def for_country(country: str) -> dict:
    """The authority a resident of ``country`` (ISO alpha-2) complains to."""
    code = country.lower()
    if code in PREFERRED:
        return by_slug(PREFERRED[code])
    for record in all_authorities().values():
        if code in record["relevant-countries"]:
            return record
    raise KeyError(country)
