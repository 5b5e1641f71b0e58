"""The sentences of response letters, by language and checklist row.

Row ids are those of the checklist of docs/legal.md (C = all letters, A = access,
O = objection, E = erasure, D = refusal or nothing found, X = extension, I = request
for information, R = removal complete). The sentences live beside this module, one
TOML file per language (``en.toml``, ...), where translators edit them; they are read
once, on import.
``{placeholders}`` are filled by letters.py; every value is escaped by the template
that shows it.
"""

from __future__ import annotations

from pathlib import Path

from dsr_app.i18n import load_catalogs

CATALOGS = Path(__file__).parent  # en.toml, de.toml, fr.toml
TEXTS = load_catalogs(CATALOGS)


def _ids(row_ids: str) -> list[str]:
    return row_ids.split()


# The rows each letter type carries, in the order the letter gives them.
ROWS = {
    "access": _ids(
        "C01 C02 C03 C04 C06 A01 A02 A03 A04 A05 A06 A08 A09 A10 A15 A11 A12"
        " A13 C13 C08 C09 C10 C11 C12 C07"
    ),
    "objection": _ids(
        "C01 C02 C03 C04 C06 O06 O01 O02 O03 O04 O05 O07 A15 C08 C09 C10 C11 C12 C07"
    ),
    "erasure": _ids(
        "C01 C02 C03 C04 C06 O06 E01 E02 E03 O04 O05 E05 E06 A15 C13 C08 C09"
        " C10 C11 C12 C07"
    ),
    "rejected": _ids(
        "C01 C02 C03 C04 C06 D01 D02 A13 O06 I07 D03 D05 A15 C09 C10 C11 C12 C07"
    ),
    "no_data": _ids("C01 C02 C03 C04 C06 D06 A15 O06 D03 D05 C09 C10 C11 C12 C07"),
    "extension": _ids("C01 C02 C03 C04 C06 X01 X02 X03 X04 C09 C10 C11 C12 C07"),
    # Issued when every dataset version of the removal is acknowledged (issue 18).
    "removal_complete": _ids("C01 C02 C03 R01 O04 C09 C10 C11 R02"),
    "request_info": _ids(
        "C01 C02 C03 C04 C06 I06 I01 I02 I03 I04 I05 I07 I08 O06 C13 C08 C09"
        " C10 C11 C12 C07"
    ),
}
