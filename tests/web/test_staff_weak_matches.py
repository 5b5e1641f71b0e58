"""The case page's weak matches (issue 18, item 3): include, not about this
person, or leave undecided (the default for a weak match nobody decided). An
approval from the page with the defaults leaves them undecided, as the API does,
so the letter counts them as candidates that could not be attributed (W01)
instead of hiding them behind "none"; marking them not about this person takes
them out of W01."""

from __future__ import annotations

import re

import pytest

from dsr_app.db import open_db
from tests.review.helpers import filed
from tests.review.test_letter_record import _rec, _world
from tests.review.test_letter_sources import _letters, _row
from tests.web.test_staff import CSRF_RE

NAME = "Zoë Müller-Łukasik"  # new_request's full name
RECORDS = [
    _rec("own-1", "my holiday", author_id="acc-1", kind="post"),
    _rec("weak-1", f"Met {NAME} today", author_id="acc-2"),
    _rec("weak-2", f"{NAME} spoke well", author_id="acc-3"),
]
W01 = {
    "en": f"2 items that mention a person named {NAME}",
    "de": f"2 Einträge gefunden, die eine Person namens {NAME}",
    "fr": f"2 contenus qui mentionnent une personne nommée {NAME}",
}
CHECKED = re.compile(r'name="m:(m_\w+)" value="([^"]*)" checked')
# A decided case is read-only (issue 21): each row says its decision.
DECIDED = re.compile(
    r'<tr data-match="(m_\w+)"[^>]*>(?:(?!</tr>).)*?data-decision="(\w*)"', re.S
)


def _page(legal_browser, created) -> tuple[str, dict[str, str], list[str]]:
    """(page, each match's checked choice as the legal_browser sends it, weak ids)."""
    page = legal_browser.get(f"/staff/requests/{created['id']}").get_data(as_text=True)
    weak = re.findall(r'data-match="(m_\w+)" data-confidence="weak"', page)
    return page, dict(CHECKED.findall(page)), weak


def _approve(legal_browser, created, page: str, choices: dict[str, str]) -> None:
    form = {
        "csrf_token": CSRF_RE.search(page).group(1),
        "decision": "approve",
        **{f"m:{m}": v for m, v in choices.items()},
        "confirm": "1",
    }
    resp = legal_browser.post(f"/staff/requests/{created['id']}/decision", data=form)
    assert resp.status_code == 303
    after = legal_browser.get(resp.headers["Location"]).get_data(as_text=True)
    assert '<dd id="case-status" data-status="completed">' in after, after


def _decided(db_path, created) -> dict[str, tuple]:
    db = open_db(db_path)
    rows = db.execute(
        "SELECT record_id, decision, decided_by FROM matches WHERE request_id = ?",
        [created["id"]],
    ).fetchall()
    db.close()
    return {r[0]: r[1:] for r in rows}


@pytest.mark.parametrize("lang", ["en", "de", "fr"])
def test_approval_with_the_page_defaults_leaves_weak_matches_undecided_and_counted(
    api, legal_browser, db_path, run, tmp_path, lang
):
    _world(run, tmp_path, RECORDS)
    created = filed(api, db_path, type="access", language=lang)
    page, choices, weak = _page(legal_browser, created)
    assert len(weak) == 2
    assert {choices[m] for m in weak} == {""}  # "leave undecided", sends nothing
    assert "leave undecided" in page and "not about this person (exclude)" in page
    assert "counted in the letter as items that could not be attributed" in page
    _approve(legal_browser, created, page, choices)
    decided = _decided(db_path, created)
    assert decided["weak-1"] == decided["weak-2"] == ("exclude", "weak_left_out")
    assert decided["own-1"][0] == "include"
    html, text = _letters(api, created)
    assert W01[lang] in _row(html, "W01") and W01[lang] in text
    # The decided case's page shows them as left undecided, not as excluded.
    shown = dict(DECIDED.findall(_page(legal_browser, created)[0]))
    assert {shown[m] for m in weak} == {"left_out"}


@pytest.mark.parametrize("lang", ["en", "de", "fr"])
def test_weak_matches_marked_not_about_this_person_leave_w01(
    api, legal_browser, db_path, run, tmp_path, lang
):
    _world(run, tmp_path, RECORDS)
    created = filed(api, db_path, type="access", language=lang)
    page, choices, weak = _page(legal_browser, created)
    _approve(legal_browser, created, page, {**choices, **{m: "0" for m in weak}})
    decided = _decided(db_path, created)
    assert decided["weak-1"][0] == decided["weak-2"][0] == "exclude"
    assert "weak_left_out" not in {decided["weak-1"][1], decided["weak-2"][1]}
    html, text = _letters(api, created)
    assert 'data-row="W01"' not in html and W01[lang] not in text
    shown = dict(DECIDED.findall(_page(legal_browser, created)[0]))
    assert {shown[m] for m in weak} == {"exclude"}
