"""Removal lists: issued signed on approval, without clear identifiers; follow-ups
for new dataset versions; the suppression list (removal/lists.py)."""

from __future__ import annotations

import json
import os

from dsr_app.db import open_db
from tests.conftest import RECORDS_JSONL, assert_api_error
from tests.review.test_letters import decided


def test_approval_issues_a_signed_list_without_clear_identifiers(
    objection, run, db_path
):
    created, document = objection
    assert document["format"] == "dsr-removal-list/1"
    assert document["request_id"] == created["id"]
    assert document["legal_basis"] == "GDPR Art. 21(1)"
    assert {
        (e["dataset"], e["record_id"], e["reason"]) for e in document["entries"]
    } >= {
        ("tiny", "t-1", "own_content"),
        ("tiny", "t-5", "own_content"),
        ("tiny", "t-2", "mention"),
    }
    assert {s["type"] for s in document["suppression"]} == {
        "account_id",
        "email",
        "handle",
    }
    # Contract section 6, v2 (issue 16): an entry names its record's author_id,
    # without which a content hash would remove everyone's identical posts; the
    # account id is in clear there only, never in the suppression hashes.
    assert {e["author_id"] for e in document["entries"]} == {"acc-1", "acc-2"}
    assert "acc-1" not in json.dumps(document["suppression"])
    text = json.dumps(document, ensure_ascii=False).lower()
    for clear in (
        "zoe@example.eu",
        "müller",
        "mueller",
        "hallo",
        "+49",
        "zoe.mueller",
    ):
        assert clear not in text, clear
    from dsr_app.signing import load_public_key, verify

    public = run("keys", "public").output.strip()
    assert verify(document, load_public_key(public))
    edited = json.loads(json.dumps(document))
    edited["entries"] = edited["entries"][1:]
    assert not verify(edited, load_public_key(public))
    key_file = db_path.parent / "removal_signing_key.pem"
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_suppression_list_serves_hashes_only(api, staff, objection):
    body = api.get("/api/v1/suppression-list", headers=staff["training"]).get_json()
    assert len(body["items"]) == 3
    for item in body["items"]:
        assert set(item) == {"type", "hmac_sha256"} and len(item["hmac_sha256"]) == 64


def test_erasure_purges_the_text_from_our_index(api, staff, db_path, run):
    from dsr_app.matching.search import identity_for, search

    created = decided(api, staff, db_path, run, "erasure", "en")
    db = open_db(db_path)
    row = db.execute(
        "SELECT text, content_sha256 FROM records WHERE record_id = 't-1'"
    ).fetchone()
    assert row[0] is None and len(row[1]) == 64  # hash kept for verification
    fts = db.execute(
        "SELECT count(*) FROM records_fts WHERE records_fts MATCH 'lukasik'"
    ).fetchone()[0]
    assert fts == 0
    keys = db.execute(
        "SELECT count(*) FROM text_identifiers WHERE value = 'e:zoe@example.eu'"
    ).fetchone()[0]
    assert keys == 0
    again = search(db, identity_for(db, created["id"]))
    assert not any(m.record_id == "t-1" and m.matched_on != "account" for m in again)
    assert "Hallo" not in json.dumps(
        [dict(r) for r in db.query("SELECT snippet FROM matches")]
    )


def test_approved_objection_with_nothing_to_remove_still_suppresses(
    api, staff, db_path, run
):
    from tests.conftest import REGISTRY, new_request, verify

    run("accounts", "import", REGISTRY)
    created = new_request(
        api, email="jeanne@example.net", full_name="Jeanne Dupré", country="FR"
    )
    verify(api, db_path, created, "email", "jeanne@example.net")
    from dsr_app.cases.jobs import run_pending

    run_pending(open_db(db_path))
    api.post(
        f"/api/v1/staff/requests/{created['id']}/decision",
        json={"decision": "approve"},
        headers=staff["legal"],
    )
    (item,) = api.get("/api/v1/removal-lists", headers=staff["training"]).get_json()[
        "items"
    ]
    assert item["entries"] == 0
    document = api.get(
        f"/api/v1/removal-lists/{item['id']}", headers=staff["training"]
    ).get_json()
    assert {s["type"] for s in document["suppression"]} >= {"email", "account_id"}
    assert os.environ.get("DSR_DB")  # the autouse fixture kept us isolated


