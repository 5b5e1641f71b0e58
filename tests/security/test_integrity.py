"""Integrity (issue 16): one person's erasure never touches another's data, and an
answered case stays as it was answered.

A text is not a person: five authors post "Happy birthday!!", many records are
empty. A removal list names the requester's items by dataset and record id, and by
content hash only together with the item's author (contract section 6, v2), so
the other authors' copies stay in the manifests and in our index, where their own
requests still find them; the follow-up shows them to staff, never removes them.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dsr_app import deadlines
from dsr_app.db import open_db
from dsr_app.review.letters import data_copy
from tests.security.helpers import (
    case,
    decide_ok,
    https_client,
    letter,
    staff_login,
    stored,
    verified,
    world,
    write_jsonl,
)

EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
GREETING = "Happy birthday!!"
# Max's post naming Zoë: a weak name match that staff include in her erasure.
NAMING = "Happy birthday Zoë Müller-Łukasik!"

# acc-1 is Zoë, acc-2 Max and acc-3 Jeanne (tests/data/registry.jsonl); acc-7 and
# acc-8 are in no registry.
FIRST = [
    {"record_id": "z-1", "text": GREETING, "author_id": "acc-1"},
    {"record_id": "o-2", "text": GREETING, "author_id": "acc-2"},
    {"record_id": "o-3", "text": GREETING, "author_id": "acc-3"},
    {"record_id": "o-4", "text": GREETING, "author_id": "acc-7"},
    {"record_id": "o-5", "text": GREETING, "author_id": "acc-8"},
    {"record_id": "o-n", "text": GREETING},  # no author at all
    {"record_id": "z-e", "text": "", "author_id": "acc-1"},
    {"record_id": "o-e2", "text": "", "author_id": "acc-2"},
    {"record_id": "o-e7", "text": "", "author_id": "acc-7"},
    {"record_id": "o-en", "text": ""},
    {"record_id": "m-1", "text": NAMING, "author_id": "acc-2"},
]
# The next version: one more copy by Zoë and one by Max of his listed post (the
# same items again), and copies by others.
SECOND = [
    {"record_id": "z-3", "text": GREETING, "author_id": "acc-1"},
    {"record_id": "o-6", "text": GREETING, "author_id": "acc-9"},
    {"record_id": "o-e9", "text": "", "author_id": "acc-9"},
    {"record_id": "m-2", "text": NAMING, "author_id": "acc-2"},
    {"record_id": "m-3", "text": NAMING, "author_id": "acc-3"},
]
LISTED = {"z-1", "z-e", "m-1"}  # Zoë's own two records and the mention staff chose


def _records(rows: list[dict]) -> list[dict]:
    return [{"dataset": "social", "lang": "en", **r} for r in rows]


@pytest.fixture
def erased(api, staff, db_path, run, tmp_path):
    """Zoë's approved erasure over FIRST (Max's naming post included by staff);
    returns (request, its removal list, the manifest file)."""
    manifest = write_jsonl(tmp_path / "social.jsonl", _records(FIRST))
    world(run, manifest)
    created = verified(api, db_path, type="erasure")
    (naming,) = [
        m for m in case(api, staff, created["id"])["matches"] if m["record_id"] == "m-1"
    ]
    assert naming["confidence"] == "weak"
    decide_ok(
        api, staff, created["id"], decision="approve", include=[naming["match_id"]]
    )
    (item,) = api.get("/api/v1/removal-lists", headers=staff["training"]).get_json()[
        "items"
    ]
    document = api.get(
        f"/api/v1/removal-lists/{item['id']}", headers=staff["training"]
    ).get_json()
    return created, document, manifest


def _save(tmp_path: Path, document: dict, name: str = "rl.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document, ensure_ascii=False))
    return path


def _ids(path: Path) -> list[str]:
    return [json.loads(line)["record_id"] for line in path.read_text().splitlines()]


def _index(db_path: Path) -> dict[str, tuple]:
    """record id -> (text, author_id) in our index."""
    db = open_db(db_path)
    try:
        return {
            r[0]: (r[1], r[2])
            for r in db.execute("SELECT record_id, text, author_id FROM records")
        }
    finally:
        db.close()


def test_an_erasure_lists_its_items_with_their_authors(erased):
    """Attack: a list of bare content hashes names everyone's identical posts."""
    _, document, _ = erased
    assert {
        (e["record_id"], e["author_id"], e["reason"]) for e in document["entries"]
    } == {
        ("z-1", "acc-1", "own_content"),
        ("z-e", "acc-1", "own_content"),
        ("m-1", "acc-2", "mention"),
    }
    hashes = {e["record_id"]: e["content_sha256"] for e in document["entries"]}
    assert hashes["z-e"] == EMPTY_SHA256  # the hash still there, but not alone


