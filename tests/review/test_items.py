"""One row per item (issue 20, item 4): the case lists each record once with every
rule that matched it and the words to mark, and a decision on an item decides all
its matches, so a record is never both included and excluded."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import sqlite_utils

from dsr_app.db import open_db
from dsr_app.matching.identity import Match
from dsr_app.matching.search import store_matches
from dsr_app.migrations import migrations
from tests.conftest import bearer
from tests.review.helpers import filed
from tests.review.test_letter_record import _rec, _world

NAME = "Zoë Müller-Łukasik"  # new_request's full name
RECORDS = [
    # The name and the verified e-mail in one record: two rules, one item.
    _rec("both", f"{NAME} schreibt: zoe@example.eu", author_id="acc-2"),
    _rec("weak", f"Met {NAME} today", author_id="acc-3"),
]


@pytest.fixture
def case(api, staff, db_path, run, tmp_path):
    """A verified objection over RECORDS; returns (created, the staff case)."""
    _world(run, tmp_path, RECORDS)
    created = filed(api, db_path)
    got = api.get(f"/api/v1/staff/requests/{created['id']}", headers=staff["legal"])
    assert got.status_code == 200
    return created, got.get_json()


def _decide(api, staff, created, **choices) -> dict:
    resp = api.post(
        f"/api/v1/staff/requests/{created['id']}/decision",
        json={"decision": "approve", **choices},
        headers=staff["legal"],
    )
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def _rows(db_path, created) -> dict[str, set[tuple]]:
    """record_id -> {(matched_on, decision, decided_by)} as stored."""
    db = open_db(db_path)
    rows = db.execute(
        "SELECT record_id, matched_on, decision, decided_by FROM matches"
        " WHERE request_id = ?",
        [created["id"]],
    ).fetchall()
    db.close()
    found: dict[str, set[tuple]] = {}
    for record_id, *rest in rows:
        found.setdefault(record_id, set()).add(tuple(rest))
    return found


def _listed(db_path, created) -> set[str]:
    db = open_db(db_path)
    (document,) = db.execute(
        "SELECT document FROM removal_lists WHERE request_id = ?", [created["id"]]
    ).fetchone()
    db.close()
    return {e["record_id"] for e in json.loads(document)["entries"]}


def _rule_ids(item: dict) -> dict[str, str]:
    return {r["matched_on"]: r["match_id"] for r in item["rules"]}


def test_each_record_is_one_item_with_its_rules_words_and_marks(case):
    _, view = case
    assert len(view["matches"]) == 3  # the rows stay, as the contract lists them
    items = {i["record_id"]: i for i in view["items"]}
    assert set(items) == {"both", "weak"}
    both = items["both"]
    assert both["confidence"] == "verified" and both["match_kind"] == "mention"
    assert sorted(both["match_ids"]) == sorted(_rule_ids(both).values())
    rules = {r["rule"]: r for r in both["rules"]}
    assert set(rules) == {"email", "name"}
    assert rules["name"]["rule_text"].startswith("name only: the words of")
    assert rules["name"]["matched_words"] == NAME
    assert rules["email"]["matched_words"] == "zoe@example.eu"
    marked = [both["snippet"][s:e] for s, e in both["highlights"]]
    assert marked == [NAME, "zoe@example.eu"]
    assert items["weak"]["confidence"] == "weak"
    for match in view["matches"]:
        assert {"rule", "rule_text", "matched_words"} <= set(match)
        assert match["matched_words"] in match["snippet"]


def test_excluding_the_weak_name_match_excludes_the_whole_record(
    api, staff, db_path, case
):
    """It once left the record excluded by its name and included by its e-mail:
    listed for removal, and shown both ways on the case."""
    created, view = case
    both = next(i for i in view["items"] if i["record_id"] == "both")
    body = _decide(api, staff, created, exclude=[_rule_ids(both)["name"]])
    rows = _rows(db_path, created)
    assert {d for _, d, _ in rows["both"]} == {"exclude"}
    assert "both" not in _listed(db_path, created)
    decided = {i["record_id"]: i for i in body["items"]}
    assert decided["both"]["decision"] == "exclude"


def test_a_record_named_both_ways_is_included_whole(api, staff, db_path, case):
    created, view = case
    ids = _rule_ids(next(i for i in view["items"] if i["record_id"] == "both"))
    _decide(api, staff, created, include=[ids["name"]], exclude=[ids["email"]])
    assert {d for _, d, _ in _rows(db_path, created)["both"]} == {"include"}
    assert "both" in _listed(db_path, created)


def test_unnamed_items_follow_their_strongest_match(api, staff, db_path, case):
    """A verified match includes its record's weak ones; an all-weak record is
    left out unattributed unless included."""
    created, _ = case
    _decide(api, staff, created)
    rows = _rows(db_path, created)
    assert {(on, d) for on, d, _ in rows["both"]} == {
        ("email", "include"),
        ("name", "include"),
    }
    assert rows["weak"] == {("name", "exclude", "weak_left_out")}
    assert _listed(db_path, created) == {"both"}


def test_naming_any_match_of_an_all_weak_record_includes_it(api, staff, db_path, case):
    created, view = case
    weak = next(i for i in view["items"] if i["record_id"] == "weak")
    _decide(api, staff, created, include=[weak["item_id"]])
    assert _listed(db_path, created) == {"both", "weak"}


def test_a_match_found_later_on_a_decided_record_takes_its_decision(
    api, staff, db_path, case
):
    """A new rule (a new name spelling, a pointer) matching a record staff
    judged must neither split it nor ask staff again."""
    created, view = case
    both = next(i for i in view["items"] if i["record_id"] == "both")
    _decide(api, staff, created, exclude=[both["item_id"]])
    later = Match(
        created["id"], "posts", "1", "both", "mention", "handle", "weak", "…", ()
    )
    db = open_db(db_path)
    store_matches(db, created["id"], [later], datetime.now(UTC), "index", scope=[])
    (decision, by, rule) = db.execute(
        "SELECT decision, decided_by, rule FROM matches WHERE match_id = ?",
        [later.match_id],
    ).fetchone()
    staff_id = db.execute(
        "SELECT decided_by FROM matches WHERE request_id = ? AND record_id = 'both'"
        " AND matched_on = 'email'",
        [created["id"]],
    ).fetchone()[0]
    db.close()
    assert (decision, by, rule) == ("exclude", staff_id, "handle_named")


def test_migration_gives_stored_matches_the_rule_their_basis_implies(tmp_path):
    db = sqlite_utils.Database(tmp_path / "old.sqlite3")
    migrations.apply(db, stop_before="m027_match_rules")
    db.execute("PRAGMA foreign_keys = OFF")
    for n, (on, confidence) in enumerate(
        [("account", "verified"), ("handle", "weak"), ("handle", "verified")]
    ):
        db.execute(
            "INSERT INTO matches (match_id, request_id, dataset, dataset_version,"
            " record_id, match_kind, matched_on, confidence, snippet, policy_flags,"
            " found_at, seen_at) VALUES (?, 'r', 'd', '1', 'x', 'mention', ?, ?,"
            " 's', '[]', 't', 't')",
            [f"m{n}", on, confidence],
        )
    db.conn.commit()
    migrations.apply(db)
    rows = db.execute(
        "SELECT match_id, rule, matched_words FROM matches ORDER BY 1"
    ).fetchall()
    assert rows == [
        ("m0", "account", ""),
        ("m1", "handle_named", ""),
        ("m2", "handle", ""),
    ]


def test_the_draft_letter_names_what_the_approval_will_issue(api, staff, db_path, case):
    """The draft said the record was found by the e-mail address alone; the
    approval, deciding the record whole, issues it found by the name too."""
    created, _ = case
    draft = api.get(
        f"/api/v1/staff/requests/{created['id']}/letter?format=txt",
        headers=staff["legal"],
    ).get_data(as_text=True)
    _decide(api, staff, created)
    issued = api.get(
        f"/api/v1/requests/{created['id']}/letter?format=txt",
        headers=bearer(created),
    ).get_data(as_text=True)
    found = "mention of you (e-mail address, name)"
    assert found in " ".join(draft.split()) and found in " ".join(issued.split())
