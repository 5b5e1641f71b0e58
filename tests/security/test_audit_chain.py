"""Rewriting history (issue 16, finding 14): someone who can write the store drops
the audit log's last entries, or rewrites one and recomputes the chain; the keyed
chain and the signed anchors outside the store must find it. The attacker works on
the SQLite file directly (triggers dropped), as another tool would; they hold
neither the audit key nor the signing key."""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
import stat
from pathlib import Path

import pytest
import sqlite_utils

from dsr_app import create_app, deadlines
from dsr_app.audit import append
from dsr_app.db import open_db
from dsr_app.migrations import migrations
from dsr_app.signing import sign
from tests.conftest import start_server
from tests.security.helpers import decide_ok, https_client, verified, world

GENESIS = "0" * 64


def _entries(db_path: Path, n: int) -> None:
    """``n`` audit entries written by the app's own code."""
    db = open_db(db_path)
    try:
        for i in range(n):
            append(db, "system", "test", None, {"n": i}, deadlines.now())
    finally:
        db.close()


def _attacker(db_path: Path) -> sqlite3.Connection:
    """A connection to the store with the append-only guards dropped."""
    conn = sqlite3.connect(db_path)
    conn.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    conn.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    return conn


def _canonical(fields: list) -> bytes:
    """An entry's fields as the chain hashes them (the old code's canonical form)."""
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()


def _sha256(fields: list) -> str:
    return hashlib.sha256(_canonical(fields)).hexdigest()


def _wrong_key(fields: list) -> str:
    return hmac.new(
        b"a guessed key" * 3, _canonical(fields), hashlib.sha256
    ).hexdigest()


def _rewrite(db_path: Path, first: int, forge_mac) -> None:
    """Change entry ``first``'s detail and recompute the chain from there on: each
    entry's SHA-256 recomputed, and a MAC, where there was one, replaced by
    ``forge_mac(fields)`` (None: made unkeyed). On a store of the code before m014
    (no MACs), the SHA-256 chain alone, as that code's verify checked it."""
    conn = _attacker(db_path)
    columns = {row[1] for row in conn.execute("PRAGMA table_info(audit_log)")}
    if "mac" not in columns:
        conn.execute("ALTER TABLE audit_log ADD COLUMN mac TEXT")  # NULL, unread
    rows = conn.execute(
        "SELECT seq, at, actor, action, request_id, detail, hash, mac"
        " FROM audit_log ORDER BY seq"
    ).fetchall()
    link = GENESIS
    for seq, at, actor, action, request_id, detail, digest, mac in rows:
        if seq >= first:
            if seq == first:
                detail = json.dumps({"n": 99})
            fields = [seq, at, actor, action, request_id, detail, link]
            digest, mac = _sha256(fields), forge_mac(fields) if mac else None
            conn.execute(
                "UPDATE audit_log SET detail = ?, prev_hash = ?, hash = ?, mac = ?"
                " WHERE seq = ?",
                [detail, link, digest, mac, seq],
            )
        link = mac or digest
    conn.commit()
    conn.close()


def _drop_last(db_path: Path, n: int) -> None:
    conn = _attacker(db_path)
    conn.execute(
        "DELETE FROM audit_log WHERE seq > (SELECT max(seq) FROM audit_log) - ?", [n]
    )
    conn.commit()
    conn.close()


def _anchor_lines(db_path: Path) -> list[str]:
    return (db_path.parent / "audit_anchors.jsonl").read_text().splitlines()


# --- truncation -----------------------------------------------------------------------


@pytest.mark.parametrize("dropped", [1, 3, 6])
def test_dropping_the_last_entries_is_found_by_the_anchor(db_path, run, dropped):
    _entries(db_path, 6)
    run("audit", "anchor")
    assert run("audit", "verify").exit_code == 0
    _drop_last(db_path, dropped)
    result = run("audit", "verify")
    assert result.exit_code == 1
    assert f"audit log broken at entry {7 - dropped}: missing" in result.output
    assert "holds 6" in result.output
    # The cron job's anchor alerts instead of vouching for the shortened log.
    cron = run("audit", "anchor")
    assert cron.exit_code == 1 and "broken at entry" in cron.output
    assert len(_anchor_lines(db_path)) == 1


