"""Letters say what the case's record holds, not what is true of a typical case
(issue 18, item 2): the courts of the country where the controller is
established (C12, named in the letter's language), the channels the person
confirmed with a code (I02, X04), and the search only once it has run (X04)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from markupsafe import escape

from dsr_app import create_app
from dsr_app.cases.jobs import run_pending
from dsr_app.db import open_db
from dsr_app.i18n import LANGUAGES, long_date
from dsr_app.review.letter_texts import TEXTS
from tests.conftest import REGISTRY, new_request, verify
from tests.review.test_letters import _letter, decided

PHONE = "+4915123456789"
# How each language names the controller's country (CLDR territory names).
COUNTRIES = {
    "IE": {"en": "Ireland", "de": "Irland", "fr": "Irlande"},
    "DE": {"en": "Germany", "de": "Deutschland", "fr": "Allemagne"},
}
EXTEND = "Your data is spread over 40 datasets."


@pytest.fixture
def controller_country(request):
    return getattr(request, "param", None)


@pytest.fixture
def api_app(db_path, controller_country):
    """The app with abuse limits off, established in ``controller_country``."""
    config = {"TESTING": True, "DB": str(db_path), "RATE_LIMITS": 0}
    if controller_country:
        config["CONTROLLER_COUNTRY"] = controller_country
    return create_app(config)


def _both(api, created) -> tuple[str, str]:
    html = _letter(api, created, "html").get_data(as_text=True)
    return html, _letter(api, created, "txt").get_data(as_text=True)


def _says(html: str, txt: str, sentence: str) -> bool:
    """The whole sentence, as the plain text and (escaped) the HTML show it."""
    return sentence in txt and str(escape(sentence)) in html


def _filed(api, db_path, run, lang: str, *, phone: bool, search: bool) -> dict:
    """A request in review, e-mail confirmed (and the phone, if ``phone``); the
    search has run only if ``search``."""
    run("accounts", "import", REGISTRY)
    run("ingest", "tests/data/records.jsonl")
    created = new_request(api, type="access", language=lang, phone="+49 151 23456789")
    assert verify(api, db_path, created, "email", "zoe@example.eu").status_code == 200
    if phone:
        assert verify(api, db_path, created, "phone", PHONE).status_code == 200
    if search:
        db = open_db(db_path)
        run_pending(db)
        db.close()
    return created


def _decide(api, staff, created, decision: str, reason: str) -> None:
    resp = api.post(
        f"/api/v1/staff/requests/{created['id']}/decision",
        json={"decision": decision, "reason": reason},
        headers=staff["legal"],
    )
    assert resp.status_code == 200, resp.get_json()


@pytest.mark.parametrize(
    "controller_country", [None, "IE", "DE"], indirect=True, ids=["default", "IE", "DE"]
)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_c12_names_the_courts_of_the_controllers_country_in_the_letters_language(
    api, staff, db_path, run, controller_country, lang
):
    html, txt = _both(api, decided(api, staff, db_path, run, "access", lang))
    country = controller_country or "IE"  # DSR_CONTROLLER_COUNTRY's default
    for code, names in COUNTRIES.items():
        sentence = TEXTS[lang]["C12"].format(controller_country=names[lang])
        assert _says(html, txt, sentence) == (code == country), code


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_refusal_names_the_same_courts(api, staff, db_path, run, lang):
    html, txt = _both(api, decided(api, staff, db_path, run, "rejected", lang))
    sentence = TEXTS[lang]["C12"].format(controller_country=COUNTRIES["IE"][lang])
    assert _says(html, txt, sentence)


@pytest.mark.parametrize("phone", [False, True], ids=["email", "email_and_phone"])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_i02_states_exactly_the_channels_confirmed(
    api, staff, db_path, run, lang, phone
):
    created = _filed(api, db_path, run, lang, phone=phone, search=True)
    _decide(api, staff, created, "request_info", "Which of the handles is yours?")
    html, txt = _both(api, created)
    values = {"email": "zoe@example.eu", "phone": PHONE}
    said = TEXTS[lang]["I02_phone" if phone else "I02"].format_map(values)
    other = TEXTS[lang]["I02" if phone else "I02_phone"].format_map(values)
    assert _says(html, txt, said)
    assert other not in txt
    # A phone given but never confirmed is not said to be theirs.
    assert (PHONE in txt) == phone


@pytest.mark.parametrize("lang", LANGUAGES)
def test_i02_leaves_out_a_new_phone_from_a_reply_until_it_is_confirmed(
    api, staff, db_path, run, lang
):
    created = _filed(api, db_path, run, lang, phone=True, search=True)
    # The reply gives another phone: its code is not confirmed yet.
    db = open_db(db_path)
    db.execute(
        "UPDATE requests SET phone = '+4915199999999', phone_verified_at = NULL"
        " WHERE id = ?",
        [created["id"]],
    )
    db.conn.commit()
    db.close()
    _decide(api, staff, created, "request_info", "Which of the handles is yours?")
    html, txt = _both(api, created)
    assert _says(html, txt, TEXTS[lang]["I02"].format(email="zoe@example.eu"))
    assert "+4915199999999" not in txt and PHONE not in txt


def _confirmed(lang: str, phone: bool) -> str:
    key = "confirmed_email_phone" if phone else "confirmed_email"
    return TEXTS[lang][key].format(email="zoe@example.eu", phone=PHONE)


@pytest.mark.parametrize("phone", [False, True], ids=["email", "email_and_phone"])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_x04_says_the_search_and_the_channels_once_the_search_has_run(
    api, staff, db_path, run, lang, phone
):
    created = _filed(api, db_path, run, lang, phone=phone, search=True)
    _decide(api, staff, created, "extend", EXTEND)
    html, txt = _both(api, created)
    start = TEXTS[lang]["X04"].split("{searched}")[0]
    assert _says(html, txt, start.format(confirmed=_confirmed(lang, phone)))
    # ...with each dataset version searched and the day, as the record holds them.
    db = open_db(db_path)
    searched_at, scope = db.execute(
        "SELECT searched_at, scope FROM searches WHERE request_id = ?", [created["id"]]
    ).fetchone()
    db.close()
    day = long_date(date.fromisoformat(searched_at[:10]), lang)
    versions = ", ".join(f"{d} {v}" for d, v in sorted(json.loads(scope)))
    assert _says(html, txt, f"{versions} ({day})")
    unsearched = TEXTS[lang]["X04_unsearched"]
    assert unsearched.format(confirmed=_confirmed(lang, phone)) not in txt


@pytest.mark.parametrize("lang", LANGUAGES)
def test_x04_says_the_search_has_not_run_and_an_issued_letter_keeps_saying_so(
    api, staff, db_path, run, lang
):
    created = _filed(api, db_path, run, lang, phone=False, search=False)
    _decide(api, staff, created, "extend", EXTEND)
    html, txt = _both(api, created)
    unsearched = TEXTS[lang]["X04_unsearched"].format(confirmed=_confirmed(lang, False))
    assert _says(html, txt, unsearched)
    searched = TEXTS[lang]["X04"].split("{confirmed}")[1].split("{")[0]
    assert searched not in txt and searched not in html
    # The search that runs later does not rewrite the letter issued before it.
    db = open_db(db_path)
    run_pending(db)
    assert db.execute("SELECT count(*) FROM searches").fetchone()[0] >= 1
    db.close()
    assert _both(api, created) == (html, txt)


@pytest.mark.parametrize(
    ("decision", "row"), [("extend", "X04"), ("request_info", "I02")]
)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_letter_never_claims_an_e_mail_confirmation_not_on_record(
    api, staff, db_path, run, lang, decision, row
):
    created = _filed(api, db_path, run, lang, phone=False, search=False)
    db = open_db(db_path)  # a record without the confirmation (none should be)
    db.execute(
        "UPDATE requests SET email_verified_at = NULL WHERE id = ?", [created["id"]]
    )
    db.conn.commit()
    db.close()
    _decide(api, staff, created, decision, EXTEND)
    html, txt = _both(api, created)
    assert _says(html, txt, TEXTS[lang][f"{row}_unconfirmed"])
    assert _confirmed(lang, False) not in txt
