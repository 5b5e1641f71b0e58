"""EU/EEA data protection supervisory authorities, for the complaint paragraph
(GDPR Art. 77; letter row C11).

Records from datenanfragen/data (CC0), each authority's names in our letters'
languages (``names.toml``) and, for a country with one authority per region
(Germany: one per Land for private companies), the region's authority
(``regions.toml``); all in data/supervisory_authorities/, SOURCE.md says whence.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from dsr_app.i18n import country_name

_FOLDER = Path(__file__).resolve().parents[1] / "data" / "supervisory_authorities"
# The record fields a letter gives, in the order it gives them, with the text
# (letter_texts ``sa_<field>``) that labels each.
CONTACT_FIELDS = ("web", "webform", "email", "address")


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


@lru_cache(maxsize=1)
def _toml(name: str) -> dict:
    with (_FOLDER / name).open("rb") as file:
        return tomllib.load(file)


def by_slug(slug: str) -> dict:
    """One authority (KeyError for an unknown slug)."""
    return all_authorities()[slug]


def name(slug: str, lang: str) -> str:
    """The authority's name in ``lang`` as the subject of a sentence ("the Irish
    Data Protection Commission", "die irische Datenschutzkommission (DPC)"); the
    record's own name for an authority names.toml does not hold."""
    names = _toml("names.toml").get(slug, {})
    return names.get(lang) or names.get("en") or by_slug(slug)["name"]


def regions(country: str) -> dict[str, dict]:
    """ISO 3166-2 code -> {"authority": slug, "en"/"de"/"fr": region name} for a
    country with one authority per region; empty for a country with one."""
    return _toml("regions.toml").get(country.upper(), {}).get("regions", {})


def region_names(country: str, lang: str) -> list[tuple[str, str]]:
    """(code, name in ``lang``) of the regions of ``country``, sorted by name:
    the choices of the request form."""
    return sorted(
        ((code, entry[lang]) for code, entry in regions(country).items()),
        key=lambda pair: pair[1],
    )


def regions_list(country: str) -> str:
    """A public page listing the region authorities of ``country``."""
    return _toml("regions.toml")[country.upper()]["list"]


def competent(country: str, region: str | None = None) -> dict | None:
    """The authority competent for a private company in the person's country (and
    region, where the country has one per region); None where the country has
    several and the region is not known. Germany's federal authority (BfDI) is
    never it: the Länder supervise private companies (§ 40 BDSG)."""
    per_region = regions(country)
    if per_region:
        entry = per_region.get((region or "").upper())
        return by_slug(entry["authority"]) if entry else None
    code = country.lower()
    for record in all_authorities().values():
        if code in record["relevant-countries"]:
            return record
    raise KeyError(country)


def described(record: Mapping, lang: str, texts: Mapping[str, str]) -> str:
    """The authority's name in ``lang`` with the contacts its record has (web
    address, complaint form, e-mail, postal address), each labelled; a contact the
    record lacks is left out (never an empty label or "()"). The texts that use
    it end their sentence with it."""
    values = {**record, "address": _postal(record, lang)}
    contacts = [
        texts[f"sa_{field}"].format(value=values[field])
        for field in CONTACT_FIELDS
        if record.get(field)
    ]
    title = name(record["slug"], lang)
    if not contacts:
        return title
    return texts["sa_contacts"].format(
        name=title, contacts=texts["sa_sep"].join(contacts)
    )


def _postal(record: Mapping, lang: str) -> str:
    """The postal address on one line, its country line in ``lang`` ("Irland" in
    a German letter, as the post of the sender's country writes it), where the
    record's last line names the authority's country in some language."""
    lines = record["address"].splitlines()
    country = record["relevant-countries"][0].upper()
    known = {
        country_name(country, code)
        for code in ("en", "de", "fr", record.get("complaint-language") or "en")
    }
    if lines and (lines[-1] in known or _country_code(lines[-1]) == country):
        lines[-1] = country_name(country, lang)
    return ", ".join(lines)


def _country_code(line: str) -> str | None:
    """ISO alpha-2 of a country named in English (``The Netherlands``), else None."""
    import pycountry

    try:
        return pycountry.countries.lookup(line.removeprefix("The ")).alpha_2
    except LookupError:
        return None


def complaint_values(
    lead_slug: str, country: str, region: str | None, lang: str, texts: Mapping
) -> dict[str, str]:
    """The placeholders of the complaint sentence (C11): ``lead_sa``, our lead
    authority with its contacts, and ``home_sa``, a sentence naming the person's
    own authority, or, where their country has one per region and we do not know
    theirs, saying which is competent and where to find it."""
    lead = by_slug(lead_slug)
    home = competent(country, region)
    if home is None:
        home_sa = texts["sa_home_land"].format(list=regions_list(country))
    elif home["slug"] == lead_slug:
        home_sa = texts["sa_home_lead"]
    elif region and regions(country):
        place = regions(country)[region.upper()][lang]
        home_sa = texts["sa_home_region"].format(
            region=place, authority=described(home, lang, texts)
        )
    else:
        home_sa = texts["sa_home_country"].format(
            authority=described(home, lang, texts)
        )
    return {"lead_sa": described(lead, lang, texts), "home_sa": home_sa}
