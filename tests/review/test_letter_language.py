"""German and French letters are German and French end to end (issue 18, items 8
and 9): every letter type, from a real case, in HTML and plain text, holds no word
of a checked English list once the values a person, the staff, the configuration
or a manifest supplied are taken out, and uses its language's quotation marks
and spaces."""

from __future__ import annotations

import html as html_lib
import re

import pytest

from dsr_app.cases.jobs import run_pending
from dsr_app.config import DEFAULTS
from dsr_app.db import open_db
from dsr_app.i18n import CATALOGS, load_catalogs
from dsr_app.matching.identity import Identity
from dsr_app.matching.masking import mask_others
from dsr_app.review.letter_texts import TEXTS
from dsr_app.review.wording import local_masks
from tests.conftest import REGISTRY, bearer, new_request
from tests.conftest import verify as verify_code

NAME = "Zoë Müller-Łukasik"
# Staff reasons, written in the letter's language as the decision form asks.
REASONS = {
    "de": {
        "reject": "Die Beiträge werden für ein laufendes Gerichtsverfahren benötigt.",
        "extend": "Ihre Daten verteilen sich auf viele Datenbestände.",
        "request_info": "Bitte sagen Sie uns, welcher der genannten Namen Ihrer ist.",
    },
    "fr": {
        "reject": "Les contenus sont nécessaires à une procédure judiciaire en cours.",
        "extend": "Vos données sont réparties sur de nombreux jeux de données.",
        "request_info": "Merci de nous dire lequel des noms indiqués est le vôtre.",
    },
}
# letter kind -> (request type, decision, e-mail of the requester)
CASES = {
    "access": ("access", "approve", "zoe@example.eu"),
    "no_data": ("access", "approve", "nobody@example.net"),
    "objection": ("objection", "approve", "zoe@example.eu"),
    "erasure": ("erasure", "approve", "zoe@example.eu"),
    "rejected": ("objection", "reject", "zoe@example.eu"),
    "extension": ("access", "extend", "zoe@example.eu"),
    "request_info": ("erasure", "request_info", "zoe@example.eu"),
    "removal_complete": ("erasure", "approve", "zoe@example.eu"),
}
# English that a German or French letter must not hold: lower-case words as
# English writes them inside a sentence (German capitalises its nouns, so
# "Training" in "KI-Training" is German), and sentence starts and phrases.
WORDS = (
    "the and of your you we our data dataset datasets item items request email"
    " number handle training posts post none found removed"
    " will with from this that which have been"
).split()
PHRASES = (
    "The ",
    "We ",
    "Our ",
    "Your ",
    "Honestly",
    "Data Protection Officer",
    "fine-tuning",
    "as long as",
    "(email)",
    "[number]",
    "[e-mail]",
    "@[handle]",
)
_URL = re.compile(r"https?://\S+")
_EMAIL = re.compile(r"\S+@\S+\.\w+")
NBSP = "\u00a0\u202f"


def _letter(api, staff, db_path, run, kind: str, lang: str) -> tuple[str, str, str]:
    """(html, txt, request id) of letter ``kind`` issued to a real case."""
    req_type, decision, email = CASES[kind]
    run("accounts", "import", REGISTRY)
    run("ingest", "tests/data/records.jsonl")
    created = new_request(
        api,
        type=req_type,
        email=email,
        language=lang,
        full_name=NAME if "zoe" in email else "Nobody Here",
    )
    assert verify_code(api, db_path, created, "email", email).status_code == 200
    db = open_db(db_path)
    run_pending(db)
    db.close()
    body = {"decision": decision}
    if decision in REASONS[lang]:
        body["reason"] = REASONS[lang][decision]
    resp = api.post(
        f"/api/v1/staff/requests/{created['id']}/decision",
        json=body,
        headers=staff["legal"],
    )
    assert resp.status_code == 200, resp.get_json()
    if kind == "removal_complete":
        lists = api.get("/api/v1/removal-lists", headers=staff["training"])
        (listed,) = lists.get_json()["items"]
        status = api.get(f"/api/v1/requests/{created['id']}", headers=bearer(created))
        for removal in status.get_json()["removals"]:
            ack = api.post(
                f"/api/v1/removal-lists/{listed['id']}/ack",
                json={
                    "dataset": removal["dataset"],
                    "dataset_version": removal["dataset_version"],
                },
                headers=staff["training"],
            )
            assert ack.status_code == 200, ack.get_json()
    status = api.get(f"/api/v1/requests/{created['id']}", headers=bearer(created))
    wanted = "decision" if kind not in ("extension", "request_info") else kind
    if kind == "removal_complete":
        wanted = kind
    (letter,) = [x for x in status.get_json()["letters"] if x["kind"] == wanted]
    got = {}
    for fmt in ("html", "txt"):
        resp = api.get(
            f"/api/v1/requests/{created['id']}/letters/{letter['id']}?format={fmt}",
            headers=bearer(created),
        )
        assert resp.status_code == 200
        got[fmt] = resp.get_data(as_text=True)
    return got["html"], got["txt"], created["id"]


