"""Letters state the record (issue 18, items 2 and 3): each item once, named by
what it is, with its date, language and link; the weak candidates left out are
counted, never hidden behind "none"; the extension and the pauses as they were."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from markupsafe import escape

from dsr_app.db import open_db
from dsr_app.i18n import long_date
from tests.conftest import REGISTRY, bearer
from tests.review.helpers import decide_ok, filed

LANGS = ("en", "de", "fr")
ZOE = "zoe@example.eu"  # acc-1 in tests/data/registry.jsonl


def _world(run, tmp_path, records: list[dict]) -> None:
    path = tmp_path / "manifest.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    assert run("accounts", "import", REGISTRY).exit_code == 0
    ingested = run("ingest", path)
    assert ingested.exit_code == 0, ingested.output


def _letters(api, created) -> tuple[str, str]:
    """(html, text with its lines joined) of the request's latest letter."""
    got = {}
    for fmt in ("html", "txt"):
        resp = api.get(
            f"/api/v1/requests/{created['id']}/letter?format={fmt}",
            headers=bearer(created),
        )
        assert resp.status_code == 200, resp.get_data(as_text=True)
        got[fmt] = resp.get_data(as_text=True)
    return got["html"], " ".join(got["txt"].split())


def _rec(record_id, text, **fields) -> dict:
    return {"record_id": record_id, "dataset": "posts", "text": text, **fields}


# Zoë's own post that also names her e-mail (two matches, one item), her own item
# of a kind the contract does not name, and two items of others naming her e-mail.
ITEMS = [
    _rec(
        "r-1",
        "Schreibt mir: zoe@example.eu",
        author_id="acc-1",
        kind="post",
        created_at="2025-01-31T10:00:00Z",
        lang="de",
        url="https://social.example.com/p/1",
    ),
    _rec(
        "r-2",
        "Demandez à zoe@example.eu",
        author_id="acc-2",
        kind="comment",
        created_at="2025-02-14",
        lang="fr",
        url="javascript:alert(1)",
    ),
    _rec(
        "r-3",
        "What does zoe@example.eu like?",
        author_id="acc-3",
        kind="ai_chat",
        created_at="2025-03-01T08:00:00+01:00",
        lang="en",
    ),
    _rec("r-4", "on air tonight", author_id="acc-1", kind="livestream"),
]
# kind, language names of de/fr/en and the two items' counts, per letter language
EXPECTED = {
    "en": (
        ["Post", "Comment", "AI chat", "livestream"],
        ["German", "French", "English"],
        ["2 items that you posted yourself", "2 items in which other people"],
    ),
    "de": (
        ["Beitrag", "Kommentar", "KI-Chat", "livestream"],
        ["Deutsch", "Französisch", "Englisch"],
        ["2 Einträge, die Sie selbst", "2 Einträge, in denen andere"],
    ),
    "fr": (
        ["Publication", "Commentaire", "Conversation avec une IA", "livestream"],
        ["allemand", "français", "anglais"],
        ["2 contenus publiés par vous", "2 contenus où d'autres personnes"],
    ),
}


@pytest.mark.parametrize("lang", LANGS)
def test_access_letter_lists_each_item_once_with_kind_date_language_and_link(
    api, staff, db_path, run, tmp_path, lang
):
    _world(run, tmp_path, ITEMS)
    created = filed(api, db_path, type="access", language=lang)
    db = open_db(db_path)
    (matched,) = db.execute(
        "SELECT count(*) FROM matches WHERE request_id = ? AND record_id = 'r-1'",
        [created["id"]],
    ).fetchone()
    assert matched == 2  # own by account and a mention by e-mail
    decide_ok(api, staff, created, "approve")
    html, text = _letters(api, created)
    kinds, languages, counts = EXPECTED[lang]
    assert sorted(re.findall(r'data-item="([^"]+)"', html)) == [
        "r-1",
        "r-2",
        "r-3",
        "r-4",
    ]
    assert text.count("r-1") == 1
    for needle in [*kinds, *languages, *counts]:
        assert str(escape(needle)) in html, needle
        assert needle in text, needle
    assert "item(s)" not in text and "Beitrag/Beiträge" not in text
    for day in (date(2025, 1, 31), date(2025, 2, 14), date(2025, 3, 1)):
        assert long_date(day, lang) in html and long_date(day, lang) in text
    # A web address is a link; anything else only text.
    assert '<a href="https://social.example.com/p/1">' in html
    assert 'href="javascript' not in html and "javascript:alert(1)" in html
    assert "https://social.example.com/p/1" in text
    copy = api.get(f"/api/v1/requests/{created['id']}/data", headers=bearer(created))
    items = {i["record_id"]: i for i in copy.get_json()["items"]}
    assert sorted(items) == ["r-1", "r-2", "r-3", "r-4"]
    assert (items["r-2"]["item_kind"], items["r-2"]["lang"]) == ("comment", "fr")