def test_new_dataset_version_yields_a_follow_up_list_without_staff(
    api, staff, objection, run, tmp_path
):
    created, first = objection
    original = json.loads(RECORDS_JSONL.read_text().splitlines()[0])
    new = tmp_path / "tiny-v2.jsonl"
    new.write_text(
        "\n".join(
            json.dumps(r, ensure_ascii=False)
            for r in [
                {**original, "record_id": "v2-copy", "author_id": "acc-9"},  # same text
                {
                    "record_id": "v2-mail",
                    "dataset": "tiny",
                    "text": "write to zoe@example.eu",
                },
                {
                    "record_id": "v2-name",
                    "dataset": "tiny",
                    "text": "met Zoe Mueller-Lukasik",
                },
            ]
        )
        + "\n"
    )
    result = run("ingest", new, "--version", "2")
    assert result.exit_code == 0, result.output
    lists = api.get("/api/v1/removal-lists", headers=staff["training"]).get_json()
    follow = [i for i in lists["items"] if i["id"] != first["id"]]
    assert len(follow) == 1
    document = api.get(
        f"/api/v1/removal-lists/{follow[0]['id']}", headers=staff["training"]
    ).get_json()
    assert document["follow_up_of"] == first["id"]
    assert document["approved_by"] == "system"
    listed = {e["record_id"] for e in document["entries"]}
    assert listed == {"v2-copy", "v2-mail"}  # the weak name match waits for staff
    queue = api.get("/api/v1/staff/requests", headers=staff["legal"]).get_json()
    item = next(i for i in queue["items"] if i["id"] == created["id"])
    assert item["follow_up_weak"] == 1 and queue["counts"]["follow_up"] == 1
    from dsr_app.signing import load_public_key, verify

    assert verify(document, load_public_key(run("keys", "public").output.strip()))
    assert run("audit", "verify").exit_code == 0


def test_staff_decide_the_weak_matches_of_a_follow_up(
    api, staff, objection, run, tmp_path
):
    created, first = objection
    new = tmp_path / "tiny-v3.jsonl"
    new.write_text(
        json.dumps(
            {
                "record_id": "v3-name",
                "dataset": "tiny",
                "text": "met Zoe Mueller-Lukasik",
            }
        )
        + "\n"
    )
    run("ingest", new, "--version", "3")
    case = api.get(
        f"/api/v1/staff/requests/{created['id']}", headers=staff["legal"]
    ).get_json()
    assert case["follow_up_weak"] == 1
    (pending,) = [m for m in case["matches"] if m["decision"] is None]
    resp = api.post(
        f"/api/v1/staff/requests/{created['id']}/decision",
        json={"decision": "approve", "include": [pending["match_id"]]},
        headers=staff["legal"],
    )
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["follow_up_weak"] == 0
    lists = api.get("/api/v1/removal-lists", headers=staff["training"]).get_json()
    newest = [i for i in lists["items"] if i["id"] != first["id"]]
    document = api.get(
        f"/api/v1/removal-lists/{newest[0]['id']}", headers=staff["training"]
    ).get_json()
    assert [e["record_id"] for e in document["entries"]] == ["v3-name"]
    again = api.post(
        f"/api/v1/staff/requests/{created['id']}/decision",
        json={"decision": "approve"},
        headers=staff["legal"],
    )
    assert_api_error(again, 409)  # nothing left to decide


def test_malformed_signature_value_is_a_refusal_not_a_crash(tmp_path):
    from dsr_app.signing import load_public_key, public_key_b64, sign, verify

    document = sign({"format": "dsr-removal-list/1", "entries": []}, tmp_path)
    key = load_public_key(public_key_b64(tmp_path))
    for value in (123, None, ["x"], "not base64 !"):
        broken = {**document, "signature": {**document["signature"], "value": value}}
        assert verify(broken, key) is False


def test_fingerprint_is_the_keys_sha256_in_groups_led_by_its_key_id(tmp_path):
    import base64
    import hashlib

    from dsr_app.signing import fingerprint, key_id, public_key_b64

    public = public_key_b64(tmp_path)
    shown = fingerprint(public)
    groups = shown.split(" ")
    assert len(groups) == 16 and {len(g) for g in groups} == {4}
    raw = base64.b64decode(public)
    assert len(raw) == 32  # the raw Ed25519 key, not its PEM or DER wrapping
    assert "".join(groups) == hashlib.sha256(raw).hexdigest()
    assert "".join(groups[:4]) == key_id(public)  # what each signature names