def _supplied(lang: str, reference: str) -> list[str]:
    """Values a person, the staff or the configuration supplied, longest first."""
    values = [NAME, "Nobody Here", reference, *REASONS[lang].values()]
    values += [str(v) for k, v in DEFAULTS.items() if k.startswith("CONTROLLER_")]
    return sorted(values, key=len, reverse=True)


def _prose(letter: str, fmt: str, lang: str, reference: str) -> str:
    """The letter's own words: markup, manifest texts (the content column and
    the indented excerpts), record ids, URLs, e-mail addresses and supplied
    values taken out."""
    if fmt == "html":
        letter = re.sub(r"<style.*?</style>", " ", letter, flags=re.S)
        letter = re.sub(r'<td class="content">.*?</td>', " ", letter, flags=re.S)
        letter = re.sub(r"<td>(tiny|t-\d+|\d+)</td>", " ", letter)
        letter = html_lib.unescape(re.sub(r"<[^>]+>", " ", letter))
    else:
        letter = "\n".join(
            line for line in letter.split("\n") if not line.startswith("  ")
        )
    for value in _supplied(lang, reference):
        letter = letter.replace(value, " ")
    letter = _URL.sub(" ", letter)
    return _EMAIL.sub(" ", letter)


@pytest.mark.parametrize("lang", ["de", "fr"])
@pytest.mark.parametrize("kind", sorted(CASES))
def test_letter_holds_no_english_and_its_own_typography(
    api, staff, db_path, run, kind, lang
):
    html, txt, reference = _letter(api, staff, db_path, run, kind, lang)
    assert f'<html lang="{lang}">' in html
    for fmt, letter in (("html", html), ("txt", txt)):
        prose = _prose(letter, fmt, lang, reference)
        english = [w for w in WORDS if re.search(rf"(?<![\w-]){w}(?![\w-])", prose)]
        english += [p for p in PHRASES if p in prose]
        assert english == [], (fmt, english)
        assert '"' not in prose, fmt  # neither "…" nor “…” English quotes
        assert "\u201d" not in prose, fmt
        if lang == "de":
            assert prose.count("„") == prose.count("“"), fmt
        else:
            assert not re.search(rf"«[^{NBSP}]|[^{NBSP}]»", prose), fmt
            plain = re.findall(r".{0,30} [:;!?](?:\s|$)", prose)
            assert plain == [], (fmt, plain)


@pytest.mark.parametrize("catalogs", ["letters", "pages"])
def test_the_texts_follow_their_language_typography(catalogs):
    """A rule over every sentence translators keep (letters, and the pages and
    e-mails), also those no test case renders: German „…“ quotes, French « … »
    with no-break spaces inside and no-break spaces before : ; ! ?."""
    texts = TEXTS if catalogs == "letters" else load_catalogs(CATALOGS)
    bad = [k for k, v in texts["de"].items() if '"' in v or "\u201d" in v]
    bad += [
        k
        for k, v in texts["fr"].items()
        if '"' in v
        or re.search(rf"«[^{NBSP}]|[^{NBSP}]»", v)
        or re.search(r" [:;!?]", v)
    ]
    assert bad == []


@pytest.mark.parametrize(
    ("lang", "masks"),
    [
        ("de", ["[E-Mail-Adresse]", "[Nummer]", "@[Benutzername]"]),
        ("fr", ["[adresse e-mail]", "[numéro]", "@[nom d'utilisateur]"]),
    ],
)
def test_masks_in_an_excerpt_are_said_in_the_letter_language(lang, masks):
    """What matching stores stays as it is; the letter shows it translated."""
    identity = Identity.build(request_id="r", country="DE", email="zoe@example.eu")
    stored = mask_others("Mail max@example.org, call 0151 9876543, @max", identity)
    assert stored == "Mail [e-mail], call [number], @[handle]"
    shown = local_masks(stored, TEXTS[lang])
    assert shown == f"Mail {masks[0]}, call {masks[1]}, {masks[2]}"
    assert all(m in TEXTS[lang]["A13"] for m in masks)