NAMESAKE = "Ida Weißenbach"


@pytest.mark.parametrize(
    ("lang", "needle", "none"),
    [
        ("en", f"4 items that mention a person named {NAMESAKE}", "found none"),
        (
            "de",
            f"4 Einträge gefunden, die eine Person namens {NAMESAKE}",
            "keine gefunden",
        ),
        (
            "fr",
            f"4 contenus qui mentionnent une personne nommée {NAMESAKE}",
            "n'en avons trouvé aucune",
        ),
    ],
)
def test_no_data_letter_counts_the_weak_candidates_instead_of_found_none(
    api, staff, db_path, run, tmp_path, lang, needle, none
):
    """Issue 18: a person filed with an e-mail the platform does not know; four
    posts mention their name; the name matches are weak, left out by default; the
    letter said "We searched our training data for your data and found none"."""
    posts = [
        _rec(f"w-{n}", f"Gestern sprach {NAMESAKE} im Rat ({n}).") for n in range(3)
    ]
    posts.append(_rec("w-3", f"Noch einmal {NAMESAKE}, zweimal: {NAMESAKE}."))
    _world(run, tmp_path, posts)
    created = filed(
        api,
        db_path,
        type="access",
        language=lang,
        email="ida@unknown.example",
        full_name=NAMESAKE,
    )
    decide_ok(api, staff, created, "approve")  # an old client: weak ones left out
    html, text = _letters(api, created)
    assert needle in text and 'data-row="W01"' in html
    assert none not in text
    assert 'data-row="D06"' in html  # the row says what it can say


def test_a_letter_with_nothing_at_all_still_says_found_none(
    api, staff, db_path, run, tmp_path
):
    _world(run, tmp_path, [_rec("x-1", "nothing about anyone")])
    created = filed(
        api, db_path, type="access", email="ida@unknown.example", full_name=NAMESAKE
    )
    decide_ok(api, staff, created, "approve")
    html, text = _letters(api, created)
    assert "and found none" in text and 'data-row="W01"' not in html


@pytest.mark.parametrize("lang", LANGS)
def test_objection_with_every_mention_left_out_does_not_claim_to_cover_mentions(
    api, staff, db_path, run, tmp_path, lang
):
    name = "Zoë Müller-Łukasik"
    _world(
        run,
        tmp_path,
        [
            _rec("o-1", "my holiday", author_id="acc-1", kind="post"),
            _rec("o-2", f"Met {name} today", author_id="acc-2"),
            _rec("o-3", f"{name} spoke well", author_id="acc-3"),
        ],
    )
    created = filed(api, db_path, type="objection", language=lang)
    decide_ok(api, staff, created, "approve")
    html, text = _letters(api, created)
    covers = {
        "en": [
            "1 item that you posted yourself and no item in which other people",
            "2 items that mention a person named",
        ],
        "de": [
            "1 Eintrag, den Sie selbst veröffentlicht haben, und keinen Eintrag",
            "2 Einträge gefunden, die eine Person namens",
        ],
        "fr": [
            "1 contenu publié par vous et aucun contenu où",
            "2 contenus qui mentionnent une personne nommée",
        ],
    }[lang]
    for needle in covers:
        assert needle in text, needle
    claim = {
        "en": "your own content and mentions of you",
        "de": "Ihre eigenen Inhalte und Erwähnungen von Ihnen",
        "fr": "vos propres contenus et les mentions de vous",
    }[lang]
    assert claim not in text
    assert re.findall(r'data-item="([^"]+)"', html) == ["o-1"]


@pytest.mark.parametrize("lang", LANGS)
def test_extension_letter_states_its_date_the_new_due_date_and_the_reason(
    api, staff, db_path, run, tmp_path, clock, lang
):
    _world(run, tmp_path, ITEMS)
    created = filed(api, db_path, type="access", language=lang)
    clock.move(days=9)  # Wed 11 Mar 2026
    decide_ok(api, staff, created, "extend", "Ihre Daten liegen in 40 Beständen.")
    html, text = _letters(api, created)
    for day in (date(2026, 3, 11), date(2026, 4, 2), date(2026, 6, 2)):
        assert long_date(day, lang) in text, day
        assert long_date(day, lang) in html, day
    assert "Ihre Daten liegen in 40 Beständen." in text
    assert 'data-row="P01"' not in html  # no pause was applied


