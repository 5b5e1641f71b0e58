"""Grounds and articles that fit (issue 18, item 5) and staff reasons in the letter's
language (item 8): the Art. 17(1) ground staff chose, (c) only with an objection on
record; the Art. 12(4) timing of a refusal as the record shows it; what is kept
after an erasure or objection and why; reason codes said in the letter's language;
the removal list's legal basis. Each fact is read in the issued html and txt."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from markupsafe import escape

from dsr_app.db import open_db
from dsr_app.i18n import long_date
from dsr_app.review.letter_texts import TEXTS
from tests.conftest import assert_api_error, bearer
from tests.review.helpers import filed

LANGS = ("en", "de", "fr")
# What an erasure letter says only when the person objected (ground (c)).
OBJECTED = {"en": "you objected", "de": "Widerspruch gegen", "fr": "vous êtes opposé"}
# How a letter cites one of the grounds (a)-(f) of Art. 17(1).
GROUND_CITED = {
    "en": "Art. 17(1)(",
    "de": "Art. 17 Abs. 1 lit.",
    "fr": "art. 17, paragraphe 1, point",
}


def decide(api, staff, created, **body):
    return api.post(
        f"/api/v1/staff/requests/{created['id']}/decision",
        json=body,
        headers=staff["legal"],
    )


def decided(api, staff, created, **body) -> None:
    resp = decide(api, staff, created, **body)
    assert resp.status_code == 200, resp.get_json()


def letter(api, created) -> dict[str, str]:
    """The latest issued letter, html and txt."""
    found = {}
    for fmt in ("html", "txt"):
        resp = api.get(
            f"/api/v1/requests/{created['id']}/letter?format={fmt}",
            headers=bearer(created),
        )
        assert resp.status_code == 200, resp.get_data(as_text=True)
        found[fmt] = resp.get_data(as_text=True)
    return found


def says(found: dict[str, str], sentence: str) -> bool:
    """``sentence`` is in the txt letter and, escaped, in the html one."""
    return sentence in found["txt"] and str(escape(sentence)) in found["html"]


def said(lang: str, key: str, **values: str) -> str:
    return TEXTS[lang][key].format(**values)


def removal_list(db_path, created) -> dict:
    db = open_db(db_path)
    (document,) = db.execute(
        "SELECT document FROM removal_lists WHERE request_id = ?", [created["id"]]
    ).fetchone()
    db.close()
    return json.loads(document)


@pytest.mark.parametrize("lang", LANGS)
def test_each_erasure_ground_is_said_in_the_letters_language(
    api, staff, db_path, world, clock, lang
):
    for ground in "abdef":
        created = filed(
            api, db_path, type="erasure", language=lang, email=f"p{ground}@example.net"
        )
        decided(api, staff, created, decision="approve", erasure_ground=ground)
        found = letter(api, created)
        assert says(found, said(lang, f"E02_{ground}")), ground
        assert OBJECTED[lang] not in found["txt"]
        expected = f"GDPR Art. 17(1)({ground})"
        assert removal_list(db_path, created)["legal_basis"] == expected


@pytest.mark.parametrize("lang", LANGS)
def test_erasure_without_objection_cannot_rest_on_ground_c(
    api, staff, db_path, world, clock, lang
):
    created = filed(api, db_path, type="erasure", language=lang)
    body = assert_api_error(
        decide(api, staff, created, decision="approve", erasure_ground="c"),
        400,
        "erasure_ground",
    )
    assert "objection" in body["errors"]["erasure_ground"][0]
    # An old client's approval without a ground: Art. 17(1), no ground, no objection.
    decided(api, staff, created, decision="approve")
    found = letter(api, created)
    assert says(found, said(lang, "E02"))
    for ground in "abcdef":
        assert TEXTS[lang][f"E02_{ground}"].split("{")[0] not in found["txt"]
    assert OBJECTED[lang] not in found["txt"]
    assert GROUND_CITED[lang] not in found["txt"]
    assert removal_list(db_path, created)["legal_basis"] == "GDPR Art. 17(1)"


def test_a_rejected_objection_is_no_ground_for_c(api, staff, db_path, world, clock):
    objection = filed(api, db_path, type="objection")
    decided(api, staff, objection, decision="reject", reason="Not about you.")
    clock.move(days=1)
    erasure = filed(api, db_path, type="erasure")
    assert_api_error(
        decide(api, staff, erasure, decision="approve", erasure_ground="c"),
        400,
        "erasure_ground",
    )


@pytest.mark.parametrize("lang", LANGS)
def test_ground_c_with_the_same_persons_objection_on_record(
    api, staff, db_path, world, clock, lang
):
    filed(api, db_path, type="objection", language=lang)
    objected_on = clock.at.date()
    clock.move(days=3)
    erasure = filed(api, db_path, type="erasure", language=lang)
    decided(api, staff, erasure, decision="approve", erasure_ground="c")
    found = letter(api, erasure)
    day = long_date(objected_on, lang)
    assert says(found, said(lang, "E02_c", objection_received=day))
    assert OBJECTED[lang] in found["txt"]
    assert removal_list(db_path, erasure)["legal_basis"] == "GDPR Art. 17(1)(c)"


def test_another_persons_objection_is_no_ground_for_c(
    api, staff, db_path, world, clock
):
    filed(api, db_path, type="objection", email="someone.else@example.net")
    erasure = filed(api, db_path, type="erasure")
    assert_api_error(
        decide(api, staff, erasure, decision="approve", erasure_ground="c"),
        400,
        "erasure_ground",
    )


@pytest.mark.parametrize(
    ("kind", "kept", "not_said"),
    [
        (
            "erasure",
            "E05",
            {"en": "17(3)", "de": "Abs. 3 lit. e", "fr": "point e), RGPD), et"},
        ),
        (
            "objection",
            "O07",
            {"en": "17(3)", "de": "Abs. 3 lit. e", "fr": "paragraphe 3"},
        ),
    ],
)
@pytest.mark.parametrize("lang", LANGS)
def test_what_is_kept_rests_on_the_right_and_accountability_not_legal_claims(
    api, staff, db_path, world, clock, lang, kind, kept, not_said
):
    created = filed(api, db_path, type=kind, language=lang)
    decided(api, staff, created, decision="approve")
    found = letter(api, created)
    assert says(found, said(lang, kept))
    assert not_said[lang] not in found["txt"]
    article = {"en": "Art. 5(2) GDPR", "de": "Art. 5 Abs. 2 DSGVO"}
    assert article.get(lang, "art. 5, paragraphe 2, RGPD") in found["txt"]
    assert removal_list(db_path, created)["legal_basis"] == (
        "GDPR Art. 21(1)" if kind == "objection" else "GDPR Art. 17(1)"
    )


@pytest.mark.parametrize("lang", LANGS)
def test_a_refusal_in_the_first_month_says_so(api, staff, db_path, world, clock, lang):
    created = filed(api, db_path, type="objection", language=lang)
    clock.move(days=10)
    decided(
        api,
        staff,
        created,
        decision="reject",
        reason_codes=["legal_claims"],
        reason="Case 123.",
    )
    assert says(letter(api, created), said(lang, "D03"))


@pytest.mark.parametrize("lang", LANGS)
def test_a_refusal_after_an_extension_says_when_it_was_extended_and_to_when(
    api, staff, db_path, world, clock, lang
):
    # Received Mon 2 Mar 2026 (IE): one month Thu 2 Apr; extended Wed 4 Mar to
    # Tue 2 Jun 2026 (2 May is a Saturday… 2 Jun is the earlier of the two dates).
    created = filed(api, db_path, type="objection", language=lang)
    clock.move(days=2)
    extended_on = clock.at.date()
    decided(api, staff, created, decision="extend", reason_codes=["complexity"])
    new_due = api.get(
        f"/api/v1/requests/{created['id']}", headers=bearer(created)
    ).get_json()["due_at"]
    notice = letter(api, created)
    assert says(notice, said(lang, "X03"))  # within the month by construction
    clock.move(days=40)  # past the first month, within the extended period
    decided(
        api,
        staff,
        created,
        decision="reject",
        reason_codes=["compelling_grounds"],
        reason="Security research on this account.",
    )
    found = letter(api, created)
    extended = {
        "extended_date": long_date(extended_on, lang),
        "new_due": long_date(datetime.fromisoformat(new_due).date(), lang),
    }
    assert says(found, said(lang, "D03_extended", **extended))
    assert TEXTS[lang]["D03"] not in found["txt"]
    assert "within one month of receiving" not in found["txt"]
    assert "Art. 12(4) GDPR requires" not in found["txt"]


def test_a_refusal_after_the_extended_date_says_it_is_late(
    api, staff, db_path, world, clock
):
    created = filed(api, db_path, type="objection", language="en")
    clock.move(days=1)
    decided(api, staff, created, decision="extend", reason="Many datasets.")
    clock.move(days=100)
    decided(
        api,
        staff,
        created,
        decision="reject",
        reason="Case 123.",
        reason_codes=["legal_claims"],
    )
    found = letter(api, created)
    assert "This decision comes after that date" in found["txt"]
    assert "we send you this decision within that period" not in found["txt"]


def test_a_late_refusal_without_extension_does_not_claim_the_month(
    api, staff, db_path, world, clock
):
    created = filed(api, db_path, type="objection", language="en")
    clock.move(days=45)
    decided(
        api,
        staff,
        created,
        decision="reject",
        reason="Case 123.",
        reason_codes=["legal_claims"],
    )
    found = letter(api, created)
    first_due = long_date(datetime(2026, 4, 2).date(), "en")
    assert says(found, said("en", "D03_late", first_due=first_due))
    assert "within one month of receiving" not in found["txt"]


@pytest.mark.parametrize("lang", ("de", "fr"))
def test_reason_codes_are_said_in_the_letters_language_then_the_staff_words(
    api, staff, db_path, world, clock, lang
):
    own = {
        "de": "Die Beiträge sind Gegenstand eines Verfahrens (Az. 123).",
        "fr": "Les contenus font l'objet d'une procédure (réf. 123).",
    }[lang]
    created = filed(api, db_path, type="objection", language=lang)
    decided(
        api,
        staff,
        created,
        decision="reject",
        reason_codes=["legal_claims", "compelling_grounds"],
        reason=own,
    )
    found = letter(api, created)
    reasons = " ".join(
        [
            said(lang, "reason_legal_claims"),
            said(lang, "reason_compelling_grounds"),
            said(lang, "reason_details", text=own),
        ]
    )
    assert says(found, said(lang, "D02", reason=reasons))
    assert "legal_claims" not in found["txt"]  # never the code itself


@pytest.mark.parametrize("lang", ("de", "fr"))
def test_an_extension_with_a_reason_code_alone_says_it_translated(
    api, staff, db_path, world, clock, lang
):
    created = filed(api, db_path, type="access", language=lang)
    decided(
        api,
        staff,
        created,
        decision="extend",
        reason_codes=["complexity", "number_of_requests"],
    )
    reasons = " ".join(
        [said(lang, "reason_complexity"), said(lang, "reason_number_of_requests")]
    )
    assert says(letter(api, created), said(lang, "X02", reason=reasons))