def test_apply_and_verify_keep_other_authors_copies_of_common_and_empty_texts(
    erased, run, tmp_path, monkeypatch
):
    """Attack: approve one erasure of "Happy birthday!!" (or of an empty post) and
    watch ``dsr removals apply`` remove everyone's."""
    from dsr_app.removal import apply as removal_apply

    _, document, manifest = erased
    rl = _save(tmp_path, document)
    kept = [r["record_id"] for r in FIRST if r["record_id"] not in LISTED]
    out = tmp_path / "out.jsonl"
    result = run(
        "removals", "apply", "--list", rl, "--manifest", manifest, "--out", out
    )
    assert result.exit_code == 0, result.output
    assert "11 records read, 3 removed, 0 list entries not found" in result.output
    assert _ids(out) == kept
    assert run("removals", "verify", "--list", rl, "--manifest", out).exit_code == 0
    present = run("removals", "verify", "--list", rl, "--manifest", manifest)
    assert present.exit_code == 1
    assert sorted(present.output.splitlines()) == [
        f"still present: social {r}" for r in sorted(LISTED)
    ]
    # The parallel reader of big files applies the same rule.
    big = tmp_path / "big.jsonl"
    big.write_bytes(manifest.read_bytes() * 40)
    monkeypatch.setattr(removal_apply, "_PARALLEL_MIN_BYTES", 1024)
    result = run("removals", "apply", "--list", rl, "--manifest", big, "--out", out)
    assert "440 records read, 120 removed" in result.output, result.output
    assert _ids(out) == kept * 40
    # Parquet, with an author column (and a null author).
    parquet = tmp_path / "social.parquet"
    pq.write_table(pa.Table.from_pylist(_records(FIRST)), parquet)
    pq_out = tmp_path / "out.parquet"
    result = run(
        "removals", "apply", "--list", rl, "--manifest", parquet, "--out", pq_out
    )
    assert "11 records read, 3 removed" in result.output, result.output
    assert pq.read_table(pq_out).column("record_id").to_pylist() == kept
    assert run("removals", "verify", "--list", rl, "--manifest", pq_out).exit_code == 0
    present = run("removals", "verify", "--list", rl, "--manifest", parquet)
    assert present.exit_code == 1 and present.output.count("still present") == 3


def test_a_copy_by_the_same_author_still_leaves_the_manifest(erased, run, tmp_path):
    """The rule still removes the requester's item wherever it is copied: same
    hash and same author, under another id or in another dataset."""
    _, document, _ = erased
    rl = _save(tmp_path, document)
    copies = write_jsonl(
        tmp_path / "copies.jsonl",
        [
            {
                "record_id": "x-1",
                "dataset": "other",
                "text": GREETING,
                "author_id": "acc-1",
            },
            {"record_id": "x-2", "dataset": "other", "text": "", "author_id": "acc-1"},
            {
                "record_id": "x-3",
                "dataset": "other",
                "text": NAMING,
                "author_id": "acc-2",
            },
            {
                "record_id": "x-4",
                "dataset": "other",
                "text": NAMING,
                "author_id": "acc-3",
            },
            {
                "record_id": "x-5",
                "dataset": "other",
                "text": GREETING,
                "author_id": "acc-2",
            },
        ],
    )
    out = tmp_path / "out.jsonl"
    result = run("removals", "apply", "--list", rl, "--manifest", copies, "--out", out)
    # Found by their copies: no entry is left unmatched (issue 21, item 5).
    assert result.stdout.splitlines() == [
        "  other: 0 removed by id, 3 removed by content hash, 0 list entries not found",
        "5 records read, 3 removed, 0 list entries not found,"
        " 0 list entries for other datasets",
    ]
    assert _ids(out) == ["x-4", "x-5"]
    present = run("removals", "verify", "--list", rl, "--manifest", copies)
    assert present.exit_code == 1 and present.output.count("still present") == 3