def test_serve_anchors_the_log_at_start(db_path):
    _entries(db_path, 3)
    proc, _ = start_server(db_path, log=db_path.parent / "serve.log")
    proc.terminate()
    proc.wait(timeout=30)
    (line,) = _anchor_lines(db_path)
    assert json.loads(line)["entries"] == 3


def test_every_decision_is_anchored_and_a_dropped_decision_is_found(
    api, staff, db_path, run
):
    world(run)
    first, second = verified(api, db_path), verified(api, db_path)
    anchored = []
    for request_id, body in [
        (first["id"], {"decision": "extend", "reason": "many datasets"}),
        (first["id"], {"decision": "request_info", "reason": "which account?"}),
        (first["id"], {"decision": "reject", "reason": "no answer"}),
        (second["id"], {"decision": "approve"}),
    ]:
        decide_ok(api, staff, request_id, **body)
        anchor = json.loads(_anchor_lines(db_path)[-1])
        head = sqlite3.connect(db_path).execute(
            "SELECT count(*), max(seq) FROM audit_log"
        )
        assert (anchor["entries"], anchor["seq"]) == head.fetchone()
        anchored.append(anchor["seq"])
    assert len(_anchor_lines(db_path)) == 4 and anchored == sorted(set(anchored))
    assert run("audit", "verify", "--strict").exit_code == 0
    # The approval (and what was logged after it) removed from the store.
    conn = _attacker(db_path)
    conn.execute(
        "DELETE FROM audit_log WHERE seq >= (SELECT min(seq) FROM audit_log"
        " WHERE action = 'decision_approve')"
    )
    conn.commit()
    result = run("audit", "verify")
    assert result.exit_code == 1 and "missing" in result.output


# --- a rewritten entry with the chain recomputed -----------------------------------


@pytest.mark.parametrize(
    ("forge_mac", "first", "bad", "reason"),
    [
        (_sha256, 3, 3, "MAC does not check"),  # plain SHA-256, as without the key
        (_wrong_key, 3, 3, "MAC does not check"),  # an HMAC under a guessed key
        (lambda fields: None, 3, 3, "not keyed, after keyed entries"),  # stripped
        (lambda fields: None, 1, 5, "no keyed entry seals it"),  # all stripped
    ],
    ids=["plain-sha256", "wrong-key", "downgraded-tail", "downgraded-whole-log"],
)
def test_a_rewritten_entry_with_a_recomputed_chain_is_found(
    db_path, run, forge_mac, first, bad, reason
):
    _entries(db_path, 5)
    _rewrite(db_path, first, forge_mac)
    result = run("audit", "verify")
    assert result.exit_code == 1
    assert f"audit log broken at entry {bad}:" in result.output
    assert reason in result.output


# --- the anchors themselves ----------------------------------------------------------


def test_a_deleted_anchor_file_is_a_warning_and_fails_with_strict(
    db_path, run, api, staff
):
    """A log without a decision may never have been anchored (a new instance): a
    missing anchor file is a warning, a failure with --strict. A decision always
    writes an anchor, so once the log holds one, a missing or emptied anchor file
    is a failure (the attacker who dropped entries deleted it too)."""
    anchors = db_path.parent / "audit_anchors.jsonl"
    _entries(db_path, 4)
    assert run("audit", "anchor").exit_code == 0
    anchors.unlink()
    _drop_last(db_path, 2)  # undetectable without an anchor: hence --strict
    result = run("audit", "verify")
    assert result.exit_code == 0
    assert "warning: no audit anchor in" in result.output
    assert "audit log intact: 2 entries" in result.output
    strict = run("audit", "verify", "--strict")
    assert strict.exit_code == 1 and "no audit anchor" in strict.output
    # A decision, then its entries dropped and the anchor file deleted or emptied.
    world(run)
    decide_ok(api, staff, verified(api, db_path)["id"], decision="approve")
    assert run("audit", "verify").exit_code == 0
    _entries(db_path, 2)
    for tamper in (anchors.unlink, lambda: anchors.write_bytes(b"")):
        tamper()
        _drop_last(db_path, 1)
        result = run("audit", "verify")
        assert result.exit_code == 1, result.output
        assert "audit anchor broken: no audit anchor in" in result.output
        assert "decision entries" in result.output
        assert "audit log intact" not in result.output
        # Nor does the cron job vouch for the log again.
        assert run("audit", "anchor").exit_code == 1


