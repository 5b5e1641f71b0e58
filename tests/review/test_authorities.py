"""The competent supervisory authority (issue 18, item 7): the data behind it, and
the complaint paragraph (C11) of the letters in en, de and fr, html and txt."""

from __future__ import annotations

import pycountry
import pytest
from markupsafe import escape

from dsr_app.regions import EU_EEA
from dsr_app.review import authorities
from dsr_app.review.letter_texts import TEXTS
from tests.conftest import bearer
from tests.review.test_letters import decided

# Land -> (slug of the authority for private companies, a word of its record's name)
LANDS = {
    "DE-BW": ("debawueldb", "Baden-Württemberg"),
    "DE-BY": ("debaylda", "Bayerisches Landesamt"),
    "DE-BE": ("deberlbdi", "Berliner"),
    "DE-BB": ("debralda", "Brandenburg"),
    "DE-HB": ("debrelfdi", "Bremen"),
    "DE-HH": ("dehmbbfdi", "Hamburgische"),
    "DE-HE": ("dehessbdi", "Hessische"),
    "DE-MV": ("demvldi", "Mecklenburg-Vorpommern"),
    "DE-NI": ("dendslfd", "Niedersachsen"),
    "DE-NW": ("denrwldi", "Nordrhein-Westfalen"),
    "DE-RP": ("derlpbdi", "Rheinland-Pfalz"),
    "DE-SL": ("desaarudz", "Saarland"),
    "DE-SN": ("desaechsdsb", "Sächsische"),
    "DE-ST": ("desalbd", "Sachsen-Anhalt"),
    "DE-SH": ("deshuld", "Schleswig-Holstein"),
    "DE-TH": ("detlfdi", "Thüringer"),
}
BAYLDA = (
    "https://www.lda.bayern.de/de/beschwerde.html",  # complaint form
    "poststelle@lda.bayern.de",
    "https://www.lda.bayern.de/de/index.html",
    "Postfach 1349, 91504 Ansbach",
)
BFDI = ("bfdi.bund.de", "Bundesbeauftragte", "Federal Commissioner")


@pytest.mark.parametrize("country", sorted(EU_EEA - {"DE"}))
def test_every_eu_eea_country_has_its_authority_named_in_each_language(country):
    record = authorities.competent(country)
    assert country.lower() in record["relevant-countries"]
    for lang in ("en", "de", "fr"):
        assert authorities.name(record["slug"], lang) != record["name"]


def test_germany_has_no_single_authority_for_a_private_company():
    assert authorities.competent("DE") is None
    assert authorities.competent("DE", "DE-XX") is None


def test_the_lands_are_iso_3166_2s_sixteen_lands():
    codes = {s.code for s in pycountry.subdivisions.get(country_code="DE")}
    assert set(authorities.regions("DE")) == codes == set(LANDS)


@pytest.mark.parametrize("land", sorted(LANDS))
def test_each_land_maps_to_its_private_sector_authority(land):
    slug, word = LANDS[land]
    record = authorities.competent("DE", land.lower())
    assert record["slug"] == slug
    assert record["relevant-countries"] == ["de"]
    assert word in record["name"]
    assert slug not in ("debfdi", "debayldb")  # federal; Bavaria's public sector
    for lang in ("en", "de", "fr"):
        assert authorities.regions("DE")[land][lang]
        assert authorities.name(slug, lang) != record["name"] or lang == "de"


def test_a_contact_the_record_lacks_is_left_out():
    cnil = authorities.by_slug("frcnil")
    assert "email" not in cnil
    text = authorities.described(cnil, "fr", TEXTS["fr"])
    assert "courriel" not in text and "()" not in text
    assert "https://www.cnil.fr/fr/plaintes" in text


def _letters(api, created) -> dict[str, str]:
    return {
        fmt: api.get(
            f"/api/v1/requests/{created['id']}/letter?format={fmt}",
            headers=bearer(created),
        ).get_data(as_text=True)
        for fmt in ("html", "txt")
    }


def _has(letter: str, fmt: str, needle: str) -> bool:
    return (str(escape(needle)) if fmt == "html" else needle) in letter


@pytest.mark.parametrize("lang", ["de", "en"])
def test_a_bavarian_resident_is_sent_to_the_baylda(api, staff, db_path, run, lang):
    created = decided(
        api, staff, db_path, run, "rejected", lang, country="DE", region="de-by"
    )
    for fmt, letter in _letters(api, created).items():
        name = authorities.name("debaylda", lang)
        for needle in (name, *BAYLDA, authorities.regions("DE")["DE-BY"][lang]):
            assert _has(letter, fmt, needle), (fmt, needle)
        assert not any(_has(letter, fmt, bfdi) for bfdi in (*BFDI, "BfDI")), fmt
        assert "()" not in letter


@pytest.mark.parametrize("lang", ["de", "en", "fr"])
def test_a_german_resident_without_a_land_is_told_how_to_find_theirs(
    api, staff, db_path, run, lang
):
    created = decided(api, staff, db_path, run, "rejected", lang, country="DE")
    land = TEXTS[lang]["sa_home_land"].format(list=authorities.regions_list("DE"))
    for fmt, letter in _letters(api, created).items():
        assert _has(letter, fmt, land), fmt
        assert not any(_has(letter, fmt, bfdi) for bfdi in BFDI), fmt
        assert "debaylda" not in letter and "lda.bayern.de" not in letter


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_french_resident_gets_the_cnil_with_its_complaint_form(
    api, staff, db_path, run, lang
):
    created = decided(api, staff, db_path, run, "rejected", lang, country="FR")
    cnil = authorities.described(authorities.by_slug("frcnil"), lang, TEXTS[lang])
    for fmt, letter in _letters(api, created).items():
        assert _has(letter, fmt, cnil), fmt
        assert _has(letter, fmt, "https://www.cnil.fr/fr/plaintes"), fmt
        assert "()" not in letter and "( " not in letter and ", )" not in letter


@pytest.mark.parametrize(
    ("lang", "lead", "address"),
    [
        ("de", "die irische Datenschutzkommission (DPC)", "D02 RD28, Irland"),
        (
            "fr",
            "la Commission irlandaise de protection des données",
            "D02 RD28, Irlande",
        ),
        ("en", "the Irish Data Protection Commission", "D02 RD28, Ireland"),
    ],
)
def test_the_lead_authority_is_named_in_the_letters_language(
    api, staff, db_path, run, lang, lead, address
):
    created = decided(api, staff, db_path, run, "rejected", lang, country="IE")
    for fmt, letter in _letters(api, created).items():
        assert _has(letter, fmt, lead), fmt
        assert _has(letter, fmt, address), fmt  # the country as the letter writes it
        assert _has(letter, fmt, "https://forms.dataprotection.ie/contact"), fmt
        assert _has(letter, fmt, "info@dataprotection.ie"), fmt
        # An Irish resident's own authority is the lead one: said, not repeated.
        assert _has(letter, fmt, TEXTS[lang]["sa_home_lead"]), fmt
        assert letter.count("info@dataprotection.ie") == 1
        if lang != "en":  # the records' English name (issue 18: "ist Irish ...")
            assert "Irish Data Protection Commission" not in letter
