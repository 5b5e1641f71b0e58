"""The demo world: ``dsr serve --demo`` loads it idempotently and serves it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from dsr_app.config import package_resource
from dsr_app.demo import load_demo
from tests.conftest import snapshot

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