def test_a_deleted_anchor_file_is_not_replaced_by_a_fresh_one(
    db_path, run, api, staff, capsys
):
    """Attack: drop entries and delete the anchor file, then wait for the next
    decision or server start to write a fresh anchor that vouches for the cut log."""
    from dsr_app.cli.serve import anchor_audit_log

    anchors = db_path.parent / "audit_anchors.jsonl"
    world(run)
    decide_ok(api, staff, verified(api, db_path)["id"], decision="approve")
    _entries(db_path, 2)
    anchors.unlink()
    _drop_last(db_path, 1)
    # The next decision stands, but writes no anchor for the cut log.
    decide_ok(api, staff, verified(api, db_path)["id"], decision="reject", reason="x")
    assert not anchors.exists()
    # Nor does a server start: it says why on stderr.
    anchor_audit_log(db_path)
    assert not anchors.exists()
    assert "the audit log was not anchored" in capsys.readouterr().err
    result = run("audit", "verify")
    assert result.exit_code == 1 and "no audit anchor in" in result.output


@pytest.mark.parametrize("forgery", ["edited", "signed-with-another-key"])
def test_a_forged_anchor_is_refused(db_path, run, tmp_path, forgery):
    _entries(db_path, 5)
    assert run("audit", "anchor").exit_code == 0
    _drop_last(db_path, 2)
    conn = sqlite3.connect(db_path)
    seq, mac = conn.execute(
        "SELECT seq, mac FROM audit_log ORDER BY seq DESC LIMIT 1"
    ).fetchone()
    conn.close()
    genuine = json.loads(_anchor_lines(db_path)[0])
    claim = {**genuine, "entries": seq, "seq": seq, "mac": mac}
    if forgery == "signed-with-another-key":
        claim = sign(
            {k: v for k, v in claim.items() if k != "signature"}, tmp_path / "x"
        )
    with open(db_path.parent / "audit_anchors.jsonl", "a") as fh:
        fh.write(json.dumps(claim) + "\n")
    result = run("audit", "verify")
    assert result.exit_code == 1
    assert "audit anchor broken: line 2 of" in result.output
    assert "signature does not check" in result.output


