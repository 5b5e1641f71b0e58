"""Removal lists: issued on approval, signed, applied and verified by the CLI,
acknowledged by training teams; erasure purges our own index."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from dsr_app.db import open_db
from tests.conftest import RECORDS_JSONL, RECORDS_PARQUET, assert_api_error, bearer
from tests.review.test_letters import decided


@pytest.fixture
def objection(api, staff, db_path, run):
    """An approved objection by Zoë over tests/data/records.jsonl, and its list."""
    created = decided(api, staff, db_path, run, "objection", "en")
    lists = api.get("/api/v1/removal-lists", headers=staff["training"]).get_json()
    (item,) = lists["items"]
    document = api.get(
        f"/api/v1/removal-lists/{item['id']}", headers=staff["training"]
    ).get_json()
    return created, document


def _save(tmp_path, document, name="rl.json"):
    path = tmp_path / name
    path.write_text(json.dumps(document, ensure_ascii=False))
    return path


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


def test_apply_removes_listed_records_and_keeps_others_byte_for_byte(
    objection, run, tmp_path
):
    _, document = objection
    rl = _save(tmp_path, document)
    out = tmp_path / "out.jsonl"
    result = run(
        "removals", "apply", "--list", rl, "--manifest", RECORDS_JSONL, "--out", out
    )
    assert result.exit_code == 0, result.output
    assert "5 records read, 3 removed" in result.output
    kept = [
        line
        for line in RECORDS_JSONL.read_bytes().splitlines(keepends=True)
        if json.loads(line)["record_id"] in ("t-3", "t-4")
    ]
    assert out.read_bytes() == b"".join(kept)
    assert run("removals", "verify", "--list", rl, "--manifest", out).exit_code == 0
    present = run("removals", "verify", "--list", rl, "--manifest", RECORDS_JSONL)
    assert present.exit_code == 1 and "still present: tiny t-1" in present.output


def test_apply_removes_what_killed_runs_for_the_same_out_left(objection, run, tmp_path):
    import subprocess
    import sys

    from dsr_app.removal.leftovers import temp_prefix

    _, document = objection
    rl = _save(tmp_path, document)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "out.jsonl"
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead_pid = int(dead.stdout)  # that process has exited
    prefix = temp_prefix(out)
    stale = [f"{prefix}{dead_pid}-abc123", f"{prefix}{dead_pid}-abc123.0"]
    kept = [
        f"{prefix}{os.getpid()}-live99",  # a run still writing (this process)
        f".{out.name}.dsr-apply-otherhost-{dead_pid}-xyz",  # another host's run
        f"{temp_prefix(out_dir / 'other.jsonl')}{dead_pid}-q",  # another OUT
    ]
    for name in stale + kept:
        (out_dir / name).write_bytes(b"partial")
    result = run(
        "removals", "apply", "--list", rl, "--manifest", RECORDS_JSONL, "--out", out
    )
    assert result.exit_code == 0, result.output
    assert "removed 2 temporary file(s) of an interrupted run" in result.output
    assert sorted(p.name for p in out_dir.iterdir()) == sorted([*kept, out.name])


def test_apply_on_gzip_and_parquet(objection, run, tmp_path):
    _, document = objection
    rl = _save(tmp_path, document)
    gz_in = tmp_path / "in.jsonl.gz"
    gz_in.write_bytes(gzip.compress(RECORDS_JSONL.read_bytes()))
    gz_out = tmp_path / "out.jsonl.gz"
    assert (
        run(
            "removals", "apply", "--list", rl, "--manifest", gz_in, "--out", gz_out
        ).exit_code
        == 0
    )
    assert len(gzip.decompress(gz_out.read_bytes()).splitlines()) == 2
    pq_out = tmp_path / "out.parquet"
    assert (
        run(
            "removals",
            "apply",
            "--list",
            rl,
            "--manifest",
            RECORDS_PARQUET,
            "--out",
            pq_out,
        ).exit_code
        == 0
    )
    before, after = pq.read_table(RECORDS_PARQUET), pq.read_table(pq_out)
    assert after.schema == before.schema
    assert after.column("record_id").to_pylist() == ["t-3", "t-4"]
    assert run("removals", "verify", "--list", rl, "--manifest", pq_out).exit_code == 0


def test_tampered_list_or_wrong_key_writes_nothing(objection, run, tmp_path):
    _, document = objection
    tampered = json.loads(json.dumps(document))
    tampered["entries"].append(
        {
            "dataset": "tiny",
            "record_id": "t-4",
            "content_sha256": "",
            "reason": "mention",
        }
    )
    bad = _save(tmp_path, tampered, "bad.json")
    out = tmp_path / "out.jsonl"
    result = run(
        "removals", "apply", "--list", bad, "--manifest", RECORDS_JSONL, "--out", out
    )
    assert result.exit_code == 2 and "signature does not check" in result.output
    assert not out.exists()
    good = _save(tmp_path, document)
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    other = (
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    import base64

    wrong = base64.b64encode(other).decode()
    result = run(
        "removals",
        "apply",
        "--list",
        good,
        "--manifest",
        RECORDS_JSONL,
        "--out",
        out,
        "--public-key",
        wrong,
    )
    assert result.exit_code == 2 and not out.exists()
    assert (
        run(
            "removals",
            "verify",
            "--list",
            good,
            "--manifest",
            RECORDS_JSONL,
            "--public-key",
            "not base64!",
        ).exit_code
        == 2
    )
    assert not any(p.name.startswith(".dsr-apply-") for p in tmp_path.iterdir())


def test_several_lists_and_a_missing_input(
    objection, api, staff, db_path, run, tmp_path
):
    _, document = objection
    rl = _save(tmp_path, document)
    key_file = tmp_path / "key.txt"
    key_file.write_text(run("keys", "public").output)
    out = tmp_path / "out.jsonl"
    result = run(
        "removals",
        "apply",
        "--list",
        rl,
        "--list",
        rl,
        "--manifest",
        RECORDS_JSONL,
        "--out",
        out,
        "--public-key",
        key_file,
    )
    assert result.exit_code == 0 and "3 removed" in result.output
    missing = run(
        "removals",
        "apply",
        "--list",
        rl,
        "--manifest",
        tmp_path / "none.jsonl",
        "--out",
        out,
    )
    assert missing.exit_code == 2


def test_acknowledgement_reaches_the_requester(api, staff, objection):
    created, document = objection
    url = f"/api/v1/removal-lists/{document['id']}/ack"
    body = {"dataset": "tiny", "dataset_version": "1"}
    assert_api_error(api.post(url, json=body, headers=staff["legal"]), 403)
    resp = api.post(url, json=body, headers=staff["training"])
    assert resp.status_code == 200 and len(resp.get_json()["acks"]) == 1
    again = api.post(url, json=body, headers=staff["training"])
    assert len(again.get_json()["acks"]) == 1  # idempotent
    status = api.get(f"/api/v1/requests/{created['id']}", headers=bearer(created))
    (removal,) = status.get_json()["removals"]
    assert removal["dataset"] == "tiny" and removal["dataset_version"] == "1"
    assert_api_error(
        api.post(url, json={"dataset": "tiny"}, headers=staff["training"]),
        400,
        "dataset_version",
    )


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


def test_training_page_lists_unacknowledged_lists_and_pages_show_removals(
    api, api_app, staff, objection, db_path
):
    import re

    from tests.web.test_staff import log_in

    created, document = objection
    browser = api_app.test_client()
    browser.environ_base["wsgi.url_scheme"] = "https"
    log_in(browser, "training@staff.example")
    page = browser.get("/staff/removals").get_data(as_text=True)
    assert f'data-list="{document["id"]}"' in page
    csv_text = browser.get(
        f"/staff/removals/{document['id']}?format=csv",
        headers={"Sec-Fetch-Site": "same-origin"},  # a link on our page
    ).get_data(as_text=True)
    assert csv_text.startswith("list_id,request_type,dataset,record_id")
    from dsr_app.audit import trail

    downloads = [
        (e["actor"].split(":")[0], e["detail"])
        for e in trail(open_db(db_path), created["id"])
        if e["action"] == "removal_list_downloaded"
    ]
    # the fixture's download through the API, then this one on the page
    assert downloads == [
        ("staff", {"list_id": document["id"], "format": "json"}),
        ("staff", {"list_id": document["id"], "format": "csv"}),
    ]
    api.post(
        f"/api/v1/removal-lists/{document['id']}/ack",
        json={"dataset": "tiny", "dataset_version": "1"},
        headers=staff["training"],
    )
    page = browser.get("/staff/removals").get_data(as_text=True)
    assert "Every list is acknowledged." in page
    legal = api_app.test_client()
    legal.environ_base["wsgi.url_scheme"] = "https"
    log_in(legal)
    case = legal.get(f"/staff/requests/{created['id']}").get_data(as_text=True)
    assert re.search(r"removed from dataset tiny version 1 on \d{4}-\d{2}-\d{2}", case)


def test_a_list_stays_pending_until_each_version_with_matches_is_acknowledged(
    api, api_app, staff, db_path, run
):
    from tests.web.test_staff import log_in

    # Zoë's records in two versions of the dataset: both must lose them.
    assert run("ingest", RECORDS_JSONL, "--version", "2").exit_code == 0
    decided(api, staff, db_path, run, "objection", "en")
    (item,) = api.get("/api/v1/removal-lists", headers=staff["training"]).get_json()[
        "items"
    ]
    browser = api_app.test_client()
    browser.environ_base["wsgi.url_scheme"] = "https"
    log_in(browser, "training@staff.example")
    page = browser.get("/staff/removals").get_data(as_text=True)
    assert '<option value="1">' in page and '<option value="2">' in page
    for version, left in (("1", "2"), ("2", None)):
        ack = api.post(
            f"/api/v1/removal-lists/{item['id']}/ack",
            json={"dataset": "tiny", "dataset_version": version},
            headers=staff["training"],
        )
        assert ack.status_code == 200, ack.get_json()
        page = browser.get("/staff/removals").get_data(as_text=True)
        if left:  # still listed, with only the version left to do offered
            assert f'data-list="{item["id"]}"' in page
            assert f'<option value="{left}">' in page
            assert f'<option value="{version}">' not in page
        else:
            assert "Every list is acknowledged." in page


def test_training_user_acknowledges_on_the_removals_page(
    api, api_app, staff, objection, db_path, run
):
    import re
    from datetime import date

    from dsr_app.i18n import long_date
    from tests.web.test_staff import CSRF_RE, log_in

    created, document = objection
    browser = api_app.test_client()
    browser.environ_base["wsgi.url_scheme"] = "https"
    log_in(browser, "training@staff.example")
    page = browser.get("/staff/removals").get_data(as_text=True)
    # The version the matches were found in is offered as the likely answer.
    assert '<option value="1">' in page
    url = f"/staff/removals/{document['id']}/ack"
    form = {"dataset": "tiny", "dataset_version": "1"}
    assert browser.post(url, data=form).status_code == 400  # no CSRF token
    form["csrf_token"] = CSRF_RE.search(page).group(1)
    for bad, error in (
        ({"dataset_version": "  "}, "dataset_version:"),
        ({"dataset": "other"}, "no entries in that dataset"),
    ):
        assert browser.post(url, data={**form, **bad}).status_code == 303
        assert error in browser.get("/staff/removals").get_data(as_text=True)
    resp = browser.post(url, data=form)
    assert resp.status_code == 303 and resp.headers["Location"] == "/staff/removals"
    page = browser.get("/staff/removals").get_data(as_text=True)
    assert f"List {document['id']} acknowledged for tiny version 1." in page
    assert "Every list is acknowledged." in page
    status = api.get(f"/api/v1/requests/{created['id']}", headers=bearer(created))
    (removal,) = status.get_json()["removals"]
    assert (removal["dataset"], removal["dataset_version"]) == ("tiny", "1")
    # The requester's page dates it like its other dates, in their language.
    requester = api_app.test_client()
    requester.environ_base["wsgi.url_scheme"] = "https"
    with requester.session_transaction() as session:
        session["requests"] = [created["id"]]
    page = requester.get("/status?lang=en").get_data(as_text=True)
    day = long_date(date.fromisoformat(removal["acknowledged_at"][:10]), "en")
    assert f"removed from dataset tiny version 1 on {day}</li>" in page
    # The same audit entry as through the API, and only legal's other pages.
    assert run("audit", "verify").exit_code == 0
    legal = api_app.test_client()
    legal.environ_base["wsgi.url_scheme"] = "https"
    log_in(legal)
    token = CSRF_RE.search(legal.get("/staff/").get_data(as_text=True)).group(1)
    refused = legal.post(
        url, data={"csrf_token": token, "dataset": "tiny", "dataset_version": "2"}
    )
    assert refused.status_code == 403
    case = legal.get(f"/staff/requests/{created['id']}").get_data(as_text=True)
    assert re.search(r"\d · staff:\d+ · removal_acknowledged", case)
    assert len(re.findall(r"removed from dataset tiny version", case)) == 1


def test_apply_splits_a_big_file_across_processes_keeping_line_order(
    objection, run, tmp_path, monkeypatch
):
    from dsr_app.removal import apply as removal_apply

    _, document = objection
    rl = _save(tmp_path, document)
    big = tmp_path / "big.jsonl"
    lines = RECORDS_JSONL.read_bytes().splitlines(keepends=True)
    big.write_bytes(b"".join(lines * 400))
    monkeypatch.setattr(removal_apply, "_PARALLEL_MIN_BYTES", 1024)
    out = tmp_path / "out.jsonl"
    result = run("removals", "apply", "--list", rl, "--manifest", big, "--out", out)
    assert (
        result.exit_code == 0 and "2,000 records read, 1,200 removed" in result.output
    )
    kept = [line for line in lines if json.loads(line)["record_id"] in ("t-3", "t-4")]
    assert out.read_bytes() == b"".join(kept * 400)


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


def test_several_shards_appear_together_and_a_killed_runs_staging_is_removed(
    objection, run, tmp_path
):
    """Shards are staged and renamed into place together; the staging folder a
    killed run of this host left is removed by the next run, a live one is not."""
    import subprocess
    import sys

    from dsr_app.removal.leftovers import staging_prefix

    _, document = objection
    rl = _save(tmp_path, document)
    shards = tmp_path / "in"
    shards.mkdir()
    lines = Path(RECORDS_JSONL).read_bytes().splitlines(keepends=True)
    (shards / "a.jsonl").write_bytes(b"".join(lines[:3]))
    (shards / "b.jsonl").write_bytes(b"".join(lines[3:]))
    out = tmp_path / "out"
    out.mkdir()
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    stale = out / f"{staging_prefix()}{int(dead.stdout)}-abc"
    live = out / f"{staging_prefix()}{os.getpid()}-def"
    for folder in (stale, live):
        folder.mkdir()
        (folder / "a.jsonl").write_bytes(b"partial")
    result = run("removals", "apply", "--list", rl, "--manifest", shards, "--out", out)
    assert result.exit_code == 0, result.output
    assert "removed 1 temporary file(s) of an interrupted run" in result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["a.jsonl", "b.jsonl", live.name]
    )
    kept = (out / "a.jsonl").read_bytes() + (out / "b.jsonl").read_bytes()
    assert b'"t-1"' not in kept and b'"t-3"' in kept
    assert run("removals", "verify", "--list", rl, "--manifest", out).exit_code == 0


def test_ack_must_name_a_dataset_of_the_list(api, staff, db_path, run):
    from tests.review.test_letters import decided

    decided(api, staff, db_path, run, "objection", "en")
    (item,) = api.get("/api/v1/removal-lists", headers=staff["training"]).get_json()[
        "items"
    ]
    resp = api.post(
        f"/api/v1/removal-lists/{item['id']}/ack",
        json={"dataset": "other", "dataset_version": "1"},
        headers=staff["training"],
    )
    assert_api_error(resp, 400, "dataset")


def test_malformed_signature_value_is_a_refusal_not_a_crash(tmp_path):
    from dsr_app.signing import load_public_key, public_key_b64, sign, verify

    document = sign({"format": "dsr-removal-list/1", "entries": []}, tmp_path)
    key = load_public_key(public_key_b64(tmp_path))
    for value in (123, None, ["x"], "not base64 !"):
        broken = {**document, "signature": {**document["signature"], "value": value}}
        assert verify(broken, key) is False


def test_apply_with_dataset_option_and_output_mode(tmp_path, run, db_path):
    from dsr_app.config import instance_dir
    from dsr_app.signing import sign

    folder = instance_dir(db_path)
    manifest = tmp_path / "nodataset.jsonl"
    manifest.write_text(
        '{"record_id": "a", "text": "x"}\n{"record_id": "b", "text": "y"}\n'
    )
    manifest.chmod(0o644)
    document = sign(
        {
            "format": "dsr-removal-list/1",
            "id": "rl_t",
            "entries": [
                {
                    "dataset": "ds",
                    "record_id": "a",
                    "content_sha256": "",
                    "reason": "mention",
                }
            ],
            "suppression": [],
        },
        folder,
    )
    rl = tmp_path / "rl.json"
    rl.write_text(json.dumps(document))
    out = tmp_path / "out.jsonl"
    result = run(
        "removals",
        "apply",
        "--list",
        rl,
        "--manifest",
        manifest,
        "--out",
        out,
        "--dataset",
        "ds",
    )
    assert (
        result.exit_code == 0 and "1 removed, 0 list entries not found" in result.output
    )
    assert out.read_text() == '{"record_id": "b", "text": "y"}\n'
    assert out.stat().st_mode & 0o777 == 0o644
    present = run(
        "removals", "verify", "--list", rl, "--manifest", manifest, "--dataset", "ds"
    )
    assert present.exit_code == 1 and "still present: ds a" in present.output
