"""The demo world: ``dsr serve --demo`` loads it idempotently and serves it."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from dsr_app import deadlines
from dsr_app.config import package_resource
from dsr_app.demo import load_demo
from dsr_app.demo_cases import CASES
from dsr_app.messaging import outbox_messages
from dsr_app.sql import select_rows
from dsr_app.training.exposure import for_request
from dsr_app.training.measures import run_measures
from dsr_app.training.runs import list_runs
from tests.conftest import snapshot
from tests.web.test_staff import csrf

FIXTURES = package_resource("fixtures")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve_demo(db_path: Path) -> tuple[str, float]:
    """Start ``dsr serve --demo``, wait until it answers, stop it; (output, seconds)."""
    port = _free_port()
    started = time.monotonic()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dsr_app",
            "serve",
            "--demo",
            "--db",
            str(db_path),
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz") as r:
                    assert json.load(r) == {"status": "ok"}
                    break
            except OSError:
                assert proc.poll() is None, proc.stdout.read()
                time.sleep(0.2)
        else:
            raise AssertionError("dsr serve --demo did not answer in 120 s")
        elapsed = time.monotonic() - started
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=30)
    return output, elapsed


def test_serve_demo_twice_loads_once_and_serves(tmp_path):
    db_path = tmp_path / "demo.sqlite3"
    first, _ = _serve_demo(db_path)
    assert "demo loaded: 20,057 new records" in first
    assert "training run assistant 1.0: retired" in first
    assert "Serving dsr_app on http://127.0.0.1:" in first
    for role in ("legal", "training", "admin"):
        assert f"demo login: {role}@demo.example / " in first
    state = snapshot(db_path)
    second, seconds = _serve_demo(db_path)
    assert "demo loaded: 0 new records (3 manifest files unchanged)" in second
    assert "0 accounts added, 0 updated, 2,000 unchanged" in second
    assert seconds < 30  # seconds, not minutes, on a second start
    assert snapshot(db_path) == state


def test_demo_world_holds_every_ground_truth_record(db):
    load_demo(db)
    lines = (FIXTURES / "ground_truth.jsonl").read_text().splitlines()
    truth = [json.loads(line) for line in lines]
    assert len(truth) > 50
    for item in truth:
        found = db.execute(
            "SELECT text FROM records WHERE dataset = ? AND dataset_version = ?"
            " AND record_id = ?",
            [item["dataset"], item["dataset_version"], item["record_id"]],
        ).fetchone()
        assert found is not None, item
        if item.get("spelling"):
            assert item["spelling"] in found[0], item


def test_demo_world_has_personas_namesakes_and_violations(db):
    load_demo(db)
    personas = db.execute(
        "SELECT display_name, count(*) FROM accounts WHERE account_id LIKE 'acc-9000%'"
        " GROUP BY display_name HAVING count(*) > 1"
    ).fetchall()
    assert personas == [("Jan Novák", 2)]
    flagged = db.execute(
        "SELECT sum(policy_flags & 1 > 0), sum(policy_flags & 2 > 0) FROM records"
    ).fetchone()
    assert flagged[0] > 0 and flagged[1] > 0
    versions = db.execute(
        "SELECT dataset, count(DISTINCT dataset_version) FROM records GROUP BY 1"
        " ORDER BY 1"
    ).fetchall()
    assert versions == [("captions", 1), ("public-posts", 2)]
    names = "".join(r[0] for r in db.execute("SELECT display_name FROM accounts"))
    for letter in "äöüßéçłńśžřøåő":
        assert letter in names, letter


def _letters(db, request_id: str) -> list[dict]:
    return select_rows(
        db,
        "SELECT id, template, issued_at, sha256, txt FROM issued_letters"
        " WHERE request_id = ?",
        [request_id],
    )


def test_demo_world_holds_two_models_around_lucjas_objection(db):
    """Issue 19, item 6: model 1.0 trained before her objection, 2.0 after it on
    the versions cleared of her items, 1.0 retired as replaced by 2.0."""
    load_demo(db)
    (request,) = select_rows(
        db, "SELECT * FROM requests WHERE email = ?", ["lucja@example.eu"]
    )
    assert request["type"] == "objection"
    assert request["status"] == "completed" and request["decision"] == "approve"
    runs = {r["model_version"]: r for r in list_runs(db)}
    assert sorted(runs) == ["1.0", "2.0"]
    first, second = runs["1.0"], runs["2.0"]
    assert (first["model"], first["status"]) == ("assistant", "retired")
    assert (second["model"], second["status"]) == ("assistant", "deployed")
    # Neither is flagged, and truly so: 1.0 started in July 2025, before any
    # removal list was issued (the gate was clear then; that it read her items
    # is its exposure, not a flag), and 2.0 after every list was acknowledged.
    assert not first["flagged"] and not second["flagged"]
    acks = select_rows(db, "SELECT acknowledged_at FROM removal_acks")
    assert len(acks) == 3  # captions 2025-03, public-posts 2025-01 and 2025-06
    assert first["started_at"] < request["received_at"] < request["decided_at"]
    assert max(a["acknowledged_at"] for a in acks) < second["started_at"]
    assert second["started_at"] < first["retired_at"] <= deadlines.now().isoformat()
    (measure,) = run_measures(db, first["id"])
    assert (measure["kind"], measure["replacement_run_id"]) == (
        "retrained",
        second["id"],
    )
    assert measure["taken_on"] <= deadlines.now().date().isoformat()
    found = for_request(db, request, deadlines.now().isoformat())
    assert [r["id"] for r in found["exposed"]] == [first["id"]]
    assert [r["id"] for r in found["cleared"]] == [second["id"]]
    assert found["unknown"] == []
    # Her letters were issued before 2.0 existed and say what was on record then.
    letters = _letters(db, request["id"])
    assert sorted(x["template"] for x in letters) == ["objection", "removal_complete"]
    decision = next(x for x in letters if x["template"] == "objection")
    assert decision["issued_at"] == request["decided_at"]
    for letter in letters:
        assert letter["issued_at"] < second["started_at"]
        assert b"assistant, version 1.0" in letter["txt"]
        assert b"version 2.0" not in letter["txt"]
    load_demo(db)  # again: nothing new, her letters as they were
    assert _letters(db, request["id"]) == letters
    assert [r["id"] for r in list_runs(db)] == [second["id"], first["id"]]
    assert len(select_rows(db, "SELECT id FROM requests")) == 1 + len(CASES)


def test_demo_persona_status_page_shows_the_later_model_as_cleared(db, api_app):
    load_demo(db)
    second = next(r for r in list_runs(db) if r["model_version"] == "2.0")
    first = next(r for r in list_runs(db) if r["model_version"] == "1.0")
    body = outbox_messages(db, "lucja@example.eu")[-1]["body"]
    link = re.search(r"(/r/\S+)", body).group(1)  # the e-mailed one-time link
    client = api_app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"
    client.get(link)
    client.post("/r", data={"csrf_token": csrf(client, "/r")})
    page = client.get("/status").get_data(as_text=True)
    assert f'<li data-run="{first["id"]}" data-state="exposed">' in page
    assert f'<li data-run="{second["id"]}" data-state="cleared">' in page
    assert 'data-state="no-cleared"' not in page


def test_demo_queue_holds_cases_in_every_state_once(db):
    """Issue 21, item 4: new, in review with weak candidates and due soon,
    overdue, needs information, extended, answered, removal pending and complete,
    each made once per store."""
    from dsr_app.removal.acknowledgements import pending
    from dsr_app.review.worklist import Filters, find_cases

    load_demo(db)
    now = deadlines.now()
    rows = {
        r["details"].removeprefix("Demo world: ").rstrip("."): r
        for r in select_rows(db, "SELECT * FROM requests")
    }
    assert rows["new"]["status"] == "pending_verification"
    weak = rows["in review, weak candidates, due soon"]
    assert weak["status"] == "in_review"
    assert db.execute(
        "SELECT count(*) FROM matches WHERE request_id = ? AND confidence = 'weak'"
        " AND decision IS NULL",
        [weak["id"]],
    ).fetchone()[0]
    assert rows["needs info"]["status"] == "needs_info"
    assert rows["extended"]["extended_at"] and rows["extended"]["status"] == "in_review"
    assert rows["answered"]["status"] == "completed"
    waiting = {i["request_id"] for lists in pending(db).values() for i in lists}
    assert rows["removal pending"]["id"] in waiting
    lucja = next(r for r in rows.values() if r["email"] == "lucja@example.eu")
    assert lucja["status"] == "completed" and lucja["id"] not in waiting
    legal = db.execute(
        "SELECT id FROM staff_users WHERE email = ?", ["legal@demo.example"]
    ).fetchone()[0]
    queue = find_cases(db, now, Filters(), legal)
    assert queue["counts"]["overdue"] >= 1 and queue["counts"]["due_soon"] >= 1
    assert rows["overdue"]["id"] in {i["id"] for i in queue["items"] if i["overdue"]}
    assert rows["overdue"]["assignee_id"] == legal
    load_demo(db)  # again: the same cases, nothing new
    assert len(select_rows(db, "SELECT id FROM requests")) == len(rows)
