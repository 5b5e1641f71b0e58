"""The request form asks a resident of Germany for their Land (issue 18, item 7):
a select of the 16 Länder in the page's language, without JavaScript; a Land with
another country is refused with a field error in the page's language."""

from __future__ import annotations

import pytest

from dsr_app.db import open_db
from dsr_app.i18n import text
from tests.web.test_public import file_request


@pytest.mark.parametrize(
    ("lang", "bavaria", "label"),
    [
        ("de", "Bayern", "Ihr Bundesland"),
        ("en", "Bavaria", "Your Land"),
        ("fr", "Bavière", "Votre Land"),
    ],
)
def test_form_offers_the_lands_in_the_pages_language(web, lang, bavaria, label):
    page = web.get(f"/request?lang={lang}").get_data(as_text=True)
    assert 'for="region"' in page and '<select id="region" name="region"' in page
    assert f'<option value="DE-BY" >{bavaria}</option>' in page
    assert page.count('<option value="DE-') == 16
    assert label in page and "<script" not in page.split('id="region"')[1][:2000]


def test_form_with_germany_and_a_land_stores_it(web, db_path):
    resp = file_request(web, region="DE-BY")
    assert resp.status_code == 303
    db = open_db(db_path)
    try:
        assert db.execute("SELECT country, region FROM requests").fetchall() == [
            ("DE", "DE-BY")
        ]
    finally:
        db.close()


def test_form_without_a_land_stores_none(web, db_path):
    assert file_request(web, region="").status_code == 303
    db = open_db(db_path)
    try:
        assert db.execute("SELECT region FROM requests").fetchall() == [(None,)]
    finally:
        db.close()


@pytest.mark.parametrize("lang", ["de", "en", "fr"])
def test_a_land_with_another_country_is_a_field_error_in_the_pages_language(
    web, db_path, lang
):
    web.get(f"/?lang={lang}")
    resp = file_request(web, country="FR", phone="", region="DE-BY", language=lang)
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    error = text(lang, "f_region_error")
    assert str(error.replace("'", "&#39;")) in page
    assert 'aria-invalid="true"' in page.split('id="region"')[1].split(">")[0]
    assert '<option value="DE-BY" selected>' in page  # the choice is kept
    db = open_db(db_path)
    try:
        assert db.execute("SELECT count(*) FROM requests").fetchone() == (0,)
    finally:
        db.close()