@pytest.mark.parametrize("lang", LANGS)
def test_letter_after_a_reply_states_the_pause_and_one_without_none(
    api, staff, db_path, run, tmp_path, clock, lang
):
    """Received Mon 2 Mar 2026, asked Tue 3 Mar, answered Tue 10 Mar: seven days
    paused, due Thu 9 Apr 2026 (docs/legal.md, Deadlines)."""
    _world(run, tmp_path, ITEMS)
    paused = filed(api, db_path, type="access", language=lang)
    plain = filed(api, db_path, type="access", language=lang, email="z@example.eu")
    clock.move(days=1)
    decide_ok(api, staff, paused, "request_info", "Which account is yours?")
    clock.move(days=7)
    replied = api.post(
        f"/api/v1/requests/{paused['id']}/reply",
        json={"details": "acc-1"},
        headers=bearer(paused),
    )
    assert replied.status_code == 200, replied.get_json()
    clock.move(days=1)
    decide_ok(api, staff, paused, "approve")
    decide_ok(api, staff, plain, "approve")
    html, text = _letters(api, paused)
    days = {"en": "(7 days)", "de": "(7 Tage)", "fr": "(7 jours)"}[lang]
    span = {
        "en": "from {} to {} " + days,
        "de": "vom {} bis zum {} " + days,
        "fr": "du {} au {} " + days,
    }[lang].format(
        long_date(date(2026, 3, 3), lang), long_date(date(2026, 3, 10), lang)
    )
    assert span in text and span in " ".join(html.split())
    assert long_date(date(2026, 4, 9), lang) in text.split(days)[1]
    html, text = _letters(api, plain)
    assert 'data-row="P01"' not in html
    assert days not in text and long_date(date(2026, 3, 3), lang) not in text


def test_a_left_out_candidate_the_person_points_out_can_be_included_later(
    api, staff, db_path, run, tmp_path
):
    """W01 invites the person to point out an unattributed item; staff can then
    include it with a follow-up decision, which lists it for removal; the letter
    already issued stays as it was, and the candidates not named stay left out."""
    name = "Zoë Müller-Łukasik"
    _world(
        run,
        tmp_path,
        [
            _rec("o-1", "my holiday", author_id="acc-1", kind="post"),
            _rec("o-2", f"Met {name} today", author_id="acc-2"),
            _rec("o-3", f"{name} spoke well", author_id="acc-3"),
        ],
    )
    created = filed(api, db_path, type="objection")
    decide_ok(api, staff, created, "approve")
    issued_before = _letters(api, created)
    url = f"/api/v1/staff/requests/{created['id']}"
    matches = api.get(url, headers=staff["legal"]).get_json()["matches"]
    pointed = next(m["match_id"] for m in matches if m["record_id"] == "o-2")
    resp = api.post(
        f"{url}/decision",
        json={"decision": "approve", "include": [pointed]},
        headers=staff["legal"],
    )
    assert resp.status_code == 200, resp.get_json()
    db = open_db(db_path)
    decided = dict(
        db.execute(
            "SELECT record_id, coalesce(decided_by, '') || ':' || decision"
            " FROM matches WHERE request_id = ?",
            [created["id"]],
        ).fetchall()
    )
    assert decided["o-2"].endswith(":include")
    assert decided["o-3"] == "weak_left_out:exclude"  # not named: as it was
    lists = api.get("/api/v1/removal-lists", headers=staff["admin"]).get_json()
    mine = [item for item in lists["items"] if item["request_id"] == created["id"]]
    assert len(mine) == 2  # the first list and the follow-up with o-2
    entries = sorted(
        [
            e["record_id"]
            for e in api.get(
                f"/api/v1/removal-lists/{item['id']}", headers=staff["admin"]
            ).get_json()["entries"]
        ]
        for item in mine
    )
    assert entries == [["o-1"], ["o-2"]]
    assert _letters(api, created) == issued_before
    again = api.post(
        f"{url}/decision", json={"decision": "approve"}, headers=staff["legal"]
    )
    assert again.status_code == 409  # nothing left to decide: no second approval
