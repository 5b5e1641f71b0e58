"""Configured letter facts (issue 18, items 2 and 5): the purposes, legal basis,
recipients, transfers, storage period, automated decision-making, residual copies,
what was made public (Art. 17(2)) and DPO name come from the per-language file of
DSR_LETTER_FACTS, each letter in its own language; an unset fact is said as unset,
never in another language nor as the fixed text it replaced; Art. 19 only with
configured recipients; a wrong file stops the start naming file and key."""

from __future__ import annotations

import json
import tomllib

import pytest
from markupsafe import escape

from dsr_app import create_app
from dsr_app.cases.jobs import run_pending
from dsr_app.cli import cli
from dsr_app.config import DEFAULTS
from dsr_app.db import open_db
from dsr_app.demo import demo_config
from dsr_app.errors import BadInput
from dsr_app.i18n import LANGUAGES
from dsr_app.letter_facts import KEYS, LABELS
from dsr_app.review.letter_texts import TEXTS
from tests.conftest import REGISTRY, new_request, verify
from tests.review.test_letters import _letter, decided
from tests.web.test_staff import log_in

DEMO = demo_config({})["LETTER_FACTS"]
with open(DEMO, "rb") as _file:
    DEMO_FACTS = tomllib.load(_file)
# How each language cites Art. 19 (O05).
ART_19 = {"en": "Art. 19 GDPR", "de": "Art. 19 DSGVO", "fr": "art. 19 RGPD"}


@pytest.fixture
def facts_path(request, tmp_path):
    """The facts file of the app: the demo's (default), none, or English only."""
    chosen = getattr(request, "param", "demo")
    if chosen == "demo":
        return DEMO
    if chosen == "en_only":
        path = tmp_path / "facts.toml"
        lines = ["[en]"] + [
            f"{k} = {json.dumps(v)}" for k, v in DEMO_FACTS["en"].items()
        ]
        path.write_text("\n".join(lines) + "\n")
        return str(path)
    return None


@pytest.fixture
def api_app(db_path, facts_path):
    """The app with abuse limits off and the chosen facts file."""
    config = {"TESTING": True, "DB": str(db_path), "RATE_LIMITS": 0}
    if facts_path:
        config["LETTER_FACTS"] = facts_path
    return create_app(config)


def _both(api, created) -> tuple[str, str]:
    """The issued letter as (html, txt)."""
    html = _letter(api, created, "html").get_data(as_text=True)
    return html, _letter(api, created, "txt").get_data(as_text=True)


def _says(html: str, txt: str, text: str) -> bool:
    return str(escape(text)) in html and text in txt


def _unset(lang: str, row: str) -> str:
    """The start of a row's "not stated" sentence, up to its first placeholder."""
    return TEXTS[lang][f"{row}_unset"].split("{")[0]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_access_letter_states_the_configured_facts_of_its_language(
    api, staff, db_path, run, lang
):
    html, txt = _both(api, decided(api, staff, db_path, run, "access", lang))
    keys = ("purpose", "legal_basis", "recipients", "transfers", "retention")
    for key in (*keys, "automated_decisions", "dpo_name"):
        assert _says(html, txt, DEMO_FACTS[lang][key]), key
    for other in LANGUAGES:
        if other != lang:  # never another language's text
            for key in ("purpose", "recipients", "transfers", "retention"):
                assert DEMO_FACTS[other][key] not in txt, (other, key)
    assert "_unset" not in txt and _unset(lang, "A04") not in txt


@pytest.mark.parametrize("lang", LANGUAGES)
def test_erasure_letter_states_residual_copies_and_art_19_with_recipients(
    api, staff, db_path, run, lang
):
    html, txt = _both(api, decided(api, staff, db_path, run, "erasure", lang))
    assert _says(html, txt, DEMO_FACTS[lang]["backup_period"])
    assert _says(html, txt, DEMO_FACTS[lang]["dpo_name"])
    # O05: the list went to the training teams; Art. 19 names the recipients.
    assert _says(html, txt, ART_19[lang])
    assert _says(html, txt, DEMO_FACTS[lang]["recipients"])


