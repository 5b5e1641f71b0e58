"""The case page shows each record once (issue 20, item 4): every rule that found
it, in words, the matched words marked in the snippet (escaped), and one choice
that decides all its matches."""

from __future__ import annotations

import re

from dsr_app.db import open_db
from tests.review.helpers import filed
from tests.review.test_letter_record import _rec, _world
from tests.web.test_staff import CSRF_RE

NAME = "Zoë Müller-Łukasik"  # new_request's full name
RECORDS = [
    _rec("both", f"<b>{NAME}</b> & friends: zoe@example.eu", author_id="acc-2"),
    _rec("weak", f"Met {NAME} today", author_id="acc-3"),
]
ROW = re.compile(
    r'<tr data-match="(m_\w+)" data-confidence="(\w+)" data-matches="([^"]+)">'
    r"(.*?)</tr>",
    re.S,
)


def _rows(page: str) -> dict[str, tuple[str, list[str], str]]:
    """record id -> (item id, its match ids, the row's HTML)."""
    rows = {}
    for item, _, ids, html in ROW.findall(page):
        record = re.search(r"<br>(\S+)", html).group(1)
        rows[record] = (item, ids.split(), html)
    return rows


def test_case_page_shows_each_record_once_with_its_rules_and_marked_words(
    api, legal_browser, db_path, run, tmp_path
):
    _world(run, tmp_path, RECORDS)
    created = filed(api, db_path)
    page = legal_browser.get(f"/staff/requests/{created['id']}").get_data(as_text=True)
    rows = _rows(page)
    assert set(rows) == {"both", "weak"}
    _, ids, html = rows["both"]
    assert len(ids) == 2
    assert len(re.findall(r"<li data-rule=", html)) == 2
    assert "verified e-mail address, written whole in the text" in html
    assert "name only: the words of the person&#39;s name, not linked" in html
    assert f"<mark>{NAME}</mark>" in html and "<mark>zoe@example.eu</mark>" in html
    # The record's own markup is text, escaped, never markup of the page.
    assert f"&lt;b&gt;<mark>{NAME}</mark>&lt;/b&gt; &amp; friends" in html
    assert "<b>" not in html
    assert len(re.findall(rf'name="m:{ids[0]}"|name="m:{ids[1]}"', page)) == 2


def test_one_choice_on_the_page_decides_every_match_of_the_record(
    api, legal_browser, db_path, run, tmp_path
):
    _world(run, tmp_path, RECORDS)
    created = filed(api, db_path)
    page = legal_browser.get(f"/staff/requests/{created['id']}").get_data(as_text=True)
    rows = _rows(page)
    item, ids, _ = rows["both"]
    form = {
        "csrf_token": CSRF_RE.search(page).group(1),
        "decision": "approve",
        f"m:{item}": "0",  # not about this person: the whole record
        f"m:{rows['weak'][0]}": "1",
        "confirm": "1",
    }
    resp = legal_browser.post(f"/staff/requests/{created['id']}/decision", data=form)
    assert resp.status_code == 303
    db = open_db(db_path)
    decided = dict(
        db.execute(
            "SELECT record_id, group_concat(DISTINCT decision) FROM matches"
            " WHERE request_id = ? GROUP BY record_id",
            [created["id"]],
        ).fetchall()
    )
    db.close()
    assert decided == {"both": "exclude", "weak": "include"}
    after = legal_browser.get(f"/staff/requests/{created['id']}").get_data(as_text=True)
    decided_row = _rows(after)["both"][2]
    assert 'data-decision="exclude"' in decided_row, "the record's one decision"
    assert 'name="m:' not in after, "read-only once decided"
