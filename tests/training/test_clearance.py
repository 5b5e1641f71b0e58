"""The clearance gate: clear once every list touching a version is acknowledged
for it, signed with the instance's key; `dsr gate check` with and without
manifests; runs on an uncleared version are flagged (training/clearance.py)."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from dsr_app.signing import load_public_key, verify
from dsr_app.training.clearance import still_in_files
from tests.conftest import RECORDS_JSONL, RECORDS_PARQUET, assert_api_error
from tests.removal.conftest import save_list
from tests.removal.test_versions import LISTS, _old
from tests.training.conftest import RUN

CLEARANCE = "/api/v1/datasets/tiny/1/clearance"


def _ack(api, staff, document):
    resp = api.post(
        f"/api/v1/removal-lists/{document['id']}/ack",
        json={"dataset": "tiny", "dataset_version": "1"},
        headers=staff["training"],
    )
    assert resp.status_code == 200


def test_clearance_false_while_a_list_is_unacknowledged_then_true(
    api, staff, objection, run
):
    _, document = objection
    before = api.get(CLEARANCE, headers=staff["legal"]).get_json()
    assert before["clear"] is False and before["pending_lists"] == [document["id"]]
    assert (before["dataset"], before["dataset_version"]) == ("tiny", "1")
    _ack(api, staff, document)
    after = api.get(CLEARANCE, headers=staff["training"]).get_json()
    assert after["clear"] is True and after["pending_lists"] == []
    # Signed as a removal list is, with the key `dsr keys public` prints.
    key = load_public_key(run("keys", "public").output.strip())
    assert verify(after, key) and verify(before, key)
    assert not verify({**after, "clear": False}, key)
    assert after["checked_at"].endswith("Z")


def test_clearance_needs_staff_and_an_ingested_version(api, staff, objection):
    assert_api_error(api.get(CLEARANCE), 401)
    assert_api_error(
        api.get("/api/v1/datasets/tiny/9/clearance", headers=staff["legal"]), 404
    )


def test_run_on_an_uncleared_version_is_flagged_and_shown(
    api, api_app, staff, objection
):
    from tests.web.test_staff import log_in

    _, document = objection
    url = "/api/v1/training-runs"
    planned = api.post(url, json=RUN, headers=staff["training"]).get_json()
    assert planned["flagged"] is False  # not started yet
    started = api.patch(
        f"{url}/{planned['id']}", json={"status": "training"}, headers=staff["training"]
    ).get_json()
    assert started["flagged"] is True and document["id"] in started["flag_reason"]
    _ack(api, staff, document)
    later = api.post(
        url, json={**RUN, "model_version": "2.2", "status": "deployed"},
        headers=staff["training"],
    ).get_json()  # fmt: skip
    assert later["flagged"] is False
    # Started before the acknowledgement: judged by what was known then.
    back_then = api.post(
        url, json={**RUN, "status": "training", "started_at": "2020-01-01"},
        headers=staff["training"],
    ).get_json()  # fmt: skip
    assert back_then["flagged"] is False  # the list was not issued in 2020
    browser = api_app.test_client()
    browser.environ_base["wsgi.url_scheme"] = "https"
    log_in(browser)
    page = browser.get("/staff/dashboard").get_data(as_text=True)
    assert f'<li data-run="{started["id"]}">' in page
    assert f'<li data-run="{later["id"]}">' not in page


def _gate(run, *extra):
    return run("gate", "check", "--dataset", "tiny", "--version", "1", *extra)


def test_gate_check_exits_1_with_pending_lists_then_0(api, staff, objection, run):
    _, document = objection
    pending = _gate(run)
    assert pending.exit_code == 1
    answer = json.loads(pending.stdout)
    assert answer["clear"] is False and answer["pending_lists"] == [document["id"]]
    assert f"pending: removal list {document['id']}" in pending.stderr
    _ack(api, staff, document)
    cleared = _gate(run)
    assert cleared.exit_code == 0 and json.loads(cleared.stdout)["clear"] is True
    key = load_public_key(run("keys", "public").output.strip())
    assert verify(json.loads(cleared.stdout), key)


@pytest.mark.parametrize("source", [RECORDS_JSONL, RECORDS_PARQUET])
def test_gate_check_with_manifests_reads_the_files(
    api, staff, objection, run, tmp_path, source
):
    _, document = objection
    _ack(api, staff, document)
    listed = {e["record_id"] for e in document["entries"]}
    still = _gate(run, "--manifest", source)
    assert still.exit_code == 1, still.output
    answer = json.loads(still.stdout)
    assert answer["clear"] is False and answer["pending_lists"] == []
    assert {r["record_id"] for r in answer["still_present"]} == listed
    assert f"still present: tiny {sorted(listed)[0]}" in still.stderr
    # The same file without the listed records: clear.
    if source.suffix == ".parquet":
        table = pq.read_table(source)
        keep = [r not in listed for r in table.column("record_id").to_pylist()]
        cleaned = tmp_path / "clean.parquet"
        pq.write_table(table.filter(keep), cleaned)
    else:
        cleaned = tmp_path / "clean.jsonl"
        cleaned.write_text(
            "".join(
                line + "\n"
                for line in source.read_text().splitlines()
                if json.loads(line)["record_id"] not in listed
            )
        )
    clean = _gate(run, "--manifest", cleaned)
    assert clean.exit_code == 0, clean.output
    assert json.loads(clean.stdout)["still_present"] == []


def test_gate_check_exits_2_on_bad_input(objection, run, tmp_path):
    unknown = _gate(run, "--manifest", RECORDS_JSONL)
    assert unknown.exit_code == 1  # a pending list: the check failed, not the input
    missing = _gate(run, "--manifest", tmp_path / "nope.jsonl")
    assert missing.exit_code == 2 and "no such file" in missing.stderr
    never = run("gate", "check", "--dataset", "tiny", "--version", "9")
    assert never.exit_code == 2 and "never ingested" in never.stderr
    assert run("gate", "check", "--dataset", "tiny").exit_code == 2  # usage


def test_gate_check_finds_copies_by_hash_and_author_as_verify_does(
    api, staff, objection, run, tmp_path
):
    _, document = objection
    _ack(api, staff, document)
    listed = {e["record_id"] for e in document["entries"]}
    manifest = tmp_path / "copies.jsonl"
    with manifest.open("w") as out:
        for line in RECORDS_JSONL.read_text().splitlines():
            rec = json.loads(line)
            if rec["record_id"] in listed:
                # The same text under another id: by its author, and by someone else.
                for suffix, author in (("-copy", rec["author_id"]), ("-x", "acc-9")):
                    copy = {**rec, "record_id": rec["record_id"] + suffix}
                    out.write(json.dumps({**copy, "author_id": author}) + "\n")
    gate = _gate(run, "--manifest", manifest)
    assert gate.exit_code == 1, gate.output
    found = {r["record_id"] for r in json.loads(gate.stdout)["still_present"]}
    assert found == {f"{r}-copy" for r in listed}
    rl = save_list(tmp_path, document)
    checked = run("removals", "verify", "--list", rl, "--manifest", manifest)
    assert checked.exit_code == 1
    assert {line.split()[-1] for line in checked.stdout.splitlines()} == found


@pytest.mark.parametrize("version", ["1", "2", "3", "9"])
def test_still_in_files_reads_every_list_touching_the_version_and_no_other(
    store, tmp_path, version
):
    # The entries of dataset a of every list, with the lists whose old per-list
    # answer (tests/removal/test_versions.py) holds (a, version): those are found.
    manifest = tmp_path / "a.jsonl"
    every = {r for *_, entries in LISTS for d, r, _ in entries if d == "a"}
    manifest.write_text("".join(json.dumps({"record_id": r}) + "\n" for r in every))
    expected = {
        ("a", r)
        for list_id, _, _, entries in LISTS
        if ("a", version) in _old(store, list_id)
        for d, r, _ in entries
        if d == "a"
    }
    found = still_in_files(store, "a", version, [manifest])
    assert found == sorted(expected)
    assert expected or version == "9"  # the store has lists in versions 1 to 3