@pytest.mark.spark
def test_spark_apply_keeps_other_authors_copies(erased, run, tmp_path):
    """The Spark engine ships the same test to its executors."""
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("Spark needs Java")
    from dsr_app.spark import session

    _, document, manifest = erased
    rl = _save(tmp_path, document)
    out = tmp_path / "out.jsonl"
    spark = session("local[1]")
    try:
        result = run(
            "removals", "apply", "--list", rl, "--manifest", manifest, "--out", out,
            "--engine", "spark", "--master", "local[1]",
        )  # fmt: skip
    finally:
        spark.stop()
    assert result.exit_code == 0, result.output
    assert "11 records read, 3 removed" in result.output
    assert _ids(out) == [r["record_id"] for r in FIRST if r["record_id"] not in LISTED]


def test_follow_up_lists_the_same_authors_copies_only_and_shows_others_to_staff(
    erased, api, api_app, staff, run, tmp_path
):
    """Attack: after the next ingest, the automatic follow-up (no review) listed
    the other authors' copies as the requester's own content."""
    created, first, _ = erased
    second = write_jsonl(tmp_path / "social-2.jsonl", _records(SECOND))
    result = run("ingest", second, "--version", "2")
    assert result.exit_code == 0, result.output
    lists = api.get("/api/v1/removal-lists", headers=staff["training"]).get_json()
    (follow,) = [i for i in lists["items"] if i["id"] != first["id"]]
    document = api.get(
        f"/api/v1/removal-lists/{follow['id']}", headers=staff["training"]
    ).get_json()
    assert document["approved_by"] == "system"
    assert {
        (e["record_id"], e["author_id"], e["reason"]) for e in document["entries"]
    } == {("z-3", "acc-1", "own_content"), ("m-2", "acc-2", "mention")}
    # The other authors' non-empty copies wait for staff as weak candidates;
    # empty records are nobody's copy of anything.
    view = case(api, staff, created["id"])
    pending = {
        (m["record_id"], m["matched_on"], m["confidence"])
        for m in view["matches"]
        if m["decision"] is None
    }
    assert pending == {
        ("o-2", "content", "weak"),
        ("o-3", "content", "weak"),
        ("o-4", "content", "weak"),
        ("o-5", "content", "weak"),
        ("o-n", "content", "weak"),
        ("o-6", "content", "weak"),
        ("m-3", "name", "weak"),
    }
    assert view["follow_up_weak"] == len(pending)
    browser = https_client(api_app)
    assert staff_login(browser).status_code == 303
    page = browser.get(f"/staff/requests/{created['id']}").get_data(as_text=True)
    assert page.count("by another author") == 6
    # A second ingest changes nothing of that: no duplicates, nothing included.
    other = write_jsonl(
        tmp_path / "other.jsonl", [{"record_id": "u", "dataset": "u", "text": "x"}]
    )
    assert run("ingest", other).exit_code == 0
    again = case(api, staff, created["id"])
    assert sorted(m["match_id"] for m in again["matches"]) == sorted(
        m["match_id"] for m in view["matches"]
    )
    assert again["follow_up_weak"] == len(pending)
    # Staff exclude them all: no list names them, ever.
    decide_ok(api, staff, created["id"], decision="approve")
    lists = api.get("/api/v1/removal-lists", headers=staff["training"]).get_json()
    named = set()
    for item in lists["items"]:
        doc = api.get(
            f"/api/v1/removal-lists/{item['id']}", headers=staff["training"]
        ).get_json()
        named |= {e["record_id"] for e in doc["entries"]}
    assert named == LISTED | {"z-3", "m-2"}
    # And the lists remove exactly those from the second version.
    paths = [_save(tmp_path, first, "a.json"), _save(tmp_path, document, "b.json")]
    out = tmp_path / "out-2.jsonl"
    args = [a for p in paths for a in ("--list", p)]
    result = run("removals", "apply", *args, "--manifest", second, "--out", out)
    assert result.exit_code == 0, result.output
    assert _ids(out) == ["o-6", "o-e9", "m-3"]