def test_a_torn_anchor_line_is_reported_not_fatal(db_path, run):
    path = db_path.parent / "audit_anchors.jsonl"
    _entries(db_path, 3)
    assert run("audit", "anchor").exit_code == 0
    whole = path.read_text()
    with open(path, "a") as fh:  # a crash in the middle of the next write
        fh.write(whole[: len(whole) // 2])
    torn = run("audit", "verify")
    assert torn.exit_code == 0, torn.output
    assert "line 2 of" in torn.output and "is torn" in torn.output
    _entries(db_path, 2)
    assert run("audit", "anchor").exit_code == 0  # starts on a line of its own
    assert len(path.read_text().splitlines()) == 3
    after = run("audit", "verify")
    assert after.exit_code == 0
    assert "audit log intact: 5 entries; latest anchor: 5 at" in after.output
    _drop_last(db_path, 1)
    assert run("audit", "verify").exit_code == 1


def test_verify_and_anchor_exit_2_without_a_store_and_create_none(tmp_path, run):
    missing = tmp_path / "nowhere" / "dsr.sqlite3"
    for command in ("verify", "anchor"):
        result = run("audit", command, "--db", missing, db=False)
        assert result.exit_code == 2 and "no store at" in result.output
    assert not missing.parent.exists()


def test_keys_and_anchors_live_where_the_settings_say(
    db_path, run, staff, tmp_path, monkeypatch
):
    keys, elsewhere = tmp_path / "keys", tmp_path / "other-disk" / "anchors.jsonl"
    monkeypatch.setenv("DSR_INSTANCE_DIR", str(keys))
    monkeypatch.setenv("DSR_AUDIT_ANCHOR_PATH", str(elsewhere))
    api = https_client(create_app({"TESTING": True, "DB": str(db_path)}))
    world(run)
    decide_ok(api, staff, verified(api, db_path)["id"], decision="approve")
    for secret in (keys / "audit_hmac_key", elsewhere):
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert not (db_path.parent / "audit_hmac_key").exists()
    assert not (db_path.parent / "audit_anchors.jsonl").exists()
    result = run("audit", "verify", "--strict")
    assert result.exit_code == 0 and "latest anchor" in result.output


# --- a store written by the old, unkeyed code ---------------------------------------


def _old_store(db_path: Path, n: int) -> str:
    """A store as the code before m014 left it: ``n`` unkeyed entries, inserted as
    the old ``audit.append`` did. Returns the last entry's hash."""
    db = sqlite_utils.Database(db_path)
    migrations.apply(db, stop_before="m014_audit_keyed")
    assert "mac" not in db["audit_log"].columns_dict
    link = GENESIS
    for seq in range(1, n + 1):
        fields = [seq, f"2026-01-0{seq}T10:00:00+00:00", "staff:1", "decision_approve"]
        fields += [f"req-{seq}", json.dumps({"n": seq}, sort_keys=True), link]
        db.execute(
            "INSERT INTO audit_log (seq, at, actor, action, request_id, detail,"
            " prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [*fields, _sha256(fields)],
        )
        link = _sha256(fields)
    db.conn.commit()
    db.close()
    return link


def test_an_upgraded_store_still_verifies_and_is_keyed_afterwards(db_path, run):
    old_head = _old_store(db_path, 4)
    upgraded = run("audit", "verify")  # opening the store applies m014
    assert upgraded.exit_code == 0, upgraded.output
    assert "audit log intact: 5 entries" in upgraded.output
    _entries(db_path, 1)
    rows = sqlite3.connect(db_path).execute(
        "SELECT seq, action, prev_hash, mac FROM audit_log ORDER BY seq"
    )
    rows = rows.fetchall()
    assert [r[3] for r in rows[:4]] == [None] * 4  # the old entries, as they were
    seal, new = rows[4], rows[5]
    assert seal[1] == "audit_keyed" and seal[2] == old_head and seal[3]
    assert new[2] == seal[3] and new[3]  # chained to the seal's MAC, keyed
    assert stat.S_IMODE((db_path.parent / "audit_hmac_key").stat().st_mode) == 0o600
    assert run("audit", "verify").exit_code == 0


@pytest.mark.parametrize(
    ("forge_mac", "first", "bad", "reason"),
    [
        # An old entry rewritten and the chain recomputed to the end: the seal's
        # MAC vouched for the old head, and cannot be made again without the key.
        (_sha256, 2, 5, "MAC does not check"),
        # The seal and what follows stripped to the old form: a log that ends
        # unkeyed after m014 is a downgraded one.
        (lambda fields: None, 5, 6, "no keyed entry seals it"),
    ],
    ids=["old-entry-rewritten", "seal-downgraded"],
)
def test_an_upgraded_store_cannot_be_rewritten_in_the_old_form(
    db_path, run, forge_mac, first, bad, reason
):
    _old_store(db_path, 4)
    _entries(db_path, 1)  # opening the store seals the old entries (entry 5)
    _rewrite(db_path, first, forge_mac)
    result = run("audit", "verify")
    assert result.exit_code == 1
    assert f"audit log broken at entry {bad}:" in result.output
    assert reason in result.output
