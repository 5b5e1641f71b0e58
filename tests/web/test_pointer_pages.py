"""Pointers on the pages (issue 20, item 3): the request form's field in each
language, its errors in the page's language, and the staff case page showing the
person's passage beside the item it found, shared words marked, all escaped."""

from __future__ import annotations

import json
import re

import pytest

from dsr_app.db import open_db
from tests.review.helpers import filed
from tests.web.test_public import file_request
from tests.web.test_staff import log_in


@pytest.mark.parametrize(
    "lang, label",
    [
        ("en", "Links or text about you, one per line"),
        ("de", "Links oder Text über Sie, einer pro Zeile"),
        ("fr", "Liens ou texte vous concernant, un par ligne"),
    ],
)
def test_the_form_has_a_pointers_field_in_each_language(web, lang, label):
    page = web.get(f"/request?lang={lang}").get_data(as_text=True)
    assert re.search(r'<label for="pointers">[^<]*' + re.escape(label), page)
    assert '<textarea id="pointers" name="pointers"' in page
    assert 'aria-describedby="pointers-hint"' in page


def test_pointers_from_the_form_are_kept_one_a_line(web, db_path):
    lines = "https://social.example.com/p/1?utm_source=x\n\n  p-2  \r\nwhat an AI said"
    assert file_request(web, pointers=lines).status_code == 303
    db = open_db(db_path)
    kept = [r[0] for r in db.execute("SELECT value FROM request_pointers")]
    assert kept == [
        "https://social.example.com/p/1?utm_source=x",
        "p-2",
        "what an AI said",
    ]


@pytest.mark.parametrize(
    "lang, pointers, said",
    [
        ("de", "x" * 2001, "Eine Zeile fasst höchstens 2000 Zeichen"),
        ("fr", "x" * 2001, "Une ligne accepte au plus 2000 caractères"),
        ("en", "\n".join(f"p-{n}" for n in range(21)), "at most 20 lines"),
        ("de", "\n".join(f"p-{n}" for n in range(21)), "höchstens 20 Zeilen"),
    ],
)
def test_bad_pointers_are_said_at_the_field_in_the_page_language(
    web, db_path, lang, pointers, said
):
    web.get(f"/request?lang={lang}")
    resp = file_request(web, pointers=pointers, language=lang)
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    error = re.search(r'id="pointers-error"[^>]*>(.*?)</', page, re.S)
    assert error and said in error.group(1), page
    assert open_db(db_path)["requests"].count == 0


# The item's text with markup and another person's e-mail in it; the passage the
# person quoted, edited, with markup of its own.
ITEM = (
    "<b>Zimtschnecken</b> & Sauerteigbrot: die neue Bäckerei in der Südstadt ist"
    " großartig, die Inhaberin hat in Lyon gelernt. Fragen an max@example.org"
)
PASSAGE = (
    "<script> Zimtschnecken & Sauerteigbrot, die neue Backerei in der Sudstadt ist"
    " grossartig; die Inhaberin hat in Lyon gelernt"
)


def test_the_case_page_shows_the_passage_beside_its_item_marked_and_escaped(
    api, api_app, staff, db_path, run, tmp_path
):
    manifest = tmp_path / "posts.jsonl"
    record = {"record_id": "p-1", "dataset": "posts", "text": ITEM}
    manifest.write_text(json.dumps(record) + "\n", encoding="utf-8")
    assert run("ingest", str(manifest)).exit_code == 0
    created = filed(api, db_path, type="access", pointers=[PASSAGE, "p-1"])
    browser = api_app.test_client()
    browser.environ_base["wsgi.url_scheme"] = "https"
    assert log_in(browser).status_code == 303
    page = browser.get(f"/staff/requests/{created['id']}").get_data(as_text=True)
    section = page[page.index('<table id="pointed-items"') :]
    section = section[: section.index("</table>")]
    row = re.search(r'<tr data-match="(m_\w+)">(.*?)</tr>', section, re.S)
    assert row, section
    gave, text = re.findall(r"<td[^>]*>(.*?)</td>", row.group(2), re.S)[1:]
    # Everything escaped: the passage's script and the item's markup are text.
    assert "<script> Zimt" not in page and "passage: &lt;script&gt; <mark>" in gave
    assert "&lt;b&gt;<mark>Zimtschnecken</mark>&lt;/b&gt; &amp;" in text
    # The shared words are marked on both sides, accents or not; what only one
    # side has is not, and the other person's e-mail is masked.
    assert "<mark>die neue Backerei in der Sudstadt ist grossartig</mark>" in gave
    assert "<mark>die neue Bäckerei in der Südstadt ist großartig</mark>" in text
    assert "<mark>script" not in gave and "<mark>Fragen" not in text
    assert "max@example.org" not in page and "[e-mail]" in text
    # The id that also led there is shown, and the pointers in the case's facts.
    assert re.search(r'data-kind="id">id: p-1</p>', gave)
    assert '<ul id="pointers">' in page and 'data-kind="passage"' in page
    # In the table of items, the record's rule is the pointer, its words marked.
    assert '<li data-rule="pointer">' in page
    assert re.search(r'class="snippet">.*<mark>[^<]*Südstadt[^<]*</mark>', page)


def test_the_case_page_says_how_many_records_wait_for_the_pointer_index(
    api, api_app, staff, db_path, run, tmp_path, monkeypatch
):
    from dsr_app.cases.jobs import run_pending
    from dsr_app.matching import pointer_index

    monkeypatch.setattr(pointer_index, "INLINE_LIMIT", 0)  # left to the job
    created = filed(api, db_path, type="access", pointers=[PASSAGE])
    manifest = tmp_path / "posts.jsonl"
    lines = [{"record_id": f"p-{n}", "dataset": "posts", "text": ITEM} for n in (1, 2)]
    manifest.write_text("".join(json.dumps(r) + "\n" for r in lines), "utf-8")
    # The ingest searches the request again at once and queues the index's job.
    assert run("ingest", str(manifest)).exit_code == 0
    browser = api_app.test_client()
    browser.environ_base["wsgi.url_scheme"] = "https"
    assert log_in(browser).status_code == 303

    def shown() -> tuple[str | None, int, set]:
        page = browser.get(f"/staff/requests/{created['id']}").get_data(as_text=True)
        note = re.search(r'<p id="pointer-index-waiting"[^>]*>(.*?)</p>', page, re.S)
        case = api.get(
            f"/api/v1/staff/requests/{created['id']}", headers=staff["legal"]
        ).get_json()
        found = {
            m["record_id"] for m in case["matches"] if m["matched_on"] == "pointer"
        }
        assert case["pointed"]["pointers"] == [{"kind": "passage", "value": PASSAGE}]
        return note and note.group(1), case["pointed"]["waiting"], found

    note, waiting, found = shown()
    assert note.startswith("2 records not yet indexed") and waiting == 2
    assert found == set()
    db = open_db(db_path)
    run_pending(db)  # the index's job, then the request searched again
    db.close()
    assert shown() == (None, 0, {"p-1", "p-2"})