@pytest.mark.parametrize("facts_path", [None], indirect=True)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_unset_facts_are_said_unset_in_the_letters_language(
    api, staff, db_path, run, lang
):
    html, txt = _both(api, decided(api, staff, db_path, run, "access", lang))
    for row in ("A02", "A02_basis", "A04", "A05", "A09", "A10", "C02"):
        assert _says(html, txt, _unset(lang, row)), row
    assert "privacy@platform.example" in txt  # where to ask
    for key in KEYS:  # nothing of any configured text, nor an English default
        assert DEMO_FACTS["en"][key] not in txt
    assert "Data Protection Officer" not in txt


@pytest.mark.parametrize("facts_path", [None], indirect=True)
@pytest.mark.parametrize(("kind", "lang"), [("objection", "de"), ("erasure", "fr")])
def test_no_art_19_claim_without_configured_recipients(
    api, staff, db_path, run, kind, lang
):
    html, txt = _both(api, decided(api, staff, db_path, run, kind, lang))
    assert "rt. 19" not in txt and "rt. 19" not in html  # no Art. 19 at all
    # ...but the training teams were given the list (O05), and E06 says unset.
    assert _says(html, txt, _unset(lang, "O05"))
    if kind == "erasure":
        assert _says(html, txt, _unset(lang, "E06"))


@pytest.mark.parametrize("facts_path", ["en_only"], indirect=True)
def test_a_fact_set_only_in_english_is_unset_in_a_german_letter(
    api, staff, db_path, run
):
    german = decided(api, staff, db_path, run, "access", "de")
    html, txt = _both(api, german)
    for row in ("A02", "A02_basis", "A04", "A05", "A09", "A10"):
        assert _says(html, txt, _unset("de", row)), row
    for key in KEYS:
        if key != "dpo_name":  # a name reads the same in every language
            assert DEMO_FACTS["en"][key] not in txt, key


# Row (or sentence of a row) -> the fact it states, of the facts that replaced
# fixed text: the legal basis, automated decisions, what was made public.
REPLACED = {"A02_basis": "legal_basis", "A09": "automated_decisions"}
REPLACED_ERASURE = {"E03": "published_copies"}
# The fixed text of the legal basis that letters said for every controller.
FIXED_BASIS = {"en": "Art. 6(1)(f)", "de": "lit. f DSGVO", "fr": "point f), RGPD"}


def _where(created: dict) -> dict:
    """The placeholders of a "not stated" sentence: where and how to ask."""
    email = DEFAULTS["CONTROLLER_EMAIL"]
    return {"controller_email": email, "reference": created["id"]}


def _sentence(lang: str, row: str, key: str) -> str:
    return TEXTS[lang][row].format_map({key: DEMO_FACTS[lang][key]})


@pytest.mark.parametrize(
    ("kind", "rows"), [("access", REPLACED), ("erasure", REPLACED_ERASURE)]
)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_legal_basis_automated_decisions_and_published_copies_are_configured(
    api, staff, db_path, run, kind, rows, lang
):
    html, txt = _both(api, decided(api, staff, db_path, run, kind, lang))
    for row, key in rows.items():
        assert _says(html, txt, _sentence(lang, row, key)), row
        assert f"{row}_unset" not in txt
        assert _unset(lang, row) not in txt, row


@pytest.mark.parametrize("facts_path", [None, "en_only"], indirect=True)
@pytest.mark.parametrize(
    ("kind", "rows"), [("access", REPLACED), ("erasure", REPLACED_ERASURE)]
)
@pytest.mark.parametrize("lang", ["de", "fr"])
def test_unset_legal_basis_automated_decisions_and_published_copies(
    api, staff, db_path, run, kind, rows, lang
):
    created = decided(api, staff, db_path, run, kind, lang)
    html, txt = _both(api, created)
    where = _where(created)
    for row, key in rows.items():
        # The whole "not stated" sentence, with where and how to ask...
        assert _says(html, txt, TEXTS[lang][f"{row}_unset"].format_map(where)), row
        # ...and nothing of the configured text, in any language.
        assert all(DEMO_FACTS[other][key] not in txt for other in LANGUAGES), row
    assert FIXED_BASIS[lang] not in txt and FIXED_BASIS["en"] not in txt