def test_erasure_never_purges_other_authors_records_from_our_index(
    erased, api, staff, run, tmp_path, db_path
):
    """Attack: the purge of the erased texts NULLed the text and author of every
    copy, so that their authors' own access requests no longer found them."""
    second = write_jsonl(tmp_path / "social-2.jsonl", _records(SECOND))
    assert run("ingest", second, "--version", "2").exit_code == 0
    index = _index(db_path)
    # Purged: what the lists name (Zoë's own and the mention staff approved).
    for record_id in LISTED | {"z-3", "m-2"}:
        assert index[record_id] == (None, None), record_id
    # Kept: every other author's copy and every other empty record.
    expected = {
        r["record_id"]: (r["text"], r.get("author_id"))
        for r in FIRST + SECOND
        if r["record_id"] not in LISTED | {"z-3", "m-2"}
    }
    assert {k: index[k] for k in expected} == expected
    # A later version that gives a listed id to another author's post: that post
    # is not the requester's and keeps its text in our index.
    reused = write_jsonl(
        tmp_path / "social-3.jsonl",
        _records([{"record_id": "z-1", "text": "my own news", "author_id": "acc-7"}]),
    )
    assert run("ingest", reused, "--version", "3").exit_code == 0
    db = open_db(db_path)
    try:
        kept = db.execute(
            "SELECT text, author_id FROM records WHERE record_id = 'z-1'"
            " AND dataset_version = '3'"
        ).fetchone()
    finally:
        db.close()
    assert kept == ("my own news", "acc-7")
    # Max's own access request still finds his copy and his empty post.
    created = verified(
        api, db_path, type="access", email="max@example.org", full_name="Max Mustermann"
    )
    found = {
        (m["record_id"], m["match_kind"])
        for m in case(api, staff, created["id"])["matches"]
    }
    assert {("o-2", "own"), ("o-e2", "own")} <= found


def test_answered_erasure_keeps_matches_decisions_and_letter_after_a_later_search(
    api, staff, run, db_path, tmp_path
):
    """Attack (finding 4): an unrelated ingest re-searched an answered erasure,
    found nothing in the purged texts, deleted its included matches, and the
    issued letter then listed nothing."""
    world(run)  # tests/data/records.jsonl: Zoë's t-1 and t-5, Max's t-2 naming her
    created = verified(api, db_path, type="erasure")
    decide_ok(api, staff, created["id"], decision="approve")

    def state():
        db = open_db(db_path)
        try:
            matches = [
                dict(r)
                for r in db.query(
                    "SELECT * FROM matches WHERE request_id = ? ORDER BY match_id",
                    [created["id"]],
                )
            ]
        finally:
            db.close()
        row = stored(db_path, created)
        decision = {
            k: row[k] for k in ("status", "decision", "decided_by", "decided_at")
        }
        return matches, decision, letter(api, created, "txt").get_data(as_text=True)

    before = state()
    assert {m["record_id"] for m in before[0] if m["decision"] == "include"} == {
        "t-1",
        "t-2",
        "t-5",
    }
    assert "t-1" in before[2] and "t-2" in before[2]
    unrelated = write_jsonl(
        tmp_path / "unrelated.jsonl",
        [{"record_id": "u-1", "dataset": "weather", "text": "rain tomorrow"}],
    )
    result = run("ingest", unrelated)
    assert result.exit_code == 0 and "searched again" in result.output
    assert state() == before
    # The batch sweep stores through the same path.
    assert run("sweep", "--workers", "1").exit_code == 0
    assert state() == before
    # A new post by Zoë: the follow-up includes it (decided_by 'system') and lists
    # it for removal, but the issued letter and the copy of the data still state
    # what was decided at the decision, and nothing of the follow-up.
    later = write_jsonl(
        tmp_path / "later.jsonl",
        [{"record_id": "t-9", "dataset": "tiny", "text": "", "author_id": "acc-1"}],
    )
    assert run("ingest", later, "--version", "2").exit_code == 0
    matches, decision, text = state()
    (new,) = [m for m in matches if m["record_id"] == "t-9"]
    assert (new["decision"], new["decided_by"]) == ("include", "system")
    assert decision == before[1] and text == before[2] and "t-9" not in text
    db = open_db(db_path)
    try:
        copy = data_copy(db, created["id"], api.application.config, deadlines.now())
    finally:
        db.close()
    assert {i["record_id"] for i in copy["items"]} == {"t-1", "t-2", "t-5"}
