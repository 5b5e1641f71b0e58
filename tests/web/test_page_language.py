"""Every message a person sees on the public pages is in the page's language
(issue 18, item 8): form validation, code checks and error pages; the JSON API
keeps its English messages for developers (docs/api.md)."""

from __future__ import annotations

import re

import pytest

from dsr_app.cases.verification import WRONG_CODE
from dsr_app.i18n import LANGUAGES, messages
from dsr_app.identifiers import SMS_ELSEWHERE, SMS_NOT_MOBILE
from dsr_app.schemas.requests import RequestCreateSchema

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
# English a German or French page must not show (the API's messages).
ENGLISH = ("The email", "Missing data", "required field", "wrong, expired", "Not a")


def post_form(web, lang: str, **fields):
    page = web.get(f"/request?lang={lang}").get_data(as_text=True)
    form = {
        "csrf_token": CSRF_RE.search(page).group(1),
        "type": "access",
        "full_name": "Zoë Müller",
        "email": "zoe@example.eu",
        "country": "FR",
        "language": lang,
        **fields,
    }
    return web.post("/request", data=form)


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("de", "Bitte geben Sie eine gültige E-Mail-Adresse ein"),
        ("fr", "Veuillez saisir une adresse e-mail valide"),
        ("en", "Please enter a valid e-mail address"),
    ],
)
def test_invalid_email_is_refused_in_the_page_language(web, lang, said):
    response = post_form(web, lang, email="zoe@@example")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert said in page
    assert not [e for e in ENGLISH if e in page]


@pytest.mark.parametrize(
    ("lang", "said"),
    [("de", "Bitte füllen Sie dieses Feld aus."), ("fr", "Veuillez remplir ce champ.")],
)
def test_missing_field_is_refused_in_the_page_language(web, lang, said):
    page = post_form(web, lang, full_name="").get_data(as_text=True)
    assert said in page and "Missing data" not in page


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("de", "Dieser Code ist falsch, abgelaufen oder schon verwendet."),
        ("fr", "Ce code est erroné, a expiré ou a déjà été utilisé."),
    ],
)
def test_wrong_code_is_said_in_the_page_language(web, lang, said):
    assert post_form(web, lang).status_code == 303
    page = web.get("/verify").get_data(as_text=True)
    token = CSRF_RE.search(page).group(1)
    response = web.post(
        "/verify",
        data={"csrf_token": token, "channel": "email", "code": "00000000"},
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert said in body and WRONG_CODE not in body


@pytest.mark.parametrize(
    ("lang", "said_404", "said_400"),
    [
        ("de", "Hier gibt es nichts", "fehlte etwas oder war ungültig"),
        ("fr", "rien ici", "Il manquait quelque chose"),
    ],
)
def test_error_pages_speak_the_page_language(web, lang, said_404, said_400):
    page = web.get(f"/status?lang={lang}")
    assert page.status_code == 404
    assert said_404 in page.get_data(as_text=True)
    assert post_form(web, lang).status_code == 303
    token = CSRF_RE.search(web.get("/verify").get_data(as_text=True)).group(1)
    bad = web.post("/verify", data={"csrf_token": token, "channel": "fax"})
    assert bad.status_code == 400
    body = bad.get_data(as_text=True)
    assert said_400 in body and "Bad Request" not in body


@pytest.mark.parametrize(
    "message",
    [
        WRONG_CODE,
        SMS_ELSEWHERE.format(where="an EU/EEA country"),
        SMS_ELSEWHERE.format(where="a country we serve"),
        SMS_NOT_MOBILE,
        "too many wrong tries: ask for a new code",
        "this request expired: please file a new one",
    ],
)
def test_every_domain_message_a_page_shows_is_translated(message):
    for lang in LANGUAGES:
        assert messages.known(message, lang), (lang, message)


def test_every_validation_message_of_the_form_is_translated():
    """Each message marshmallow and our checks give for a bad form is one the
    pages know, so none falls back to a vague text (or to English)."""
    bad = {
        "type": "borrow",
        "full_name": "x" * 201,
        "email": "not-an-address",
        "phone": "12",
        "handles": ["ok", "not a handle!", "a\u202eb"],
        "country": "US",
        "language": "tlh",
        "details": "a\x00b",
    }
    with pytest.raises(Exception) as raised:
        RequestCreateSchema().load(bad)
    found = raised.value.normalized_messages()
    found.pop("email")  # email-validator's own words: said as err_email
    unknown = [m for ms in found.values() for m in messages.flat(ms)]
    unknown = [m for m in unknown if messages.known(m, "de") is None]
    assert unknown == []
    missing = RequestCreateSchema().validate({})
    for said in (m for ms in missing.values() for m in messages.flat(ms)):
        assert messages.known(said, "fr"), said