@pytest.mark.parametrize("facts_path", [None], indirect=True)
def test_an_english_letter_says_them_unset_too(api, staff, db_path, run):
    created = decided(api, staff, db_path, run, "erasure", "en")
    html, txt = _both(api, created)
    where = _where(created)
    assert _says(html, txt, TEXTS["en"]["E03_unset"].format_map(where))
    assert "We have not published these datasets" not in txt


def _in_review(api, db_path, run, lang: str) -> dict:
    run("accounts", "import", REGISTRY)
    run("ingest", "tests/data/records.jsonl")
    created = new_request(api, type="access", language=lang)
    verify(api, db_path, created, "email", "zoe@example.eu")
    run_pending(open_db(db_path))
    return created


@pytest.mark.parametrize(
    ("facts_path", "lang", "warned"),
    [(None, "fr", list(KEYS)), ("en_only", "de", list(KEYS)), ("en_only", "en", [])],
    indirect=["facts_path"],
)
def test_case_page_warns_of_the_facts_unset_for_the_requests_language(
    api, staff, db_path, run, lang, warned
):
    created = _in_review(api, db_path, run, lang)
    assert log_in(api).status_code == 303
    page = api.get(f"/staff/requests/{created['id']}").get_data(as_text=True)
    assert ('id="unset-facts"' in page) == bool(warned)
    for key in warned:
        assert str(escape(LABELS[key])) in page, key
    if warned:
        assert f"language ({lang})" in page


BAD_FILES = [
    ("[en]\npurpose = 'x'\ncolour = 'blue'\n", "[en] colour: unknown key"),
    ("[es]\npurpose = 'x'\n", "[es] is not a language"),
    ("[en]\nretention = 5\n", "[en] retention: must be text"),
    ("[fr]\ndpo_name = ''\n", "[fr] dpo_name: is empty"),
    ('[de]\npurpose = "a\\nb"\n', "[de] purpose: holds the control character U+000A"),
    (
        "[en]\npurpose = 'x'\nrecipients = 'y'\n[de]\npurpose = 'x'\n",
        "[de] lacks recipients, which [en] has",
    ),
    ("[en]\npurpose = \n", "is not valid TOML"),
    ("en = 'x'\n", "en must be a table [en]"),
]


@pytest.mark.parametrize(("content", "reason"), BAD_FILES)
def test_a_wrong_facts_file_stops_the_start_naming_file_and_key(
    tmp_path, db_path, content, reason
):
    path = tmp_path / "facts.toml"
    path.write_text(content)
    with pytest.raises(BadInput) as raised:
        create_app({"TESTING": True, "DB": str(db_path), "LETTER_FACTS": str(path)})
    assert raised.value.field == "DSR_LETTER_FACTS"
    assert str(path) in raised.value.reason and reason in raised.value.reason


def test_dsr_serve_refuses_a_missing_facts_file_with_exit_2(
    cli_runner, tmp_path, db_path, monkeypatch
):
    missing = tmp_path / "nowhere.toml"
    monkeypatch.setenv("DSR_LETTER_FACTS", str(missing))
    result = cli_runner.invoke(cli, ["serve", "--db", str(db_path)])
    assert result.exit_code == 2
    assert f"DSR_LETTER_FACTS: {missing}: cannot be read" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("name", ["AI_PURPOSE", "RETENTION", "DPO_NAME"])
def test_the_retired_english_only_settings_are_refused(db_path, monkeypatch, name):
    monkeypatch.setenv(f"DSR_{name}", "developing, training and fine-tuning")
    with pytest.raises(BadInput, match="DSR_LETTER_FACTS") as raised:
        create_app({"TESTING": True, "DB": str(db_path)})
    assert raised.value.field == f"DSR_{name}"


def test_the_demo_file_states_every_fact_in_every_language(db_path):
    assert sorted(DEMO_FACTS) == sorted(LANGUAGES)
    for lang in LANGUAGES:
        assert sorted(DEMO_FACTS[lang]) == sorted(KEYS), lang
    # It loads as the demo server loads it, and DSR_LETTER_FACTS overrides it.
    app = create_app({"TESTING": True, "DB": str(db_path), **demo_config()})
    assert app.config["LETTER_FACTS"] == DEMO
    assert "LETTER_FACTS" not in demo_config({"DSR_LETTER_FACTS": "/etc/facts.toml"})
